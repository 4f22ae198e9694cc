import CairnCore
import CairnFormat
import CairnModel

/// How far one source split moved between two snapshots: records advanced for Kafka offsets and number
/// sequences, and a flag when a position went backward (data would be read twice, or a reset happened).
public struct SplitProgress: Sendable {
    public var operatorID: OperatorID
    public var splitId: String
    public var status: SnapshotDiff.Status
    public var subtask: (Int?, Int?)
    public var before: SplitPosition?
    public var after: SplitPosition?
    /// Records between the two positions where positions count records (Kafka offsets, number sequences).
    public var advanced: Int64?
    /// The later position is behind the earlier one.
    public var backward: Bool

    /// Compares two positions of one split; `nil` advance when they are of different kinds or not countable.
    static func progress(_ a: SplitPosition, _ b: SplitPosition) -> (advanced: Int64?, backward: Bool) {
        switch (a, b) {
        case let (.kafka(t0, p0, o0), .kafka(t1, p1, o1)) where t0 == t1 && p0 == p1:
            // Negative offsets are Kafka's markers (earliest, latest, committed): not positions to subtract.
            guard o0 >= 0, o1 >= 0 else { return (nil, false) }
            return (o1 - o0, o1 < o0)
        case let (.numberSequence(n0, _), .numberSequence(n1, _)):
            return (n1 - n0, n1 < n0)
        case let (.kinesis(s0, h0, q0), .kinesis(s1, h1, q1)) where s0 == s1 && h0 == h1:
            return (nil, numericLess(q1, q0))
        default:
            return (nil, false)
        }
    }

    /// Kinesis sequence numbers are decimal strings of up to 128 bits; compares them as numbers when both are.
    static func numericLess(_ a: String, _ b: String) -> Bool {
        guard !a.isEmpty, !b.isEmpty, a.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), b.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return false }
        let x = a.drop { $0 == "0" }, y = b.drop { $0 == "0" }
        return x.count != y.count ? x.count < y.count : x < y
    }

    /// Pairs the splits of two operators by split id.
    static func compare(_ a: OperatorSummary?, _ b: OperatorSummary?) -> [SplitProgress] {
        guard let id = (b ?? a)?.info.id else { return [] }
        func splits(_ o: OperatorSummary?) -> [(String, Int, SplitPosition)] {
            (o?.subtasks ?? []).flatMap { st in st.splits.map { ($0.splitId, st.index, $0.position) } }
        }
        var before: [String: (Int, SplitPosition)] = [:]
        for (s, i, p) in splits(a) { before[s] = (i, p) }
        var out: [SplitProgress] = []
        var seen = Set<String>()
        for (s, i, p) in splits(b) {
            seen.insert(s)
            guard let (j, q) = before[s] else {
                out.append(SplitProgress(operatorID: id, splitId: s, status: .added, subtask: (nil, i), before: nil, after: p, advanced: nil, backward: false))
                continue
            }
            let (advanced, backward) = progress(q, p)
            let status: SnapshotDiff.Status = (q == p && i == j) ? .unchanged : .changed
            out.append(SplitProgress(operatorID: id, splitId: s, status: status, subtask: (j, i), before: q, after: p, advanced: advanced, backward: backward))
        }
        for (s, i, p) in splits(a) where !seen.contains(s) {
            out.append(SplitProgress(operatorID: id, splitId: s, status: .removed, subtask: (i, nil), before: p, after: nil, advanced: nil, backward: false))
        }
        return out.sorted { $0.splitId.utf8.lexicographicallyPrecedes($1.splitId.utf8) }
    }
}

extension SplitPosition {
    /// The position as JSON, in `dump`'s shape without the split id: `{"type": "kafka", "topic": …}`.
    public var json: JSONValue {
        guard case .object(let fields) = SnapshotDump.splitJSON(SourceSplit(splitId: "", position: self)) else { return .null }
        return .object(fields.filter { $0.0 != "splitId" })
    }

    /// Short text for tables: `orders/3@1200`, `next 501 of 1000`, a Kinesis sequence, or a generic position's size.
    public var text: String {
        switch self {
        case let .kafka(topic, partition, offset): "\(topic)/\(partition)@\(offset)"
        case let .numberSequence(next, last): "next \(next) of \(last)"
        case let .kinesis(_, shard, sequence): "\(shard)@\(sequence)"
        case let .generic(serializer, version, position): "\(serializer) v\(version), \(position.count) B"
        }
    }
}
