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

    // MARK: JSON

    /// The `--json` document; its shape is documented in README.md and guarded by tests.
    public var json: JSONValue {
        let s = summary
        var doc = headerJSON
        doc.append(("operators", .array(s.operators.map { op in
            .object([
                ("id", .string(op.info.id.hex)), ("uid", .string(op.info.uid)), ("name", .string(op.info.name)),
                ("parallelism", .number(op.info.parallelism)), ("maxParallelism", .number(op.info.maxParallelism)),
                ("stateSize", .number(op.stateSize)), ("checkpointedSize", .number(op.checkpointedSize)),
                ("keyedSize", .number(op.keyedSize)), ("operatorSize", .number(op.operatorStateSize)),
                ("inFlightSize", .number(op.inFlightSize)), ("coordinatorSize", .number(op.coordinatorSize)),
                ("skew", op.skew.map { .double(($0 * 1000).rounded() / 1000) } ?? .null),
                ("finished", .bool(op.fullyFinished)),
                ("subtasks", .array(op.subtasks.map { st in
                    .object([
                        ("index", .number(st.index)), ("stateSize", .number(st.stateSize)),
                        ("checkpointedSize", .number(st.checkpointedSize)), ("keyedSize", .number(st.keyedSize)),
                        ("operatorSize", .number(st.operatorSize)), ("inFlightSize", .number(st.inFlightSize)),
                        ("inputChannelSize", .number(st.inputChannelSize)),
                        ("outputSubpartitionSize", .number(st.outputSubpartitionSize)),
                        ("keyGroups", st.keyGroups.map { r in .object([("start", .number(r.start)), ("end", .number(r.last))]) } ?? .null),
                        ("finished", .bool(st.finished)),
                    ])
                })),
            ])
        })))
        doc.append(("states", .array(s.operators.flatMap { op in
            op.states.map { st in
                .object([
                    ("operatorId", .string(op.info.id.hex)), ("operator", .string(op.info.displayName)),
                    ("name", .string(st.descriptor.name)), ("kind", .string(st.descriptor.kind.name)),
                    ("size", .number(st.size)), ("entries", st.entryCount.map { .number($0) } ?? .null),
                    ("keySerializer", serializerJSON(st.keySerializer)),
                    ("valueSerializer", serializerJSON(st.valueSerializer)),
                    ("ttlMillis", st.descriptor.ttl.map { .number($0.millis) } ?? .null),
                    ("ttl", .bool(st.descriptor.ttl != nil || st.ttlTimestamps)),
                    ("subtasks", .array(st.sizeBySubtask.keys.sorted().map { i in
                        .object([("index", .number(i)), ("size", .number(st.sizeBySubtask[i] ?? 0))])
                    })),
                ] + (st.statistics.map { [("statistics", statisticsJSON($0))] } ?? []))
            }
        })))
        if grouping == .keyGroup {
            doc.append(("keyGroups", .array(keyGroupRows.map { r in
                .object([("operatorId", .string(r.op.info.id.hex)), ("operator", .string(r.op.info.displayName)),
                         ("keyGroup", .number(r.keyGroup)), ("subtask", .number(r.subtask)),
                         ("size", .number(r.size)), ("entries", .number(r.entries))])
            })))
        }
        doc.append(("offsets", .array(offsetRows.map { row in
            var fields: [(String, JSONValue)] = [
                ("operatorId", .string(row.op.info.id.hex)), ("operator", .string(row.op.info.displayName)),
                ("subtask", .number(row.subtask)),
            ]
            if case .object(let split) = SnapshotDump.splitJSON(row.split) { fields += split }
            return .object(fields)
        })))
        if let topKeys {
            doc.append(("topKeys", .array(topKeys.map { k in
                .object([("operatorId", .string(k.operatorID.hex)), ("state", .string(k.state)), ("keyGroup", .number(k.keyGroup)),
                         ("key", .string(Hex.encode(k.key))), ("size", .number(k.size)), ("entries", .number(k.entries))])
            })))
        }
        doc.append(("bytesRead", .number(bytesRead)))
        return .object(doc)
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

    private func statisticsJSON(_ s: EntryStatistics) -> JSONValue {
        .object([("rawSize", .number(s.rawSize)), ("entries", .number(s.entries)), ("distinctKeys", .number(s.distinctKeys)),
                 ("keyBytes", .number(s.keyBytes)), ("namespaceBytes", .number(s.namespaceBytes)),
                 ("userKeyBytes", .number(s.userKeyBytes)), ("valueBytes", .number(s.valueBytes)),
                 ("largestEntry", .number(s.largestEntry)), ("entriesWithTTL", .number(s.entriesWithTTL))])
    }

    private func serializerJSON(_ s: SerializerInfo?) -> JSONValue {
        guard let s else { return .null }
        return .object([("name", .string(s.name)), ("version", .number(s.version)),
                        ("schema", s.schema.map { .string($0.description) } ?? .null)])
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
