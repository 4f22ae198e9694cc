import CairnCore
import CairnFormat

/// What changed between two snapshots, operator by operator, from their summaries alone (index or `_metadata`):
/// operators added, removed or renamed (same id, another uid or name), parallelism and max parallelism, and the
/// size of keyed, operator and in-flight state.
public struct SnapshotDiff: Sendable {
    public enum Status: String, Sendable { case added, removed, changed, unchanged }

    /// One operator in either snapshot, matched by operator id.
    public struct OperatorChange: Sendable {
        public var id: String
        public var status: Status
        public var before: OperatorInfo?
        public var after: OperatorInfo?
        public var stateSize: (Int64, Int64)
        public var keyedSize: (Int64, Int64)
        public var operatorStateSize: (Int64, Int64)
        public var inFlightSize: (Int64, Int64)

        public var renamed: Bool {
            guard let a = before, let b = after else { return false }
            return a.uid != b.uid || a.name != b.name
        }
        public var rescaled: Bool {
            guard let a = before, let b = after else { return false }
            return a.parallelism != b.parallelism || a.maxParallelism != b.maxParallelism
        }
        var displayName: String { (after ?? before)?.displayName ?? id }
    }

    public var sourceA: String
    public var sourceB: String
    public var snapshotA: String
    public var snapshotB: String
    public var operators: [OperatorChange]

    public var differs: Bool { operators.contains { $0.status != .unchanged } }

    public static func compute(_ a: SnapshotSummary, _ b: SnapshotSummary, sourceA: String, sourceB: String) -> SnapshotDiff {
        var before: [OperatorID: OperatorSummary] = [:]
        for op in a.operators { before[op.info.id] = op }
        var seen = Set<OperatorID>()
        var out: [OperatorChange] = []
        func sizes(_ o: OperatorSummary?) -> (Int64, Int64, Int64, Int64) {
            guard let o else { return (0, 0, 0, 0) }
            return (o.stateSize, o.keyedSize, o.operatorStateSize, o.inFlightSize)
        }
        func change(_ x: OperatorSummary?, _ y: OperatorSummary?) -> OperatorChange {
            let (s0, k0, o0, i0) = sizes(x), (s1, k1, o1, i1) = sizes(y)
            var c = OperatorChange(id: (y ?? x)?.info.id.hex ?? "", status: .unchanged, before: x?.info, after: y?.info,
                                   stateSize: (s0, s1), keyedSize: (k0, k1), operatorStateSize: (o0, o1), inFlightSize: (i0, i1))
            if x == nil { c.status = .added } else if y == nil { c.status = .removed } else if c.renamed || c.rescaled || s0 != s1 || k0 != k1 || o0 != o1 || i0 != i1 {
                c.status = .changed
            }
            return c
        }
        for op in b.operators {
            seen.insert(op.info.id)
            out.append(change(before[op.info.id], op))
        }
        for op in a.operators where !seen.contains(op.info.id) { out.append(change(op, nil)) }
        return SnapshotDiff(sourceA: sourceA, sourceB: sourceB, snapshotA: a.metadata.snapshotId, snapshotB: b.metadata.snapshotId, operators: out)
    }

    public var json: JSONValue {
        func pair(_ p: (Int64, Int64)) -> JSONValue { .object([("before", .number(p.0)), ("after", .number(p.1)), ("delta", .number(p.1 - p.0))]) }
        func info(_ i: OperatorInfo?) -> JSONValue {
            guard let i else { return .null }
            return .object([("uid", .string(i.uid)), ("name", .string(i.name)), ("parallelism", .number(i.parallelism)), ("maxParallelism", .number(i.maxParallelism))])
        }
        let total = operators.reduce((Int64(0), Int64(0))) { ($0.0 + $1.stateSize.0, $0.1 + $1.stateSize.1) }
        return .object([
            ("a", .object([("source", .string(sourceA)), ("snapshot", .string(snapshotA))])),
            ("b", .object([("source", .string(sourceB)), ("snapshot", .string(snapshotB))])),
            ("differs", .bool(differs)),
            ("stateSize", pair(total)),
            ("operators", .array(operators.map { c in
                .object([
                    ("id", .string(c.id)), ("status", .string(c.status.rawValue)), ("renamed", .bool(c.renamed)), ("rescaled", .bool(c.rescaled)),
                    ("before", info(c.before)), ("after", info(c.after)),
                    ("stateSize", pair(c.stateSize)), ("keyedSize", pair(c.keyedSize)),
                    ("operatorStateSize", pair(c.operatorStateSize)), ("inFlightSize", pair(c.inFlightSize)),
                ])
            })),
        ])
    }

    public func text(style: TextStyle) -> String {
        func delta(_ p: (Int64, Int64)) -> String {
            let d = p.1 - p.0
            return d == 0 ? "=" : (d > 0 ? "+" : "−") + ByteCount.format(abs(d))
        }
        var out = style.bold("\(snapshotA) → \(snapshotB)") + "\n"
        var t = TextTable(columns: [.left("OPERATOR"), .left("CHANGE"), .left("PAR"), .right("STATE"), .right("Δ STATE"), .right("Δ KEYED"), .right("Δ OP STATE"), .right("Δ IN-FLIGHT")])
        for c in operators {
            var what = c.status.rawValue
            if c.renamed, let a = c.before, let b = c.after {
                what += a.uid != b.uid ? ", uid \(a.uid) → \(b.uid)" : ", name \(a.name) → \(b.name)"
            }
            let par: String
            if let a = c.before, let b = c.after, c.rescaled {
                par = "\(a.parallelism)/\(a.maxParallelism) → \(b.parallelism)/\(b.maxParallelism)"
            } else {
                let i = c.after ?? c.before
                par = i.map { "\($0.parallelism)/\($0.maxParallelism)" } ?? ""
            }
            let colored = c.status == .added ? style.green(what) : c.status == .removed ? style.red(what) : c.status == .changed ? style.yellow(what) : style.dim(what)
            t.add([c.displayName, colored, par, ByteCount.format(c.stateSize.1), delta(c.stateSize), delta(c.keyedSize), delta(c.operatorStateSize), delta(c.inFlightSize)])
        }
        out += t.render(style)
        let total = operators.reduce((Int64(0), Int64(0))) { ($0.0 + $1.stateSize.0, $0.1 + $1.stateSize.1) }
        out += "State \(ByteCount.format(total.0)) → \(ByteCount.format(total.1)) (\(delta(total)))" + (differs ? "" : "; no operator changed") + "\n"
        return out
    }
}
