import CairnCore
@testable import CairnFlink
import Testing

/// Keyed-state entry layouts (research notes §3) on bytes built after Flink's `CompositeKeySerializationUtils`,
/// `ListDelimitedSerializer` and heap snapshot writers, for shapes the fixtures do not have.
@Suite("Flink keyed state entry layouts")
struct FlinkEntryLayoutTests {
    static func str(_ s: String) -> [UInt8] { try! FlinkValueEncoder.encode(.string(s), as: .string) }

    static func record(_ kind: String, value: FlinkTypeSerializer, namespace: FlinkTypeSerializer = .voidNamespace) -> FlinkStateMetaRecord {
        FlinkStateMetaRecord(name: "s", backendStateType: .keyValue, options: ["KEYED_STATE_TYPE": kind],
                             serializers: ["VALUE_SERIALIZER": FlinkSerializerSnapshot(className: "v", version: 3, serializer: value),
                                           "NAMESPACE_SERIALIZER": FlinkSerializerSnapshot(className: "n", version: 3, serializer: namespace)])
    }

    @Test("length suffixes appear only when key and namespace are both variable-length")
    func ambiguousKeys() throws {
        let layout = FlinkKeyedStateLayout(keySerializer: .string, state: Self.record("MAP", value: .map(key: .int, value: .string), namespace: .string),
                                           maxParallelism: 300)
        // key group 0x0102 (2 bytes above 128), key "k-1" (4 bytes) + suffix 04, namespace "ns" (3 bytes) + suffix 03, user key 7
        let key: [UInt8] = [0x01, 0x02] + Self.str("k-1") + [4] + Self.str("ns") + [3] + [0, 0, 0, 7]
        let e = try layout.decodeKeyValue(key: key, value: [1])
        #expect(e == FlinkStateEntry(keyGroup: 258, key: .string("k-1"), namespace: .string("ns"), userKey: .int(7), value: .null))
        // A 300-character key: its length 301 bytes takes two little-endian suffix bytes.
        let long = String(repeating: "x", count: 300)
        let key2: [UInt8] = [0, 5] + Self.str(long) + [0x2F, 0x01] + Self.str("") + [1] + [0, 0, 0, 1]
        #expect(Self.str(long).count == 302)
        let key2Fixed: [UInt8] = [0, 5] + Self.str(long) + [0x2E, 0x01] + Self.str("") + [1] + [0, 0, 0, 1]
        #expect(throws: (any Error).self) { try layout.decodeKeyValue(key: key2, value: [0] + Self.str("v")) }
        let e2 = try layout.decodeKeyValue(key: key2Fixed, value: [0] + Self.str("v"))
        #expect(e2.key == .string(long) && e2.value == .string("v") && e2.userKey == .int(1))
        // With a VoidNamespace (fixed length) there are no suffixes.
        let plain = FlinkKeyedStateLayout(keySerializer: .string, state: Self.record("VALUE", value: .long), maxParallelism: 128)
        #expect(try plain.decodeKeyValue(key: [9] + Self.str("k") + [0], value: SnapshotBytes.long(5)).value == .long(5))
        #expect(FlinkTypeSerializer.voidNamespace.isFixedLength && !FlinkTypeSerializer.string.isFixedLength)
    }

    @Test("list state: elements separated by ',', TTL per element; damaged delimiters are errors")
    func lists() throws {
        let layout = FlinkKeyedStateLayout(keySerializer: .long, state: Self.record("LIST", value: .list(.ttl(.string))), maxParallelism: 128)
        let element = { (ts: Int64, s: String) in SnapshotBytes.long(ts) + Self.str(s) }
        let value = element(1, "a") + [0x2C] + element(2, ",") + [0x2C] + element(3, "")
        let e = try layout.decodeKeyValue(key: [3] + SnapshotBytes.long(42) + [0], value: value)
        #expect(e.value == .list([.ttl(lastAccessTimestamp: 1, value: .string("a")), .ttl(lastAccessTimestamp: 2, value: .string(",")),
                                  .ttl(lastAccessTimestamp: 3, value: .string(""))]))
        #expect(e.value.json.rendered(indent: 0) == #"[{"lastAccessTimestamp":1,"value":"a"},{"lastAccessTimestamp":2,"value":","},{"lastAccessTimestamp":3,"value":""}]"#)
        #expect(throws: FlinkSerializerError.self) { try layout.decodeKeyValue(key: [3] + SnapshotBytes.long(42) + [0], value: element(1, "a") + [0x2D] + element(2, "b")) }
        #expect(try layout.decodeKeyValue(key: [3] + SnapshotBytes.long(42) + [0], value: []).value == .list([]))
    }

    @Test("heap key group: namespace before key, whole maps exploded into entries, timers")
    func heap() throws {
        let map = FlinkKeyedStateLayout(keySerializer: .long, state: Self.record("MAP", value: .map(key: .int, value: .string)), maxParallelism: 128)
        var timers = Self.record("VALUE", value: .timer(key: .long, namespace: .voidNamespace))
        timers.backendStateType = .priorityQueue
        let timerLayout = FlinkKeyedStateLayout(keySerializer: .long, state: timers, maxParallelism: 128)
        var b = SnapshotBytes.int(5)
        b += [0, 0] + SnapshotBytes.int(1) + [0] + SnapshotBytes.long(9)
            + SnapshotBytes.int(2) + SnapshotBytes.int(0) + [0] + Self.str("x") + SnapshotBytes.int(1) + [1]
        b += [0, 1] + SnapshotBytes.int(1) + SnapshotBytes.long(1000 ^ Int64.min) + SnapshotBytes.long(9) + [0]
        let entries = try FlinkKeyedStateLayout.decodeHeapKeyGroup(b, layouts: [map, timerLayout])
        #expect(entries.map(\.state) == [0, 0, 1])
        #expect(entries[0].entry == FlinkStateEntry(keyGroup: 5, key: .long(9), namespace: .voidNamespace, userKey: .int(0), value: .string("x")))
        #expect(entries[1].entry.userKey == .int(1) && entries[1].entry.value == .null)
        #expect(entries[2].entry == FlinkStateEntry(keyGroup: 5, key: .long(9), namespace: .voidNamespace, value: .long(1000)))
        // An absurd count is refused before anything is allocated.
        #expect(throws: (any Error).self) { try FlinkKeyedStateLayout.decodeHeapKeyGroup(SnapshotBytes.int(5) + [0, 0, 0x7F, 0xFF, 0xFF, 0xFF], layouts: [map]) }
    }

    @Test("a keyed proxy older than version 6 is refused with what to do")
    func oldProxy() {
        do {
            _ = try FlinkKeyedBackendProxy(parsing: SnapshotBytes.int(5) + [0])
            Issue.record("accepted version 5")
        } catch let e as FlinkSerializerError {
            #expect(e.kind == .unsupportedVersion && e.description.contains("Flink 1.16"))
        } catch {
            Issue.record("\(error)")
        }
    }
}
