import CairnCore
import CairnFormat
import CairnModel

/// `validate --previous OLDER`: whether a snapshot can follow an older one of the same job. Checkpoint ids must
/// increase and no source split may resume behind where the older snapshot had it (that replays or, after a reset,
/// skips data); each regression is reported with both positions.
public struct SnapshotSuccession: Sendable {
    public var previous: String
    public var previousID: String
    public var currentID: String
    /// Splits present in both snapshots.
    public var splitsCompared: Int
    public var problems: [RestoreProblem]

    public var json: JSONValue {
        .object([
            ("source", .string(previous)), ("checkpointId", .string(previousID)), ("currentCheckpointId", .string(currentID)),
            ("splitsCompared", .number(splitsCompared)), ("ok", .bool(problems.isEmpty)),
        ])
    }

    /// Compares `current` with `previous` (summaries of the two snapshots).
    public static func check(previous: SnapshotSummary, previousSource: String, current: SnapshotSummary) -> SnapshotSuccession {
        var out = SnapshotSuccession(previous: previousSource, previousID: previous.metadata.snapshotId, currentID: current.metadata.snapshotId,
                                     splitsCompared: 0, problems: [])
        let a = previous.metadata.snapshotId, b = current.metadata.snapshotId
        if let x = Int64(a), let y = Int64(b) {
            if y <= x {
                out.problems.append(RestoreProblem(
                    code: "checkpointIdNotIncreasing",
                    message: "checkpoint \(b) does not come after the previous snapshot's checkpoint \(a)",
                    operator: nil,
                    fix: "compare against an older snapshot (--previous), or check that the two arguments are not swapped"))
            }
        } else if a == b {
            out.problems.append(RestoreProblem(code: "checkpointIdNotIncreasing", message: "both snapshots have id \(a)", operator: nil,
                                               fix: "compare against an older snapshot"))
        }
        let before = Dictionary(previous.operators.map { ($0.info.id, $0) }, uniquingKeysWith: { x, _ in x })
        for op in current.operators {
            guard let old = before[op.info.id] else { continue }
            var oldSplits: [String: (Int, SplitPosition)] = [:]
            for st in old.subtasks { for s in st.splits { oldSplits[s.splitId] = (st.index, s.position) } }
            for st in op.subtasks {
                for s in st.splits {
                    guard let (oldSubtask, p0) = oldSplits[s.splitId] else { continue }
                    out.splitsCompared += 1
                    guard wentBackward(from: p0, to: s.position) else { continue }
                    out.problems.append(RestoreProblem(
                        code: "splitWentBackward",
                        message: "split \(s.splitId) resumes at \(describe(s.position)) (subtask \(st.index)) but the previous snapshot "
                            + "had it at \(describe(p0)) (subtask \(oldSubtask)): records between would be read again",
                        operator: op.info, state: s.splitId,
                        fix: "if the offset was reset on purpose, ignore this; otherwise restore from the newer snapshot, or set the position with "
                            + "`cairn rewrite SOURCE DEST --set-offset \(op.info.uid.isEmpty ? op.info.id.hex : op.info.uid):\(s.splitId)=\(positionValue(p0))`"))
                }
            }
        }
        return out
    }

    /// Whether `b` lies behind `a` for the same split. Kafka's negative offsets are markers, not positions.
    static func wentBackward(from a: SplitPosition, to b: SplitPosition) -> Bool {
        switch (a, b) {
        case let (.kafka(t0, p0, o0), .kafka(t1, p1, o1)):
            return t0 == t1 && p0 == p1 && o0 >= 0 && o1 >= 0 && o1 < o0
        case let (.numberSequence(n0, _), .numberSequence(n1, _)):
            return n1 < n0
        case let (.kinesis(s0, h0, q0), .kinesis(s1, h1, q1)):
            guard s0 == s1, h0 == h1, !q0.isEmpty, !q1.isEmpty, q0.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), q1.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 })
            else { return false }
            let x = q0.drop { $0 == "0" }, y = q1.drop { $0 == "0" }
            return y.count != x.count ? y.count < x.count : y < x
        default:
            return false
        }
    }

    static func describe(_ p: SplitPosition) -> String {
        switch p {
        case let .kafka(topic, partition, offset): "\(topic)-\(partition) offset \(offset)"
        case let .numberSequence(next, last): "next number \(next) (of \(last))"
        case let .kinesis(stream, shard, sequence): "\(stream) \(shard) sequence \(sequence)"
        case let .generic(serializer, version, bytes): "\(serializer) v\(version) (\(bytes.count) bytes)"
        }
    }

    static func positionValue(_ p: SplitPosition) -> String {
        switch p {
        case let .kafka(_, _, offset): "\(offset)"
        case let .numberSequence(next, _): "\(next)"
        case let .kinesis(_, _, sequence): sequence
        case .generic: "POSITION"
        }
    }
}
