import CairnCore
import CairnModel
import CairnRocksDB

extension FlinkSnapshot {
    /// A stream handle's bytes as a random-access source: inline bytes, a file, or a file-merging segment.
    /// Nil when the file is missing (`validate` reports that separately). The caller adds `source.bytesRead`
    /// to the snapshot's count through `account(_:)` when done.
    func randomAccess(_ handle: FlinkStreamHandle) throws -> (any RandomAccessSource)? {
        switch handle {
        case .inline(let name, let data):
            return MemorySource(data, name: name)
        case .segment(let start, let size, _, _, _):
            guard let ref = handle.fileReference, let path = resolver.resolve(ref).localPath else { return nil }
            return SliceSource(try resolver.files.open(path), offset: UInt64(start), size: UInt64(size), name: path)
        case .emptySegment, .keyGroups:
            return nil
        default:
            guard let ref = handle.fileReference, let path = resolver.resolve(ref).localPath else { return nil }
            return try resolver.files.open(path)
        }
    }

    /// Counts what a source handed out by `randomAccess` read.
    func account(_ source: any RandomAccessSource) {
        if !(source is MemorySource) { counter.add(source.bytesRead) }
    }

    /// The SST files of one RocksDB snapshot handle with their local names (`000042.sst`).
    func sstFiles(_ h: FlinkKeyedHandle.IncrementalHandle) -> [(localPath: String, handle: FlinkStreamHandle)] {
        (h.shared + h.privateFiles).compactMap { f in
            guard f.localPath.hasSuffix(".sst"), let handle = f.handle else { return nil }
            return (f.localPath, handle)
        }
    }

    /// Reads every block of every SST file the RocksDB handles reference and checks its checksum; one problem per
    /// damaged file, named by file, block and offset. Returns the blocks checked, for the report. Files are read on
    /// all cores, a bounded number at once; problems come in the order of the references.
    func sstChecksumProblems() -> (problems: [ValidationProblem], files: Int, blocks: Int) {
        var tasks: [(localPath: String, handle: FlinkStreamHandle, at: SnapshotLocation)] = []
        var seen = Set<String>()
        for op in metadata.operators {
            for st in op.subtasks {
                guard case .incremental(let h)? = st.managedKeyedState else { continue }
                for (localPath, handle) in sstFiles(h) {
                    let at = SnapshotLocation(file: handle.fileReference?.path ?? "\(location.metadataPath) (inline \(localPath))",
                                              operatorID: op.id.hex, operatorName: op.name ?? op.uid, subtask: st.index)
                    if let ref = handle.fileReference, !seen.insert(ref.path + "@\(ref.segmentStart ?? 0)").inserted { continue }
                    tasks.append((localPath, handle, at))
                }
            }
        }
        let all = tasks
        let checked = ParallelMap.run(tasks.count, threads: FlinkSnapshot.scanThreads) { i -> (blocks: Int?, problem: ValidationProblem?) in
            let (localPath, handle, at) = all[i]
            var name = localPath
            do {
                guard let source = try randomAccess(handle) else { return (nil, nil) }
                defer { account(source) }
                if !(source is MemorySource) { name += " (\(source.name))" }
                return (try SSTFile(source: source).verifyChecksums().blocks, nil)
            } catch let e as RocksDBError {
                var loc = at
                loc.offset = e.offset
                return (nil, ValidationProblem(code: e.code.rawValue, "RocksDB file \(name): \(e.message)", at: loc))
            } catch {
                return (nil, ValidationProblem(code: "unreadable", "RocksDB file \(localPath): \(error)", at: at))
            }
        }
        var problems: [ValidationProblem] = []
        var files = 0, blocks = 0
        for c in checked {
            if let b = c.blocks {
                files += 1
                blocks += b
            }
            if let p = c.problem { problems.append(p) }
        }
        return (problems, files, blocks)
    }
}
