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
    /// How many operators (and states) tables and the HTML page show once a snapshot is too large to list in full
    /// (`OperatorRanking`); the JSON always lists everything.
    public var topOperators = OperatorRanking.defaultTop

    /// Builds the report; `deep` adds per-state statistics from a scan of the data, `top` the largest keys.
    public static func build(source: String, view: any SnapshotView, grouping: InspectGrouping = .operator, top: Int? = nil, deep: Bool = false,
                             topOperators: Int = OperatorRanking.defaultTop) throws -> InspectReport {
        var summary = try view.summary()
        if deep { summary = summary.merging(scanned: try view.scanStates()) }
        if grouping == .state, let flink = view as? FlinkSnapshot {
            // Serializers and TTL live in the heads of the state files, not in `_metadata`.
            summary = summary.addingRegisteredStates(of: flink, addingMissing: false)
        }
        let keys = try top.map { try view.largestKeys(limit: $0) }
        return InspectReport(source: source, summary: summary, grouping: grouping, topKeys: keys, bytesRead: view.bytesRead, topOperators: topOperators)
    }

    /// The document's head: version, source, format, snapshot, totals and storage.
    var headerJSON: [(String, JSONValue)] {
        let s = summary
        let m = s.metadata
        var doc: [(String, JSONValue)] = [("version", 1), ("source", .string(source)), ("format", .string(s.format))]
        doc.append(("snapshot", .object([
            ("id", .string(m.snapshotId)), ("kind", .string(m.kind.name)), ("engine", .string(m.engineName)),
            ("engineVersion", .string(m.engineVersion)), ("jobId", .string(m.jobId)), ("jobName", .string(m.jobName)),
            ("createdAt", .number(m.createdAt)), ("mode", .string(m.mode.name)),
            ("properties", .object(m.properties.keys.sorted().map { ($0, .string(m.properties[$0] ?? "")) })),
        ])))
        let input = s.operators.reduce(Int64(0)) { $0 + $1.subtasks.reduce(0) { $0 + $1.inputChannelSize } }
        let output = s.operators.reduce(Int64(0)) { $0 + $1.subtasks.reduce(0) { $0 + $1.outputSubpartitionSize } }
        doc.append(("totals", .object([
            ("stateSize", .number(s.stateSize)), ("checkpointedSize", .number(s.checkpointedSize)),
            ("keyedSize", .number(s.keyedSize)), ("operatorSize", .number(s.operatorStateSize)),
            ("inFlightSize", .number(s.inFlightSize)), ("inputChannelSize", .number(input)),
            ("outputSubpartitionSize", .number(output)),
            ("coordinatorSize", .number(s.operators.reduce(Int64(0)) { $0 + $1.coordinatorSize })),
            ("operators", .number(s.operators.count)),
            ("subtasks", .number(s.operators.reduce(0) { $0 + $1.subtasks.count })),
        ])))
        if let st = s.storage {
            doc.append(("storage", .object([
                ("metadataSize", .number(st.metadataSize)), ("inlineSize", .number(st.inlineSize)), ("files", .number(st.files)),
                ("fileBytes", .number(st.fileBytes)),
                ("sharedWithOtherCheckpoints", st.sharedWithOtherCheckpoints.map { .number($0) } ?? .null),
                ("relocatedPaths", .number(st.relocatedPaths)), ("missingFiles", .number(st.missingFiles)),
                ("remoteFiles", .number(st.remoteFiles)), ("otherCheckpoints", .array(st.otherCheckpoints.map { .string($0) })),
                ("filesChecked", .bool(st.filesChecked)),
            ])))
        }
        return doc
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
    var keyGroupRows: [KeyGroupRow] { keyGroupRows(of: summary.operators) }

    /// Bytes per key group of `operators`, summed over their states.
    func keyGroupRows(of operators: [OperatorSummary]) -> [KeyGroupRow] {
        var rows: [KeyGroupRow] = []
        for op in operators {
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
