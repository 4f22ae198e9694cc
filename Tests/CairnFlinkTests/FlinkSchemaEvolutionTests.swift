import CairnCore
@testable import CairnFlink
import Testing

/// `FlinkSchemaEvolution` on snapshots built by hand after Flink's Java source (the fixture job has no Avro state,
/// and `flink-avro` is not available here): the evolved snapshot parses back with the new schema, and values
/// written with the old serializer convert into values the new one writes and reads.
@Suite("Flink schema evolution")
struct FlinkSchemaEvolutionTests {
    typealias B = SnapshotBytes

    static let avroSchema = #"{"type":"record","name":"User","namespace":"com.acme","fields":[{"name":"name","type":"string"},{"name":"age","type":"int"},{"name":"score","type":"float"},{"name":"legacy","type":["null","string"]},{"name":"address","type":{"type":"record","name":"Address","fields":[{"name":"city","type":"string"},{"name":"zip","type":"int"}]}}]}"#

    static func avroSnapshot(version: Int32) -> [UInt8] {
        var w = ByteWriter()
        if version == 2 {
            FlinkSnapshotBytes.writeUTF("org.apache.avro.generic.GenericRecord", to: &w)
            FlinkSnapshotBytes.writeUTF(avroSchema, to: &w)
        } else {
            FlinkStringValue.write("org.apache.avro.generic.GenericRecord", to: &w)
            FlinkStringValue.write(avroSchema, to: &w)
        }
        return B.utf("org.apache.flink.formats.avro.typeutils.AvroSerializerSnapshot") + B.int(version) + w.bytes
    }

    static let avroChanges: [FlinkFieldChange] = [
        .widen(path: ["age"], to: .long), .rename(path: ["score"], to: "rating"), .drop(path: ["legacy"]),
        .widen(path: ["address", "zip"], to: .long), .add(path: ["address", "country"], serializer: .string, defaultValue: .string("NL")),
        .add(path: ["vip"], serializer: .boolean, defaultValue: .boolean(false)),
    ]

