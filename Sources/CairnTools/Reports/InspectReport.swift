import CairnCore
import CairnFlink
import CairnFormat
import CairnModel

/// How `inspect` groups its main table.
public enum InspectGrouping: String, Sendable, CaseIterable {
    case `operator`, subtask, state, keyGroup = "key-group"
}

/// What `inspect` found, built from a `SnapshotView`; renders as the documented JSON or as tables.
public struct InspectReport: Sendable {
    public var source: String
    public var summary: SnapshotSummary
    public var grouping: InspectGrouping
    public var topKeys: [KeySize]?
    public var bytesRead: UInt64

    /// Builds the report; `deep` adds per-state statistics from a scan of the data, `top` the largest keys.
    public static func build(source: String, view: any SnapshotView, grouping: InspectGrouping = .operator, top: Int? = nil, deep: Bool = false) throws -> InspectReport {
        var summary = try view.summary()
        if deep { summary = summary.merging(scanned: try view.scanStates()) }
        if grouping == .state, let flink = view as? FlinkSnapshot {
            // Serializers and TTL live in the heads of the state files, not in `_metadata`.
            summary = summary.addingRegisteredStates(of: flink, addingMissing: false)
        }
        let keys = try top.map { try view.largestKeys(limit: $0) }
        return InspectReport(source: source, summary: summary, grouping: grouping, topKeys: keys, bytesRead: view.bytesRead)
    }

    // MARK: Rows

    struct KeyGroupRow {
        var op: OperatorSummary
        var keyGroup: Int
        var subtask: Int
        var size: Int64
        var entries: Int64
    }

    /// Bytes per key group of each keyed operator, summed over its states.
    var keyGroupRows: [KeyGroupRow] {
        var rows: [KeyGroupRow] = []
        for op in summary.operators {
            var size: [Int: (Int64, Int64)] = [:]
            for st in op.states {
                for kg in st.keyGroups {
                    let prev = size[kg.keyGroup] ?? (0, 0)
                    size[kg.keyGroup] = (prev.0 + kg.size, prev.1 + kg.entries)
                }
            }
            for kg in size.keys.sorted() {
                rows.append(KeyGroupRow(
                    op: op, keyGroup: kg,
                    subtask: KeyGroupRange.subtask(owning: kg, parallelism: op.info.parallelism, maxParallelism: op.info.maxParallelism),
                    size: size[kg]!.0, entries: size[kg]!.1))
            }
        }
        return rows
    }

    struct OffsetRow {
        var op: OperatorSummary
        var subtask: Int
        var split: SourceSplit
    }

    var offsetRows: [OffsetRow] {
        summary.operators.flatMap { op in op.subtasks.flatMap { st in st.splits.map { OffsetRow(op: op, subtask: st.index, split: $0) } } }
    }
}
