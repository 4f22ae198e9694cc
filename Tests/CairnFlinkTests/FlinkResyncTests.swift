import CairnCore
@testable import CairnFlink
import CairnModel
import Foundation
import Testing

/// Resynchronising the proxy parse past serializer snapshots Cairn cannot read, the SQL serializers of real SQL
/// jobs, and compressed heap checkpoints.
@Suite("Flink proxy resync, SQL serializers, compressed heap checkpoints")
struct FlinkResyncTests {
    typealias B = SnapshotBytes
    static let root = FlinkSerializerFixtureTests.root
    static let void = B.utf("org.apache.flink.runtime.state.VoidNamespaceSerializer$VoidNamespaceSerializerSnapshot") + B.int(3)
    static let geoClass = "com.acme.GeoSerializer$GeoSnapshot"
    static let otherClass = "com.acme.Other$OtherSnapshot"
    /// An unknown snapshot whose payload holds decoys: a serializer key and a nested block that look like what follows snapshots.
    static let geo = B.utf(geoClass) + B.int(7) + B.int(42) + B.utf("VALUE_SERIALIZER") + B.nestedBlock([B.simple("String")]) + B.long(7)
    static let other = B.utf(otherClass) + B.int(1) + [0xDE, 0xAD, 0xBE, 0xEF, 0x00]

    static func u16(_ n: Int) -> [UInt8] { [UInt8(n >> 8), UInt8(n & 0xFF)] }

    static func stateMeta(_ name: String, type: Int32 = 0, kind: String, serializers: [(String, [UInt8])]) -> [UInt8] {
        var b = B.utf(name) + B.int(type) + B.int(1) + B.utf("KEYED_STATE_TYPE") + B.utf(kind) + B.int(Int32(serializers.count))
        for (k, s) in serializers { b += B.utf(k) + B.int(2) + s }
        return b
    }

    static func proxy(_ states: [[UInt8]], count: Int? = nil) -> [UInt8] {
        B.int(6) + [0] + B.int(2) + B.simple("Long") + u16(count ?? states.count) + states.flatMap { $0 }
    }

    /// a: VALUE of an unknown serializer; b: MAP<String, unknown>; c: VALUE Long.
    static let states: [[UInt8]] = [
        stateMeta("a", kind: "VALUE", serializers: [("NAMESPACE_SERIALIZER", void), ("VALUE_SERIALIZER", geo)]),
        stateMeta("b", kind: "MAP", serializers: [("NAMESPACE_SERIALIZER", void),
                                                  ("VALUE_SERIALIZER", B.composite(B.base + "MapSerializerSnapshot", outerVersion: 1, nested: [B.simple("String"), other]))]),
        stateMeta("c", kind: "VALUE", serializers: [("NAMESPACE_SERIALIZER", void), ("VALUE_SERIALIZER", B.simple("Long"))]),
    ]

    static func offset(of needle: [UInt8], in hay: [UInt8]) -> Int? {
        guard needle.count <= hay.count else { return nil }
        return (0...(hay.count - needle.count)).first { Array(hay[$0..<($0 + needle.count)]) == needle }
    }

    @Test("unknown snapshots in the middle of a proxy are skipped to their exact ends, the rest parses")
    func resyncsPastUnknown() throws {
        let bytes = Self.proxy(Self.states)
        let proxy = try FlinkKeyedBackendProxy(parsing: bytes)
        #expect(proxy.end == bytes.count && proxy.states.map(\.name) == ["a", "b", "c"])
        #expect(proxy.states[0].valueSerializer == .opaque(className: Self.geoClass, version: 7))
        #expect(proxy.states[1].valueSerializer == .map(key: .string, value: .opaque(className: Self.otherClass, version: 1)))
        #expect(proxy.states[2].valueSerializer == .long && proxy.states[2].namespaceSerializer == .voidNamespace)
        let geoAt = try #require(Self.offset(of: Self.geo, in: bytes)), otherAt = try #require(Self.offset(of: Self.other, in: bytes))
        #expect(proxy.skipped.map(\.className) == [Self.geoClass, Self.otherClass])
        #expect(proxy.skipped.map(\.span) == [geoAt..<(geoAt + Self.geo.count), otherAt..<(otherAt + Self.other.count)])
        #expect(proxy.skipped.map(\.state) == ["a", "b"] && proxy.skipped.allSatisfy { $0.serializerKey == "VALUE_SERIALIZER" })
        #expect(proxy.states[0].serializers["VALUE_SERIALIZER"]?.opaqueSpan == proxy.skipped[0].span)
        #expect(proxy.skipped[0].description.contains("Geo v7 (172 bytes"))
        // Delimited values of an opaque serializer are bytes; RocksDB-style entries of state a decode.
        let layout = FlinkKeyedStateLayout(keySerializer: .long, state: proxy.states[0], maxParallelism: 128)
        let e = try layout.decodeKeyValue(key: [3] + B.long(9) + [0], value: [1, 2, 3])
        #expect(e.value == .opaque(className: Self.geoClass, bytes: [1, 2, 3]) && e.key == .long(9))
        #expect(e.value.json.rendered(indent: 0) == #"{"$opaque":"com.acme.GeoSerializer$GeoSnapshot","$bytes":"010203"}"#)
    }