    @Test("Avro: the writer schema is rewritten (order kept, alias for the renamed field, defaults for new ones) and values convert", arguments: [Int32(2), 3])
    func avro(version: Int32) throws {
        let old = Self.avroSnapshot(version: version)
        let oldType = try B.parse(old)
        let e = try FlinkSchemaEvolution.evolve(valueSnapshot: old, mapState: false, recordType: "User", changes: Self.avroChanges)
        #expect(e.recordType == "com.acme.User")
        guard case .avro(let runtimeClass, let schema) = try B.parse(e.snapshot) else { Issue.record("not Avro"); return }
        #expect(runtimeClass == "org.apache.avro.generic.GenericRecord")
        #expect(schema.json == #"{"type":"record","name":"User","namespace":"com.acme","fields":[{"name":"name","type":"string"},{"name":"age","type":"long"},{"name":"rating","type":"float","aliases":["score"]},{"name":"address","type":{"type":"record","name":"Address","fields":[{"name":"city","type":"string"},{"name":"zip","type":"long"},{"name":"country","type":"string","default":"NL"}]}},{"name":"vip","type":"boolean","default":false}]}"#)
        let address = FlinkValue.record([FlinkField("city", .string("Utrecht")), FlinkField("zip", .int(3511))])
        let v = FlinkValue.record([FlinkField("name", .string("ada")), FlinkField("age", .int(36)), FlinkField("score", .float(0.5)),
                                   FlinkField("legacy", .union(branch: 1, value: .string("x"))), FlinkField("address", address)])
        let stored = try FlinkValueEncoder.encode(v, as: oldType)
        let migrated = try e.conversion.apply(try FlinkValueDecoder.decode(stored, as: oldType))
        let back = try FlinkValueDecoder.decode(try FlinkValueEncoder.encode(migrated, as: e.serializer), as: e.serializer)
        #expect(back == .record([FlinkField("name", .string("ada")), FlinkField("age", .long(36)), FlinkField("rating", .float(0.5)),
                                 FlinkField("address", .record([FlinkField("city", .string("Utrecht")), FlinkField("zip", .long(3511)), FlinkField("country", .string("NL"))])),
                                 FlinkField("vip", .boolean(false))]))
    }

    @Test("Avro refusals: a union is not widened, narrowing is refused, unknown fields are named")
    func avroRefusals() throws {
        let old = Self.avroSnapshot(version: 3)
        let cases: [([FlinkFieldChange], String)] = [
            ([.widen(path: ["legacy"], to: .long)], "not a widening"),
            ([.widen(path: ["name"], to: .int)], "not a widening"),
            ([.widen(path: ["address", "city"], to: .double)], "field address.city"),
            ([.drop(path: ["nope"])], "field nope does not exist"),
            ([.add(path: ["age"], serializer: .long, defaultValue: .long(1))], "already exists"),
        ]
        for (changes, text) in cases {
            #expect(throws: FlinkSchemaEvolution.Refusal.self) { _ = try FlinkSchemaEvolution.evolve(valueSnapshot: old, mapState: false, recordType: "User", changes: changes) }
            do { _ = try FlinkSchemaEvolution.evolve(valueSnapshot: old, mapState: false, recordType: "User", changes: changes) } catch {
                #expect(error.problems.joined().contains(text), "\(error.problems)")
            }
        }
        #expect(throws: FlinkSchemaEvolution.Refusal.self) { _ = try FlinkSchemaEvolution.evolve(valueSnapshot: old, mapState: false, recordType: "Order", changes: [.drop(path: ["name"])]) }
    }

    @Test("Kryo-serialized values are refused: their bytes are Kryo's own stream")
    func kryo() throws {
        let kryo = B.utf(B.runtime + "kryo.KryoSerializerSnapshot") + B.int(2) + B.utf("com.acme.Thing")
            + B.optionalMap([]) + B.optionalMap([]) + B.optionalMap([])
        let list = B.composite(B.base + "ListSerializerSnapshot", outerVersion: 1, nested: [kryo])
        do {
            _ = try FlinkSchemaEvolution.evolve(valueSnapshot: list, mapState: false, recordType: "com.acme.Thing", changes: [.drop(path: ["x"])])
            Issue.record("Kryo migrated")
        } catch {
            #expect(error.problems == ["the state's value is Kryo-serialized (KryoSerializer<com.acme.Thing>): its bytes are Kryo's own stream, whose fields Cairn cannot change"])
        }
    }

    @Test("a POJO inside a MapState value and a TTL wrapper: the new snapshot splices into both wrappers, the map key snapshot keeps its bytes")
    func wrappers() throws {
        let pojo = B.utf(B.runtime + "PojoSerializerSnapshot") + B.int(2) + B.utf("com.acme.Order")
            + B.optionalMap([("amount", B.utf("com.acme.Order") + B.utf("amount"), B.simple("Float")),
                             ("id", B.utf("com.acme.Order") + B.utf("id"), B.simple("Long"))])
            + B.optionalMap([]) + B.optionalMap([])
        let ttl = B.composite("org.apache.flink.runtime.state.ttl.TtlStateFactory$TtlSerializerSnapshot", outerVersion: 2, nested: [B.simple("Long"), pojo])
        let map = B.composite(B.base + "MapSerializerSnapshot", outerVersion: 1, nested: [B.simple("String"), ttl])
        let e = try FlinkSchemaEvolution.evolve(valueSnapshot: map, mapState: true, recordType: "com.acme.Order",
                                                changes: [.widen(path: ["amount"], to: .double), .add(path: ["currency"], serializer: .string, defaultValue: .string("EUR"))])
        guard case .map(.string, .ttl(.pojo(let p))) = try B.parse(e.snapshot) else { Issue.record("shape: \(e.serializer)"); return }
        #expect(p.fields.map(\.name) == ["amount", "currency", "id"])
        #expect(p.fields.map(\.serializer) == [.double, .string, .long])
        #expect(p.fields[1].declaringClass == "com.acme.Order")
        #expect(Array(e.snapshot.prefix(map.count - ttl.count)) == Array(map.prefix(map.count - ttl.count)))
        // A MapState entry's value is the map value: TTL kept, the POJO converted.
        let v = FlinkValue.ttl(lastAccessTimestamp: 42, value: .record([FlinkField("amount", .float(1.5)), FlinkField("id", .long(9))]))
        #expect(try e.conversion.apply(v) == .ttl(lastAccessTimestamp: 42, value: .record([FlinkField("amount", .double(1.5)), FlinkField("currency", .string("EUR")), FlinkField("id", .long(9))])))
        #expect(try e.conversion.apply(.null) == .null)
    }
}
