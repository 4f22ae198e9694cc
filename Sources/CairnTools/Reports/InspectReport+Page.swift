import CairnCore
import CairnModel

extension InspectReport {
    /// Operators the page's searchable table lists at most, so the page stays a few MB at any job size.
    static let pageTableRows = 5000
    /// Source splits and states the page lists at most.
    static let pageOffsetRows = 500
    static let pageStateRows = 60
    /// Key-group columns per operator the page draws at most; more key groups are binned.
    static let pageKeyGroupColumns = 512

    /// The data `inspect --html` embeds. A snapshot within `OperatorRanking`'s limits gets the `--json` document
    /// (with key groups, which the page draws whenever known). A larger one gets an aggregated document whose size
    /// does not grow with subtasks: the top operators with binned subtasks and percentiles, one "others" sum, a
    /// compact row per operator for the searchable table, and the states, key groups and splits of the top
    /// operators only; `aggregation` says what was left out.
    var pageJSON: JSONValue {
        var full = self
        full.grouping = .keyGroup
        let ranking = OperatorRanking(summary.operators, top: topOperators)
        guard ranking.aggregated else { return boundedKeyGroups(full.json) }
        // The states, key groups, splits and top keys of the shown operators, in the --json shapes.
        var shownReport = full
        shownReport.summary.operators = ranking.shown.map(\.summary)
        let shownDoc = shownReport.json
        let allStates = summary.operators.reduce(0) { $0 + $1.states.count }
        var states: [JSONValue] = []
        if case .array(let list)? = shownDoc["states"] {
            states = list.sorted { Self.int($0["size"]) > Self.int($1["size"]) }.prefix(Self.pageStateRows).map { $0 }
        }
        let offsets = offsetRows.count
        var shownOffsets: [JSONValue] = []
        if case .array(let list)? = shownDoc["offsets"] { shownOffsets = Array(list.prefix(Self.pageOffsetRows)) }

        var doc = headerJSON
        let o = ranking.others
        doc.append(("aggregation", .object([
            ("note", .string(ranking.aggregationNote(subtasks: "binned into at most \(SubtaskDistribution.maxBins) runs and summarised as percentiles") ?? "")),
            ("operators", .number(ranking.ranked.count)), ("shown", .number(ranking.shown.count)),
            ("others", .object([("count", .number(o.count)), ("stateSize", .number(o.stateSize)), ("checkpointedSize", .number(o.checkpointedSize)),
                                ("keyedSize", .number(o.keyedSize)), ("operatorSize", .number(o.operatorSize)),
                                ("inFlightSize", .number(o.inFlightSize)), ("coordinatorSize", .number(o.coordinatorSize))])),
            ("maxParallelism", .number(ranking.maxParallelism)), ("bins", .number(SubtaskDistribution.maxBins)),
            ("tableRows", .number(min(ranking.ranked.count, Self.pageTableRows))),
            ("states", .number(allStates)), ("offsets", .number(offsets)), ("offsetsShown", .number(shownOffsets.count)),
        ])))
        doc.append(("operators", .array(ranking.shown.map { r -> JSONValue in
            let op = r.summary
            return .object([
                ("id", .string(op.info.id.hex)), ("uid", .string(op.info.uid)), ("name", .string(op.info.name)),
                ("parallelism", .number(op.info.parallelism)), ("maxParallelism", .number(op.info.maxParallelism)),
                ("stateSize", .number(r.stateSize)), ("checkpointedSize", .number(r.checkpointedSize)),
                ("keyedSize", .number(r.keyedSize)), ("operatorSize", .number(r.operatorSize)),
                ("inFlightSize", .number(r.inFlightSize)), ("coordinatorSize", .number(op.coordinatorSize)),
                ("skew", op.skew.map { .double(($0 * 1000).rounded() / 1000) } ?? .null),
                ("finished", .bool(op.fullyFinished)),
                ("distribution", Self.distributionJSON(r.distribution)),
                // [first, last, largest, total, finished subtasks] per run of consecutive subtasks.
                ("bins", .array(r.distribution.bins.map { b in
                    .array([.number(b.first), .number(b.last), .number(b.max), .number(b.sum), .number(b.finished)])
                })),
            ])
        })))
        // One compact row per operator: [name, uid, id, parallelism, state, keyed, operator state, in-flight,
        // min, p50, p90, p99, max, skew]. Long names are cut: Flink SQL names can run to kilobytes.
        doc.append(("table", .array(ranking.ranked.prefix(Self.pageTableRows).map { r -> JSONValue in
            let op = r.summary, d = r.distribution
            return .array([.string(Self.cut(op.info.name, 160)), .string(Self.cut(op.info.uid, 80)), .string(op.info.id.hex),
                           .number(op.info.parallelism), .number(r.stateSize), .number(r.keyedSize), .number(r.operatorSize),
                           .number(r.inFlightSize), .number(d.min), .number(d.p50), .number(d.p90), .number(d.p99), .number(d.max),
                           op.skew.map { .double(($0 * 1000).rounded() / 1000) } ?? .null])
        })))
        doc.append(("states", .array(states)))
        if let kg = boundedKeyGroups(shownDoc)["keyGroups"] { doc.append(("keyGroups", kg)) }
        doc.append(("offsets", .array(shownOffsets)))
        if let top = shownDoc["topKeys"] { doc.append(("topKeys", top)) }
        doc.append(("bytesRead", .number(bytesRead)))
        return .object(doc)
    }

