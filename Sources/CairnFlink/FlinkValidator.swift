import CairnCore
import CairnModel

/// The checks `validate` makes on a Flink snapshot beyond the engine-neutral ones: every referenced file exists
/// with at least the recorded size, and every offset lies inside its stream.
struct FlinkValidator {
    let snapshot: FlinkSnapshot

    func location(_ op: FlinkOperatorState, _ subtask: Int?, _ role: String?) -> SnapshotLocation {
        SnapshotLocation(file: snapshot.location.metadataPath, operatorID: op.id.hex, operatorName: op.name ?? op.uid,
                         subtask: subtask, state: role)
    }

    func problems() -> [ValidationProblem] {
        var out: [ValidationProblem] = []
        let m = snapshot.metadata
        if m.version >= 4 && m.properties == nil {
            out.append(ValidationProblem(
                code: "checkpointProperties",
                m.trailer.isEmpty
                    ? "metadata v\(m.version) ends without its checkpoint properties; Flink fails to load it (EOFException)"
                    : "the checkpoint properties at the end of the file (\(m.trailer.count) bytes) are not readable; Flink may fail to load it",
                at: SnapshotLocation(file: snapshot.location.metadataPath, offset: UInt64(snapshot.metadataSize) - UInt64(m.trailer.count))))
        }
        let (ofReference, files) = checkedFiles()
        var n = 0
        snapshot.forEachFileReference { o, subtask, role, ref in
            let file = files[ofReference[n]]
            n += 1
            switch file.resolution {
            case .missing(let expected):
                out.append(ValidationProblem(code: "missingFile", "\(ref.path) does not exist (looked for \(expected)); restoring would fail",
                                             at: location(m.operators[o], subtask, role)))
            case .remote(let uri):
                out.append(ValidationProblem(.warning, code: "remoteFile", "\(uri) is on a file system this build cannot read; not checked",
                                             at: location(m.operators[o], subtask, role)))
            case .local(let path), .relocated(let path):
                if let size = file.size, size < ref.requiredSize {
                    out.append(ValidationProblem(code: "shortFile", "\(path) has \(size) bytes, the handle needs \(ref.requiredSize)",
                                                 at: location(m.operators[o], subtask, role)))
                }
            }
        }
        for op in snapshot.metadata.operators {
            for st in op.subtasks {
                if case .keyGroups(_, let range, let offsets, let delegate, _)? = st.managedKeyedState {
                    let end = delegate?.stateSize ?? 0
                    if offsets.count != range.count {
                        out.append(ValidationProblem(code: "keyGroupOffsets", "\(offsets.count) offsets for \(range.count) key groups", at: location(op, st.index, "managed keyed state")))
                    }
                    var last: Int64 = 0
                    for (i, o) in offsets.enumerated() where o != 0 {
                        if o < last || o > end {
                            out.append(ValidationProblem(code: "keyGroupOffsets", "offset \(o) of key group \(range.start + i) is \(o > end ? "past the end of the \(end)-byte stream" : "before the previous one")", at: location(op, st.index, "managed keyed state")))
                            break
                        }
                        last = o
                    }
                }
                for h in [st.managedOperatorState, st.rawOperatorState].compactMap({ $0 }) {
                    let end = h.stateSize
                    for s in h.states {
                        if let bad = s.offsets.first(where: { $0 < 0 || $0 > end }) {
                            out.append(ValidationProblem(code: "operatorStateOffsets", "offset \(bad) lies outside the \(end)-byte stream", at: location(op, st.index, s.name)))
                        }
                    }
                }
                for c in st.inputChannels + st.outputChannels {
                    let end = c.delegate?.stateSize ?? 0
                    if let bad = c.offsets.first(where: { $0 < 0 || $0 >= end }) {
                        out.append(ValidationProblem(code: "channelOffsets", "\(c.kind) offset \(bad) lies outside the \(end)-byte stream", at: location(op, st.index, "in-flight data")))
                    }
                }
            }
        }
        return out
    }

    /// A referenced file, named as `_metadata` names it.
    struct FileKey: Hashable {
        var path: String
        var relative: Bool
        init(_ ref: FlinkFileReference) { path = ref.path; relative = ref.relative }
    }

    /// Where a referenced file is and how long it is.
    struct CheckedFile: Sendable {
        var resolution: FlinkPathResolver.Resolution
        var size: Int64?
    }

    /// Resolves each distinct referenced file once and stats it once, on a bounded number of threads: a snapshot
    /// of 1,000 operators × 256 subtasks references half a million files. Returns, for every reference in the order
    /// of `forEachFileReference`, the index of its file, and the files.
    func checkedFiles() -> (ofReference: [Int], files: [CheckedFile]) {
        var keys: [FileKey: Int] = [:]
        var refs: [FlinkFileReference] = []
        var ofReference: [Int] = []
        snapshot.forEachFileReference { _, _, _, ref in
            let key = FileKey(ref)
            if let known = keys[key] {
                ofReference.append(known)
            } else {
                keys[key] = refs.count
                ofReference.append(refs.count)
                refs.append(ref)
            }
        }
        let resolver = snapshot.resolver
        let all = refs
        let files = ParallelMap.run(refs.count, threads: FlinkValidator.statThreads) { i in
            let resolution = resolver.resolve(all[i])
            return CheckedFile(resolution: resolution, size: resolution.localPath.flatMap { resolver.files.size($0) })
        }
        return (ofReference, files)
    }

    /// Threads that stat files at once: the cores, at most 16 (beyond that a local disk or a network file system
    /// only queues them).
    static let statThreads = min(16, ParallelMap.cores)
}
