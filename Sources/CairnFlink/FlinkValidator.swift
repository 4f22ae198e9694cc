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
        var checked: [String: Int64?] = [:]
        for (op, subtask, role, ref) in snapshot.fileReferences {
            let resolution = snapshot.resolver.resolve(ref)
            let loc = location(op, subtask, role)
            switch resolution {
            case .missing(let expected):
                out.append(ValidationProblem(code: "missingFile", "\(ref.path) does not exist (looked for \(expected)); restoring would fail", at: loc))
            case .remote(let uri):
                out.append(ValidationProblem(.warning, code: "remoteFile", "\(uri) is on a file system this build cannot read; not checked", at: loc))
            case .local(let path), .relocated(let path):
                let size: Int64?
                if let cached = checked[path] { size = cached } else {
                    size = snapshot.resolver.files.size(path)
                    checked[path] = size
                }
                if let size, size < ref.requiredSize {
                    out.append(ValidationProblem(code: "shortFile", "\(path) has \(size) bytes, the handle needs \(ref.requiredSize)", at: loc))
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
}