    @Test("garbage after an unknown snapshot never resynchronises", arguments: 0..<5)
    func garbageDoesNotResync(variant: Int) throws {
        var bytes = Self.proxy(Self.states)
        switch variant {
        case 0: bytes.removeLast()                                   // the proxy ends early
        case 1: bytes.append(0)                                      // one byte more than the proxy
        case 2: bytes = Self.proxy(Self.states, count: 4)            // the state count does not match
        case 3:                                                      // state c's backend type is not one Flink has
            let c = try #require(Self.offset(of: Self.states[2], in: bytes))
            bytes[c + 2 + 1 + 3] = 9
        default:                                                     // everything after the unknown snapshot is noise
            let at = try #require(Self.offset(of: Self.geo, in: bytes)) + Self.geo.count
            var rng = SystemRandomNumberGenerator()
            for i in at..<bytes.count { bytes[i] = UInt8.random(in: 0...255, using: &rng) }
        }
        #expect(throws: FlinkSerializerError.self) { try FlinkKeyedBackendProxy(parsing: bytes) }
    }

    @Test("the unknown snapshot's own error is what a failed resync reports")
    func failedResyncNamesTheSerializer() throws {
        var bytes = Self.proxy([Self.states[0], Self.states[2]])
        bytes.removeLast()
        do {
            _ = try FlinkKeyedBackendProxy(parsing: bytes)
            Issue.record("parsed")
        } catch let e as FlinkSerializerError {
            #expect(e.kind == .unknownSerializer && e.serializerClass == Self.geoClass && e.state == "a", "\(e)")
            #expect(e.message.contains("rest of the proxy cannot be read"))
        }
    }

    /// A heap key group: `int keyGroupId`, then per state `short id` + block (each block its own Snappy stream when compressed).
    static func heapKeyGroup(_ blocks: [(Int, [UInt8])], compressed: Bool) -> [UInt8] {
        var out = B.int(5)
        for (id, block) in blocks {
            let data = u16(id) + block
            guard compressed else { out += data; continue }
            // An uncompressed Snappy chunk (type 1, 3-byte length, masked CRC not checked by readers of snapshots).
            out += SnappyFrameDecoder.identifier + [0x01, UInt8((data.count + 4) & 0xFF), UInt8((data.count + 4) >> 8), 0, 0, 0, 0, 0] + data
        }
        return out
    }

    @Test("in the heap layout an opaque state fails naming its serializer, other states still decode")
    func heapOpaqueState() throws {
        let proxy = try FlinkKeyedBackendProxy(parsing: Self.proxy(Self.states))
        let layouts = proxy.states.map { FlinkKeyedStateLayout(keySerializer: .long, state: $0, maxParallelism: 128) }
        let a = (0, B.int(1) + [0] + B.long(9) + [1, 2, 3]), c = (2, B.int(1) + [0] + B.long(9) + B.long(77))
        for compressed in [false, true] {
            let cFirst = Self.heapKeyGroup([c, a], compressed: compressed)
            let onlyC = try FlinkKeyedStateLayout.decodeHeapKeyGroup(cFirst, layouts: layouts, compressed: compressed, only: 2)
            #expect(onlyC.map(\.entry.value) == [.long(77)] && onlyC.allSatisfy { $0.state == 2 && $0.entry.keyGroup == 5 })
            do {
                _ = try FlinkKeyedStateLayout.decodeHeapKeyGroup(cFirst, layouts: layouts, compressed: compressed, only: 0)
                Issue.record("opaque heap state decoded")
            } catch let e as FlinkSerializerError {
                #expect(e.serializerClass == Self.geoClass && e.state == "a", "\(e)")
            }
            // Compressed streams delimit each state, so c is found behind a; uncompressed blocks do not.
            let aFirst = Self.heapKeyGroup([a, c], compressed: compressed)
            if compressed {
                #expect(try FlinkKeyedStateLayout.decodeHeapKeyGroup(aFirst, layouts: layouts, compressed: true, only: 2).map(\.entry.value) == [.long(77)])
            } else {
                do {
                    _ = try FlinkKeyedStateLayout.decodeHeapKeyGroup(aFirst, layouts: layouts, only: 2)
                    Issue.record("state c decoded behind an undelimited state")
                } catch let e as FlinkSerializerError {
                    #expect(e.serializerClass == Self.geoClass && e.message.contains("state c is stored after state a"), "\(e)")
                }
            }
        }
    }

