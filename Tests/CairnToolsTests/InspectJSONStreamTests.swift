import CairnCore
import CairnFlink
import CairnFormat
import CairnModel
import CairnTools
import Foundation
import Testing

/// `inspect --json` streams its document; the bytes must be the ones the `JSONValue` of the same report renders.
@Suite("inspect --json streamed")
struct InspectJSONStreamTests {
    static func streamed(_ report: InspectReport) throws -> String {
        let sink = MemorySink()
        let writer = JSONStreamWriter(sink: sink)
        report.writeJSON(to: writer)
        try writer.finish()
        return String(decoding: sink.bytes, as: UTF8.self)
    }

    @Test("every Flink fixture, every grouping: streamed bytes equal the rendered document")
    func flinkFixtures() throws {
        #expect(FlinkOracleTests.fixtures.count >= 10, "the committed Flink fixtures are there")
        for name in FlinkOracleTests.fixtures {
            let dir = FlinkOracleTests.root.appendingPathComponent(name).path
            let view = try FlinkSnapshot(source: dir)
            for grouping in InspectGrouping.allCases {
                let report = try InspectReport.build(source: dir, view: view, grouping: grouping)
                let expected = report.json.rendered()
                #expect(try Self.streamed(report) == expected, "\(name) --by \(grouping.rawValue)")
                #expect(expected.contains("\"operators\""))
            }
        }
    }

    @Test("a native snapshot with deep statistics and top keys: streamed bytes equal the rendered document")
    func native() throws {
        let report = try InspectReport.build(source: "x.cairn", view: try view(try generate(.small)), grouping: .keyGroup, top: 3, deep: true)
        let expected = report.json.rendered()
        #expect(expected.contains("\"topKeys\""))
        #expect(expected.contains("\"statistics\""))
        #expect(expected.contains("\"keyGroups\""))
        #expect(try Self.streamed(report) == expected)
    }
}
