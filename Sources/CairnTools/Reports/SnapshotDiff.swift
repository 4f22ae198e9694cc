import CairnCore
import CairnFlink
import CairnFormat
import CairnModel

/// What changed between two snapshots, from their summaries (index or `_metadata`, plus a state scan with
/// `--deep`): operators added, removed or renamed (same id, another uid or name), parallelism and max parallelism,
/// the size of keyed, operator and in-flight state, per state its size, entries, kind and serializers, and per
/// source split how far it advanced. Two Flink checkpoints of one job also get the files they share.
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
        public var states: [StateChange]
        public var splits: [SplitProgress]

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
    /// For two Flink snapshots: the files they share (set by the caller, which has both snapshots open).
    public var files: FileSharing?

    public var differs: Bool { operators.contains { $0.status != .unchanged } }
    /// Splits whose position went backward: reprocessing or a reset.
    public var backwardSplits: [SplitProgress] { operators.flatMap { $0.splits.filter(\.backward) } }

    /// Diffs two open snapshots: their summaries, with `deep` a scan of their state for per-state sizes (Flink
    /// keyed state), and for two Flink snapshots the files they share.
    public static func compare(_ a: any SnapshotView, _ b: any SnapshotView, sourceA: String, sourceB: String, deep: Bool = false) throws -> SnapshotDiff {
        var sa = try a.summary(), sb = try b.summary()
        if let f = a as? FlinkSnapshot { sa = sa.addingRegisteredStates(of: f) }
        if let f = b as? FlinkSnapshot { sb = sb.addingRegisteredStates(of: f) }
        if deep {
            sa = sa.merging(scanned: try a.scanStates())
            sb = sb.merging(scanned: try b.scanStates())
        }
        var diff = compute(sa, sb, sourceA: sourceA, sourceB: sourceB)
        if let fa = a as? FlinkSnapshot, let fb = b as? FlinkSnapshot { diff.files = FileSharing.compare(fa, fb) }
        return diff
    }

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
            var c = OperatorChange(
                id: (y ?? x)?.info.id.hex ?? "", status: .unchanged, before: x?.info, after: y?.info,
                stateSize: (s0, s1), keyedSize: (k0, k1), operatorStateSize: (o0, o1), inFlightSize: (i0, i1),
                states: StateChange.compare(x?.states ?? [], y?.states ?? []), splits: SplitProgress.compare(x, y))
            if x == nil {
                c.status = .added
            } else if y == nil {
                c.status = .removed
            } else if c.renamed || c.rescaled || s0 != s1 || k0 != k1 || o0 != o1 || i0 != i1
                        || c.states.contains(where: { $0.status != .unchanged }) || c.splits.contains(where: { $0.status != .unchanged }) {
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
}