    private static func distributionJSON(_ d: SubtaskDistribution) -> JSONValue {
        .object([("subtasks", .number(d.count)), ("min", .number(d.min)), ("p50", .number(d.p50)), ("p90", .number(d.p90)),
                 ("p99", .number(d.p99)), ("max", .number(d.max))])
    }

    /// `keyGroups` with at most `pageKeyGroupColumns` rows per operator: past that, runs of consecutive key groups
    /// become one row (`keyGroup` its first, `last` its last, sizes and entries summed).
    private func boundedKeyGroups(_ doc: JSONValue) -> JSONValue {
        guard case .object(var fields) = doc, let i = fields.firstIndex(where: { $0.0 == "keyGroups" }),
              case .array(let rows) = fields[i].1 else { return doc }
        var byOperator: [String: [JSONValue]] = [:]
        var order: [String] = []
        for r in rows {
            guard case .string(let id)? = r["operatorId"] else { continue }
            if byOperator[id] == nil { order.append(id) }
            byOperator[id, default: []].append(r)
        }
        guard byOperator.values.contains(where: { $0.count > Self.pageKeyGroupColumns }) else { return doc }
        let maxParallelism = Dictionary(summary.operators.map { ($0.info.id.hex, $0.info.maxParallelism) }, uniquingKeysWith: { a, _ in a })
        var out: [JSONValue] = []
        for id in order {
            let list = byOperator[id] ?? []
            guard list.count > Self.pageKeyGroupColumns else { out += list; continue }
            let groups = max(maxParallelism[id] ?? 0, (list.map { Self.int($0["keyGroup"]) }.max() ?? 0) + 1)
            let width = (groups + Self.pageKeyGroupColumns - 1) / Self.pageKeyGroupColumns
            var bins: [Int: (size: Int64, entries: Int64, subtask: Int)] = [:]
            for r in list {
                let b = Self.int(r["keyGroup"]) / width
                let prev = bins[b] ?? (0, 0, Self.int(r["subtask"]))
                bins[b] = (prev.size + Int64(Self.int(r["size"])), prev.entries + Int64(Self.int(r["entries"])), prev.subtask)
            }
            let name = list.first?["operator"] ?? .string(id)
            for b in bins.keys.sorted() {
                guard let v = bins[b] else { continue }
                out.append(.object([("operatorId", .string(id)), ("operator", name), ("keyGroup", .number(b * width)),
                                    ("last", .number(min(groups, (b + 1) * width) - 1)), ("subtask", .number(v.subtask)),
                                    ("size", .number(v.size)), ("entries", .number(v.entries))]))
            }
        }
        fields[i].1 = .array(out)
        return .object(fields)
    }

    private static func int(_ v: JSONValue?) -> Int {
        switch v {
        case .int(let i)?: Int(truncatingIfNeeded: i)
        case .uint(let u)?: Int(truncatingIfNeeded: u)
        default: 0
        }
    }

    private static func cut(_ s: String, _ n: Int) -> String { s.count > n ? String(s.prefix(n - 1)) + "…" : s }
}
