import CairnCore
@testable import CairnFlink
import CairnModel
import Foundation
import Testing

/// `FlinkValueJSONWriter` and `appendStateEntries` (what `dump --state` prints) must write exactly the bytes of the
/// `JSONValue` path they replace: the documented shapes of docs/flink-values.md, unchanged.
@Suite("Flink values written as JSON without a JSONValue tree")
struct FlinkValueJSONWriterTests {
    static func viaTree(_ v: FlinkValue) -> String {
        var out: [UInt8] = []
        v.json.append(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    static func direct(_ v: FlinkValue) -> String {
        var out: [UInt8] = []
        FlinkValueJSONWriter.append(v, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    static let record = FlinkValue.record([FlinkField("name", .string("a \"quoted\" \\ name\n\t\u{1}")), FlinkField("n", .int(-7))])

    static let values: [FlinkValue] = [
        .null, .voidNamespace, .boolean(true), .boolean(false), .byte(-128), .short(32767), .int(Int32.min), .long(Int64.min), .long(Int64.max),
        .long(0), .float(1.5), .float(-0.0), .float(.nan), .float(.infinity), .double(-.infinity), .double(1e15), .double(123456789.125),
        .double(3), .double(1e-7), .char(0x41), .char(0xD800), .string(""), .string("ünïcødé ✓ 𝄞"), .string("\u{0}\u{1F}\r"),
        .decimal("-12.50"), .bytes([]), .bytes([0, 0xAB, 0xFF]),
        .timestamp(millis: -1, nanos: 999_999_999), .instant(seconds: 1_700_000_000, nanos: 5),
        .localDate(year: -44, month: 3, day: 15), .localTime(hour: 23, minute: 59, second: 58, nano: 0),
        .localTime(hour: 1, minute: 2, second: 3, nano: 4), .localDateTime(year: 2026, month: 12, day: 3, hour: 18, minute: 0, second: 0, nano: 1),
        .array([]), .array([.int(1), .null, .string("x")]), .list([.list([]), .map([])]),
        .map([FlinkMapEntry(key: .string("k"), value: record), FlinkMapEntry(key: .null, value: .array([.bytes([1])]))]),
        .enumConstant(index: 3, name: "RED"), .enumConstant(index: 3, name: nil),
        .tuple([]), .tuple([.int(1), .tuple([.string("nested")])]), .row(kind: .updateBefore, fields: [.int(1), .null]),
        .left(.string("l")), .right(.right(.int(2))), .record([]), record,
        .subclass(className: "com.example.Sub", value: record), .subclass(className: "com.example.Empty", value: .record([])),
        .subclass(className: "com.example.Scalar", value: .long(9)), .subclass(className: "com.example.Opaque", value: .opaque(className: "Kryo", bytes: [1, 2])),
        .subclass(className: "com.example.List", value: .list([.int(1)])), .subclass(className: "c", value: .union(branch: 1, value: record)),
        .ttl(lastAccessTimestamp: 1_700_000_000_000, value: .map([FlinkMapEntry(key: .int(1), value: .ttl(lastAccessTimestamp: 2, value: .null))])),
        .timeWindow(start: -5, end: 10), .globalWindow, .countWindow(42),
        .timer(timestamp: 7, key: .string("user-1"), namespace: .timeWindow(start: 0, end: 1)),
        .union(branch: 0, value: .null), .union(branch: 2, value: .string("u")), .opaque(className: "org.Foo$Snapshot", bytes: [0xDE, 0xAD]),
    ]

    @Test("every kind of value, with escapes, NaN, infinities, subclasses of every shape: the same bytes as the JSONValue tree",
          arguments: values.indices)
    func sameAsTree(_ i: Int) {
        let v = Self.values[i]
        #expect(Self.direct(v) == Self.viaTree(v), "\(v)")
    }

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/flink")

    static let snapshots: [String] = {
        guard let e = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else { return [] }
        var out: [String] = []
        for case let url as URL in e where url.lastPathComponent == "_metadata" {
            out.append(String(url.deletingLastPathComponent().path.dropFirst(root.path.count + 1)))
        }
        return out.sorted()
    }()

    @Test("dump --state of every state of every real Flink fixture: appendStateEntries writes the lines forEachStateEntry renders, byte for byte",
          arguments: snapshots)
    func fixtureLinesIdentical(_ fixture: String) throws {
        let snapshot = try FlinkSnapshot(source: Self.root.appendingPathComponent(fixture).path)
        var compared = 0
        for op in snapshot.metadata.operators {
            let names = snapshot.stateMetaInfo(of: op).keyedStates.map(\.name) + snapshot.operatorStateNames(op)
            for state in Set(names).sorted() {
                for raw in [false, true] {
                    let query = StateEntryQuery(state: "\(op.id.hex)/\(state)", key: nil, keyGroup: nil, limit: nil, raw: raw)
                    var expected: [UInt8] = []
                    let treeError: (any Error)?
                    do {
                        try snapshot.forEachStateEntry(query) { line in
                            line.append(to: &expected)
                            expected.append(0x0A)
                            return true
                        }
                        treeError = nil
                    } catch {
                        treeError = error
                    }
                    var written: [UInt8] = []
                    var lines = 0
                    do {
                        try snapshot.appendStateEntries(query, to: &written) { out in
                            out.append(0x0A)
                            lines += 1
                            return true
                        }
                        #expect(treeError == nil, "\(fixture) \(state) raw=\(raw): only the tree path failed: \(String(describing: treeError))")
                    } catch {
                        #expect(treeError.map { "\($0)" } == "\(error)", "\(fixture) \(state) raw=\(raw): \(error)")
                        continue
                    }
                    #expect(written == expected, "\(fixture) \(state) raw=\(raw): the lines differ")
                    compared += lines
                }
            }
        }
        // Changelog fixtures refuse keyed state; every other fixture has entries to compare.
        if !fixture.contains("changelog") { #expect(compared > 0, "\(fixture): no entries compared") }
    }
}