    @Test("SQL collection serializers: snapshots and values")
    func sqlCollections() throws {
        let table = "org.apache.flink.table.runtime.typeutils."
        let linked = try B.parse(B.composite(table + "LinkedListSerializer$LinkedListSerializerSnapshot", outerVersion: 3, outer: [1], nested: [B.simple("Int")]))
        #expect(linked == .linkedList(element: .int, nullMask: true))
        // 3 elements, the second null: mask 0b010_00000.
        #expect(try FlinkValueDecoder.decode(B.int(3) + [0x40] + B.int(7) + B.int(8), as: linked) == .list([.int(7), .null, .int(8)]))
        let nullAware = try B.parse(B.composite("org.apache.flink.table.dataview.NullAwareMapSerializerSnapshot", outerVersion: 1,
                                                nested: [B.simple("String"), B.simple("Long")]))
        #expect(nullAware == .nullAwareMap(key: .string, value: .long))
        #expect(try FlinkValueDecoder.decode(B.int(1) + [1, 0] + B.long(4), as: nullAware) == .map([FlinkMapEntry(key: .null, value: .long(4))]))
        let set = try B.parse(B.composite(B.base + "SetSerializerSnapshot", outerVersion: 1, nested: [B.simple("Int")]))
        #expect(try FlinkValueDecoder.decode(B.int(2) + [0] + B.int(1) + [1], as: set) == .array([.int(1), .null]))
        let nullSnapshot = B.utf("org.apache.flink.table.dataview.NullSerializer$NullSerializerSnapshot") + B.int(3)
        let raw = try B.parse(B.composite(table + "RawValueDataSerializer$RawValueDataSerializerSnapshot", outerVersion: 0, nested: [nullSnapshot]))
        #expect(raw == .rawValue(innerClass: "org.apache.flink.table.dataview.NullSerializer$NullSerializerSnapshot", inner: .tableNull))
        #expect(try FlinkValueDecoder.decode(B.int(1) + [0], as: raw) == .opaque(className: table + "RawValueDataSerializer$RawValueDataSerializerSnapshot", bytes: B.int(1) + [0]))
        #expect(try FlinkValueDecoder.decode([0], as: .tableNull) == .null)
        let windowKey = try B.parse(B.composite(table + "WindowKeySerializer$WindowKeySerializerSnapshot", outerVersion: 1,
                                                nested: [B.utf(table + "BinaryRowDataSerializer$BinaryRowDataSerializerSnapshot") + B.int(3) + B.int(1)]))
        var r = JavaDataInput(B.long(60_000) + B.int(16) + [UInt8](repeating: 0, count: 16) + [0xFF])
        if case .opaque(_, let b) = try FlinkValueDecoder.read(&r, windowKey) { #expect(b.count == 28) } else { Issue.record("window key") }
        #expect(r.remaining == 1)
    }

    static let typedSnapshots = FlinkSerializerFixtureTests.snapshots.filter { $0.contains("/typed-") }

    @Test("every typed fixture's SQL GroupAggregate proxy parses, its states decode", arguments: typedSnapshots)
    func sqlProxies(fixture: String) throws {
        let snapshot = try FlinkSnapshot(source: Self.root.appendingPathComponent(fixture).path)
        var found = 0
        for op in snapshot.metadata.operators {
            for st in op.subtasks where !st.finished {
                guard let h = st.managedKeyedState, case .success(let header) = snapshot.keyedHeader(h) else { continue }
                let proxy = try FlinkKeyedBackendProxy(parsing: header)
                #expect(proxy.end == header.count, "\(fixture) \(op.id.hex)")
                for s in proxy.skipped { Issue.record("\(fixture) \(op.id.hex): skipped \(s) — \(s.reason)") }
                guard let acc = proxy.states.first(where: { $0.name == "accState" }) else { continue }
                found += 1
                guard case .rowData(let schema)? = acc.valueSerializer else { Issue.record("\(fixture): accState \(String(describing: acc.valueSerializer))"); continue }
                #expect(schema.types.last?.root == .raw)
                if case .rawValue(let inner, .tableNull)? = schema.fieldSerializers.last {
                    #expect(inner == "org.apache.flink.table.dataview.NullSerializer$NullSerializerSnapshot")
                } else { Issue.record("\(fixture): RAW field serializer \(String(describing: schema.fieldSerializers.last))") }
                let distinct = try #require(proxy.states.first { $0.name == "distinctAcc_0" })
                #expect(distinct.valueSerializer == .map(key: .int, value: .long) && distinct.kind == .map, "\(fixture): \(String(describing: distinct.valueSerializer))")
                try resyncsRealProxy(header, proxy, fixture: fixture)
            }
        }
        #expect(found > 0, "\(fixture): no GroupAggregate")
        // Both states dump; the RAW MapView placeholder is the NullSerializer's one byte.
        guard let op = snapshot.metadata.operators.first(where: { $0.id.hex == "ad96e891995c1b0cd54f63cd496e82aa" }) else { return }
        for state in ["accState", "distinctAcc_0"] {
            var lines = 0
            try snapshot.forEachStateEntry(StateEntryQuery(state: "\(op.id.hex)/\(state)")) { line in
                let text = line.rendered(indent: 0)
                if state == "accState" {
                    #expect(text.contains(#"{"$opaque":"org.apache.flink.table.dataview.NullSerializer$NullSerializerSnapshot","$bytes":"00"}"#), "\(text)")
                }
                lines += 1
                return true
            }
            #expect(lines > 0, "\(fixture) \(state)")
        }
    }

    /// The same real proxy with the SQL snapshot classes renamed to classes Cairn does not know (same length, so
    /// the bytes stay valid): the parse resynchronises past each, innermost first, and the rest is unchanged.
    func resyncsRealProxy(_ header: [UInt8], _ exact: FlinkKeyedBackendProxy, fixture: String) throws {
        var bytes = header
        var renamed = 0
        for name in ["ExternalSerializer$ExternalSerializerSnapshot", "RawValueDataSerializer$RawValueDataSerializerSnapshot"] {
            let from = Array(name.utf8), to = Array(name.replacingOccurrences(of: "Serializer$", with: "Serializex$").utf8)
            var i = 0
            while let at = Self.offset(of: from, in: Array(bytes[i...])).map({ $0 + i }) {
                bytes.replaceSubrange(at..<(at + from.count), with: to)
                renamed += 1
                i = at + to.count
            }
        }
        #expect(renamed >= 3, "\(fixture): \(renamed) SQL snapshots renamed")
        let proxy = try FlinkKeyedBackendProxy(parsing: bytes)
        #expect(proxy.end == header.count && proxy.states.map(\.name) == exact.states.map(\.name))
        #expect(proxy.skipped.count == renamed, "\(fixture): skipped \(proxy.skipped)")
        #expect(proxy.skipped.allSatisfy { $0.className.contains("Serializex$") && $0.state != nil }, "\(fixture): \(proxy.skipped)")
        let distinct = try #require(proxy.states.first { $0.name == "distinctAcc_0" })
        if case .map(.opaque, .opaque)? = distinct.valueSerializer {} else { Issue.record("\(fixture): \(String(describing: distinct.valueSerializer))") }
        // accState keeps its RowData schema; only the RAW field's serializer became opaque.
        guard case .rowData(let schema)? = proxy.states.first(where: { $0.name == "accState" })?.valueSerializer else {
            Issue.record("\(fixture): accState not RowData after resync"); return
        }
        #expect(schema.types.count == 8)
        if case .opaque(let c, _)? = schema.fieldSerializers.last { #expect(c.hasSuffix("RawValueDataSerializex$RawValueDataSerializerSnapshot")) } else {
            Issue.record("\(fixture): RAW field \(String(describing: schema.fieldSerializers.last))")
        }
        #expect(proxy.keySerializer == exact.keySerializer)
    }

    static let compressedSnapshots = FlinkSerializerFixtureTests.snapshots.filter { $0.contains("/hashmap-compressed/") }

    @Test("compressed heap checkpoints and savepoints decode; every key hashes to its stored key group", arguments: compressedSnapshots)
    func compressedHeap(fixture: String) throws {
        let snapshot = try FlinkSnapshot(source: Self.root.appendingPathComponent(fixture).path)
        var perState: [String: Int] = [:]
        var compressedProxies = 0
        for op in snapshot.metadata.operators {
            guard let st = op.subtasks.first(where: { !$0.finished }), case .keyGroups? = st.managedKeyedState else { continue }
            if try snapshot.keyedBackendProxy(operator: op.id, subtask: st.index)?.compressed == true { compressedProxies += 1 }
            try snapshot.forEachDecodedEntry(operator: op.id) { state, e in
                perState[state, default: 0] += 1
                let kg = try FlinkKeyHashing.keyGroup(for: e.key, serializer: .long, maxParallelism: op.maxParallelism)
                #expect(kg == e.keyGroup, "\(fixture) \(state): key \(e.key) hashes to \(kg), stored in \(e.keyGroup)")
            }
        }
        #expect(compressedProxies > 0, "\(fixture): no compressed keyed proxy")
        #expect(perState["count", default: 0] > 0 && perState["attributes", default: 0] > 0, "\(fixture): \(perState)")
        var lines = 0
        try snapshot.forEachStateEntry(StateEntryQuery(state: "keyed-state/recent")) { _ in lines += 1; return true }
        #expect(lines == perState["recent"], "\(fixture): dump of recent")
    }
}
