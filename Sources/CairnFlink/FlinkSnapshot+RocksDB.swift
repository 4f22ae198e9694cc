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
    /// damaged file, named by file, block and offset. Returns the blocks checked, for the report.
    func sstChecksumProblems() -> (problems: [ValidationProblem], files: Int, blocks: Int) {
        var problems: [ValidationProblem] = []
        var seen = Set<String>()
        var files = 0, blocks = 0
        for op in metadata.operators {
            for st in op.subtasks {
                guard case .incremental(let h)? = st.managedKeyedState else { continue }
                for (localPath, handle) in sstFiles(h) {
                    let at = SnapshotLocation(file: handle.fileReference?.path ?? "\(location.metadataPath) (inline \(localPath))",
                                              operatorID: op.id.hex, operatorName: op.name ?? op.uid, subtask: st.index)
                    if let ref = handle.fileReference, !seen.insert(ref.path + "@\(ref.segmentStart ?? 0)").inserted { continue }
                    var name = localPath
                    do {
                        guard let source = try randomAccess(handle) else { continue }
                        defer { account(source) }
                        if !(source is MemorySource) { name += " (\(source.name))" }
                        let report = try SSTFile(source: source).verifyChecksums()
                        files += 1
                        blocks += report.blocks
                    } catch let e as RocksDBError {
                        var loc = at
                        loc.offset = e.offset
                        problems.append(ValidationProblem(code: e.code.rawValue, "RocksDB file \(name): \(e.message)", at: loc))
                    } catch {
                        problems.append(ValidationProblem(code: "unreadable", "RocksDB file \(localPath): \(error)", at: at))
                    }
                }
            }
        }
        return (problems, files, blocks)
    }
}
