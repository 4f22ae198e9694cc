import CairnCore
import CairnModel
@testable import CairnTools
import Testing

/// Reports past 50 operators or 64 subtasks: top operators, one "others" row, subtask percentiles and bins, in the
/// tables and the HTML page; the JSON stays complete.
@Suite("Aggregated reports for large snapshots")
struct OperatorRankingTests {
    /// `operators` operators of `subtasks` subtasks; subtask i of operator k holds (k + 1) × (i + 1) keyed bytes.
    static func summary(operators: Int, subtasks: Int) -> SnapshotSummary {
        let ops = (0..<operators).map { k in
            OperatorSummary(
                info: OperatorInfo(id: OperatorID(derivedFrom: "op-\(k)"), uid: "uid-\(k)", name: "Operator \(k)", parallelism: subtasks, maxParallelism: 4096),
                coordinatorSize: 0,
                subtasks: (0..<subtasks).map { i in
                    SubtaskSummary(index: i, keyedSize: Int64((k + 1) * (i + 1)), operatorSize: 0, inputChannelSize: 0, outputSubpartitionSize: 0,
                                   keyGroups: nil, splits: [])
                },
                states: [])
        }
        return SnapshotSummary(metadata: SnapshotMetadata(snapshotId: "1", engineName: "Flink"), format: "flink", operators: ops)
    }

    static func report(_ s: SnapshotSummary, _ grouping: InspectGrouping = .operator, top: Int = OperatorRanking.defaultTop) -> InspectReport {
        InspectReport(source: "x", summary: s, grouping: grouping, topKeys: nil, bytesRead: 0, topOperators: top)
    }

    @Test("120 operators: the 20 largest in order, the other 100 summed exactly")
    func topAndOthers() {
        let ranking = OperatorRanking(Self.summary(operators: 120, subtasks: 8).operators)
        #expect(ranking.aggregated)
        #expect(ranking.shown.map(\.summary.info.name) == (0..<20).map { "Operator \(119 - $0)" })
        // Operator k holds (k + 1) × 36 bytes (1 + … + 8); the others are k = 0 … 99.
        #expect(ranking.others.count == 100)
        var expected: Int64 = 0
        for k in 0..<100 { expected += Int64(k + 1) * 36 }
        #expect(ranking.others.stateSize == expected)
        #expect(ranking.others.keyedSize == ranking.others.stateSize)
        #expect(ranking.aggregationNote() == "showing the top 20 of 120 operators by state; the 100 others sum to \(ByteCount.format(ranking.others.stateSize))")
    }

    @Test("256 subtasks: nearest-rank percentiles and 64 bins of 4 consecutive subtasks")
    func percentilesAndBins() throws {
        let ranking = OperatorRanking(Self.summary(operators: 3, subtasks: 256).operators)
        #expect(ranking.aggregated, "more than 64 subtasks aggregates even with 3 operators")
        let op = try #require(ranking.shown.first { $0.summary.info.name == "Operator 2" })
        let d = op.distribution
        // Sizes 3 × 1 … 3 × 256: ranks ⌈0.5 × 256⌉ = 128, ⌈0.9 × 256⌉ = 231, ⌈0.99 × 256⌉ = 254.
        let percentiles: [Int64] = [d.min, d.p50, d.p90, d.p99, d.max]
        let ranks: [Int64] = [1, 128, 231, 254, 256]
        #expect(percentiles == ranks.map { 3 * $0 })
        #expect(d.bins.count == 64)
        let bin = SubtaskDistribution.Bin(first: 40, last: 43, max: 132, sum: 510, finished: 0)  // 3 × 44; 3 × (41 + 42 + 43 + 44)
        #expect(d.bins[10] == bin)
        #expect(d.bins.reduce(Int64(0)) { $0 + $1.sum } == op.stateSize)
    }

    @Test("parallelism 100 (not a multiple of 64): 50 bins of 2 cover every subtask once")
    func unevenBins() throws {
        let d = try #require(OperatorRanking(Self.summary(operators: 1, subtasks: 100).operators).shown.first).distribution
        #expect(d.bins.count == 50 && d.bins.first?.first == 0 && d.bins.last?.last == 99)
        #expect(zip(d.bins, d.bins.dropFirst()).allSatisfy { $0.last + 1 == $1.first })
    }

    @Test("a small snapshot keeps every operator and subtask")
    func smallStaysWhole() {
        let s = Self.summary(operators: 10, subtasks: 4)
        let ranking = OperatorRanking(s.operators)
        #expect(!ranking.aggregated && ranking.shown.count == 10 && ranking.others.count == 0 && ranking.aggregationNote() == nil)
        let text = Self.report(s, .subtask).text(style: .plain)
        #expect(text.contains("VS MEAN") && !text.contains("P50") && !text.contains("others"))
        #expect(Self.report(s).pageJSON["aggregation"] == nil, "the page embeds today's document")
    }

    @Test("the terminal tables: top operators plus others, percentiles by subtask, and what was aggregated")
    func textTables() {
        let s = Self.summary(operators: 120, subtasks: 256)
        let text = Self.report(s, top: 5).text(style: .plain)
        let rows = text.split(separator: "\n")
        #expect(rows.filter { $0.hasPrefix("Operator ") }.count == 5)
        #expect(rows.contains { $0.hasPrefix("115 others") })
        #expect(text.contains("Showing the top 5 of 120 operators by state; the 115 others sum to"))
        let bySubtask = Self.report(s, .subtask).text(style: .plain)
        #expect(bySubtask.contains("P50") && bySubtask.contains("P99"))
        #expect(bySubtask.contains("subtasks (up to 256 per operator) as MIN/P50/P90/P99/MAX"))
        #expect(bySubtask.split(separator: "\n").count < 40, "one row per operator, not per subtask")
        #expect(bySubtask.contains("\(ByteCount.format(120 * 128))"), "the largest operator's median subtask")
    }

    @Test("the page data: aggregated, a row per operator for the table, binned subtasks; --json still lists every subtask")
    func pageData() throws {
        let s = Self.summary(operators: 120, subtasks: 256)
        let report = Self.report(s)
        let page = report.pageJSON
        #expect(page["aggregation"]?["operators"] == .int(120) && page["aggregation"]?["shown"] == .int(20))
        guard case .array(let table)? = page["table"], case .array(let ops)? = page["operators"] else {
            Issue.record("no table or operators in the page data")
            return
        }
        #expect(table.count == 120 && ops.count == 20)
        guard case .array(let bins)? = ops.first?["bins"] else { Issue.record("no bins"); return }
        #expect(bins.count == 64)
        #expect(ops.first?["distribution"]?["p90"] == .int(120 * 231))
        let html = HTMLReport.inspect(report)
        let json = report.json.rendered()
        #expect(html.utf8.count * 4 < json.utf8.count, "the page (\(html.utf8.count) bytes) is a fraction of the JSON (\(json.utf8.count) bytes)")
        guard case .array(let all)? = report.json["operators"] else { Issue.record("no operators in --json"); return }
        #expect(all.count == 120)
        #expect(all.allSatisfy { if case .array(let st)? = $0["subtasks"] { st.count == 256 } else { false } })
    }
}
