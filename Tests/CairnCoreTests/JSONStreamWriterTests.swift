import CairnCore
import Testing

@Suite("JSONStreamWriter")
struct JSONStreamWriterTests {
    /// Replays a document as writer calls, the way a streaming report would.
    private func stream(_ v: JSONValue, _ w: JSONStreamWriter) {
        switch v {
        case .null: w.null()
        case .bool(let b): w.bool(b)
        case .int(let i): w.int(i)
        case .uint: w.value(v)
        case .double(let d): w.double(d)
        case .string(let s): w.string(s)
        case .array(let items):
            w.beginArray()
            for item in items { stream(item, w) }
            w.endArray()
        case .object(let fields):
            w.beginObject()
            for (k, item) in fields { w.key(k); stream(item, w) }
            w.endObject()
        }
    }

    private var sample: JSONValue {
        .object([
            ("version", 1), ("empty", .object([])), ("none", .array([])), ("text", "tab\there \"q\" \\ \u{01} é ✓"),
            ("numbers", .array([0, -7, .int(Int64.min), .number(UInt64.max), .double(0.5), .double(3), .double(-1e20),
                                .double(.nan), .double(.infinity)])),
            ("nested", .array([.object([("a", .null), ("b", .array([.bool(true), .bool(false)]))]), .array([.array([])])])),
            ("sub", .object([("k\n", .object([("deep", .array(["x"]))]))])),
        ])
    }

    @Test("streamed bytes equal JSONValue's rendering, pretty and compact")
    func identical() throws {
        for indent in [2, 0, 4] {
            let sink = MemorySink()
            let w = JSONStreamWriter(sink: sink, indent: indent)
            stream(sample, w)
            try w.finish()
            #expect(String(decoding: sink.bytes, as: UTF8.self) == sample.rendered(indent: indent))
        }
    }

    @Test("a subtree given as a JSONValue lands at the writer's depth")
    func embeddedValue() throws {
        let sink = MemorySink()
        let w = JSONStreamWriter(sink: sink)
        w.beginObject()
        w.key("outer")
        w.beginArray()
        w.value(.object([("x", .array([1, 2]))]))
        w.endArray()
        w.endObject()
        try w.finish()
        let expected: JSONValue = .object([("outer", .array([.object([("x", .array([1, 2]))])]))])
        #expect(String(decoding: sink.bytes, as: UTF8.self) == expected.rendered())
    }

    @Test("a document larger than the buffer arrives whole and in order")
    func large() throws {
        let doc = JSONValue.array((0..<20_000).map { i in .object([("i", .number(i)), ("s", .string("row \(i)"))]) })
        let sink = MemorySink()
        let w = JSONStreamWriter(sink: sink)
        stream(doc, w)
        try w.finish()
        #expect(sink.bytes.count > 1 << 17)
        #expect(String(decoding: sink.bytes, as: UTF8.self) == doc.rendered())
    }

    final class FailingSink: ByteSink {
        var writes = 0
        func write(_ bytes: UnsafeRawBufferPointer) throws(IOError) {
            writes += 1
            throw IOError(path: "out.json", operation: "write", errno: 28)
        }
        func commit() throws(IOError) {}
    }

    @Test("the first sink error is thrown by finish and nothing more is written")
    func failure() {
        let sink = FailingSink()
        let w = JSONStreamWriter(sink: sink)
        stream(.array((0..<20_000).map { .number($0) }), w)
        #expect(throws: IOError.self) { try w.finish() }
        #expect(sink.writes == 1)
    }
}

@Suite("JSONTreeBuilder")
struct JSONTreeBuilderTests {
    @Test("tokens written to a builder give back the same document")
    func roundTrip() {
        let doc: JSONValue = .object([
            ("a", .array([1, .null, .object([])])), ("b", .object([("c", "d"), ("e", .double(1.5))])), ("f", .array([])),
            ("g", .number(UInt64.max)),
        ])
        let b = JSONTreeBuilder()
        b.beginObject()
        b.key("a"); b.beginArray(); b.int(1); b.null(); b.beginObject(); b.endObject(); b.endArray()
        b.key("b"); b.beginObject(); b.key("c"); b.string("d"); b.key("e"); b.double(1.5); b.endObject()
        b.key("f"); b.beginArray(); b.endArray()
        b.key("g"); b.int(UInt64.max)
        b.endObject()
        #expect(b.result == doc)
        #expect(b.result.rendered() == doc.rendered())
    }
}
