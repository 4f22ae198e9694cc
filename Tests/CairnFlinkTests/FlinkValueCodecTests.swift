import CairnCore
@testable import CairnFlink
import Testing

/// Snapshot and value bytes built by hand after Flink's Java source (types the fixture job does not use).
enum SnapshotBytes {
    static let base = "org.apache.flink.api.common.typeutils.base."
    static let runtime = "org.apache.flink.api.java.typeutils.runtime."

    static func utf(_ s: String) -> [UInt8] { let b = ModifiedUTF8.encode(s); return [UInt8(b.count >> 8), UInt8(b.count & 0xFF)] + b }
    static func int(_ v: Int32) -> [UInt8] { var w = ByteWriter(); w.writeU32(UInt32(bitPattern: v)); return w.bytes }
    static func long(_ v: Int64) -> [UInt8] { var w = ByteWriter(); w.writeI64(v); return w.bytes }

    /// `writeVersionedSnapshot` of a simple (empty payload, v3) snapshot.
    static func simple(_ name: String) -> [UInt8] { utf(base + "\(name)Serializer$\(name)SerializerSnapshot") + int(3) }

    /// A CompositeTypeSerializerSnapshot: class, v3, outer magic + version + payload, nested block.
    static func composite(_ className: String, outerVersion: Int32, outer: [UInt8] = [], nested: [[UInt8]]) -> [UInt8] {
        utf(className) + int(3) + int(911_108) + int(outerVersion) + outer + nestedBlock(nested)
    }

    static func nestedBlock(_ nested: [[UInt8]]) -> [UInt8] { int(1_333_245) + int(1) + int(Int32(nested.count)) + nested.flatMap { $0 } }

    static func optionalMap(_ entries: [(String, [UInt8]?, [UInt8]?)]) -> [UInt8] {
        var out = long(0x4F2_C69A_3D70) + int(Int32(entries.count))
        for (name, key, value) in entries {
            out += utf(name)
            out += key.map { [1] + int(Int32($0.count)) + $0 } ?? [0]
            out += value.map { [1] + int(Int32($0.count)) + $0 } ?? [0]
        }
        return out
    }

    static func parse(_ bytes: [UInt8]) throws -> FlinkTypeSerializer {
        var r = JavaDataInput(bytes)
        let s = try FlinkSerializerSnapshotReader.readVersioned(&r)
        #expect(r.isAtEnd, "snapshot parse stopped at \(r.position) of \(bytes.count)")
        return try #require(s.serializer)
    }

    // A minimal Java serialization stream of a Flink LogicalType (ObjectOutputStream protocol 2).
    static func javaLogicalType(_ simpleName: String, root: String, nullable: Bool, intFields: [(String, Int32)] = []) -> [UInt8] {
        var b: [UInt8] = [0xAC, 0xED, 0x00, 0x05, 0x73, 0x72] + utf("org.apache.flink.table.types.logical.\(simpleName)") + long(1)
        b += [0x02] + [0, UInt8(intFields.count)]
        for (name, _) in intFields { b += [0x49] + utf(name) }
        b += [0x78]
        // superclass LogicalType: boolean isNullable, LogicalTypeRoot typeRoot
        b += [0x72] + utf("org.apache.flink.table.types.logical.LogicalType") + long(1) + [0x02, 0, 2]
        b += [0x5A] + utf("isNullable")
        b += [0x4C] + utf("typeRoot") + [0x74] + utf("Lorg/apache/flink/table/types/logical/LogicalTypeRoot;")
        b += [0x78, 0x70]
        // values: superclass first (isNullable, typeRoot enum), then the subclass's ints
        b += [nullable ? 1 : 0]
        b += [0x7E, 0x72] + utf("org.apache.flink.table.types.logical.LogicalTypeRoot") + long(0) + [0x12, 0, 0, 0x78]
        b += [0x72] + utf("java.lang.Enum") + long(0) + [0x12, 0, 0, 0x78, 0x70]
        b += [0x74] + utf(root)
        for (_, v) in intFields { b += int(v) }
        return b
    }
}

@Suite("Flink serializer snapshots, exact")
struct FlinkSnapshotParserTests {
    typealias B = SnapshotBytes

    @Test("composites: tuple, row, either, nullable, list, map, generic array, TTL, timer")
    func composites() throws {
        let tuple = B.composite(B.runtime + "TupleSerializerSnapshot", outerVersion: 2, outer: B.utf("org.apache.flink.api.java.tuple.Tuple2"),
                                nested: [B.simple("String"), B.simple("Int")])
        #expect(try B.parse(tuple) == .tuple(className: "org.apache.flink.api.java.tuple.Tuple2", fields: [.string, .int]))
        let row = B.composite(B.runtime + "RowSerializer$RowSerializerSnapshot", outerVersion: 4, outer: [1], nested: [B.simple("Long"), B.simple("Double")])
        #expect(try B.parse(row) == .row(supportsRowKind: true, fields: [.long, .double]))
        let row3 = B.composite(B.runtime + "RowSerializer$RowSerializerSnapshot", outerVersion: 3, nested: [B.simple("Long")])
        #expect(try B.parse(row3) == .row(supportsRowKind: true, fields: [.long]))
        let either = B.composite(B.runtime + "JavaEitherSerializerSnapshot", outerVersion: 1, nested: [B.simple("Int"), B.simple("String")])
        #expect(try B.parse(either) == .either(left: .int, right: .string))
        let nullable = B.composite(B.runtime + "NullableSerializer$NullableSerializerSnapshot", outerVersion: 2, outer: B.int(8), nested: [B.simple("Long")])
        #expect(try B.parse(nullable) == .nullable(paddingLength: 8, inner: .long))
        #expect(FlinkTypeSerializer.nullable(paddingLength: 8, inner: .long).javaLength == 9)
        let generic = B.composite(B.base + "GenericArraySerializerSnapshot", outerVersion: 1, outer: B.utf("java.lang.String"), nested: [B.simple("String")])
        #expect(try B.parse(generic) == .genericArray(componentClass: "java.lang.String", element: .string))
        let timer = B.composite("org.apache.flink.streaming.api.operators.TimerSerializerSnapshot", outerVersion: 2,
                                nested: [tuple, B.utf("org.apache.flink.streaming.api.windowing.windows.TimeWindow$Serializer$TimeWindowSerializerSnapshot") + B.int(3)])
        #expect(try B.parse(timer) == .timer(key: .tuple(className: "org.apache.flink.api.java.tuple.Tuple2", fields: [.string, .int]), namespace: .timeWindow(table: false)))
        // Legacy (snapshot version ≤ 2): no outer magic, the outer payload read with the snapshot version.
        let legacyTuple = B.utf(B.runtime + "TupleSerializerSnapshot") + B.int(2) + B.utf("org.apache.flink.api.java.tuple.Tuple1") + B.nestedBlock([B.simple("Int")])
        #expect(try B.parse(legacyTuple) == .tuple(className: "org.apache.flink.api.java.tuple.Tuple1", fields: [.int]))
        // SQL ListView: exactly its nested ListSerializer.
        let list = B.composite(B.base + "ListSerializerSnapshot", outerVersion: 1, nested: [B.simple("Long")])
        #expect(try B.parse(B.composite("org.apache.flink.table.dataview.ListViewSerializerSnapshot", outerVersion: 1, nested: [list])) == .list(.long))
        // Simple snapshot v2 carries a class name.
        #expect(try B.parse(B.utf(B.base + "IntSerializer$IntSerializerSnapshot") + B.int(2) + B.utf(B.base + "IntSerializer")) == .int)
    }

    @Test("enum, POJO with an unknown framed field, Kryo, Avro")
    func userTypes() throws {
        let e = B.utf(B.base + "EnumSerializer$EnumSerializerSnapshot") + B.int(3) + B.utf("com.acme.Color") + B.int(3) + B.utf("RED") + B.utf("GREEN") + B.utf("BLUE")
        #expect(try B.parse(e) == .enumeration(className: "com.acme.Color", constants: ["RED", "GREEN", "BLUE"]))
        let unknown = B.utf("com.acme.MySerializer$Snapshot") + B.int(7) + [1, 2, 3]
        let pojo = B.utf(B.runtime + "PojoSerializerSnapshot") + B.int(2) + B.utf("com.acme.Order")
            + B.optionalMap([("amount", B.utf("com.acme.Order") + B.utf("amount"), B.simple("Double")),
                             ("blob", B.utf("com.acme.Base") + B.utf("blob"), unknown),
                             ("id", B.utf("com.acme.Order") + B.utf("id"), B.simple("Long"))])
            + B.optionalMap([("com.acme.BigOrder", [], B.simple("Long"))]) + B.optionalMap([])
        guard case .pojo(let p) = try B.parse(pojo) else { Issue.record("not a POJO"); return }
        #expect(p.className == "com.acme.Order" && p.fields.map(\.name) == ["amount", "blob", "id"])
        #expect(p.fields[1].declaringClass == "com.acme.Base" && p.fields[1].serializer == .opaque(className: "com.acme.MySerializer$Snapshot", version: 7))
        #expect(p.registeredSubclasses == [.init(className: "com.acme.BigOrder", serializer: .long)])
        let kryo = B.utf(B.runtime + "kryo.KryoSerializerSnapshot") + B.int(2) + B.utf("com.acme.Thing")
            + B.optionalMap([("com.acme.Thing", nil, [9, 9, 9])]) + B.optionalMap([("x", [1], [2, 3])]) + B.optionalMap([])
        #expect(try B.parse(kryo).name == "KryoSerializer<com.acme.Thing>")
        // The framed maps are skipped exactly: the next snapshot starts right after.
        var r = JavaDataInput(kryo + B.simple("Int"))
        _ = try FlinkSerializerSnapshotReader.readVersioned(&r)
        #expect(try FlinkSerializerSnapshotReader.readVersioned(&r).serializer == .int)
        let schema = #"{"type":"record","name":"User","namespace":"com.acme","fields":[{"name":"name","type":"string"},{"name":"age","type":["null","int"]},{"name":"tags","type":{"type":"array","items":"string"}},{"name":"attrs","type":{"type":"map","values":"long"}},{"name":"color","type":{"type":"enum","name":"Color","symbols":["RED","BLUE"]}},{"name":"id","type":{"type":"fixed","name":"Id","size":2}},{"name":"friend","type":["null","User"]}]}"#
        var w = ByteWriter()
        FlinkStringValue.write("com.acme.User", to: &w)
        FlinkStringValue.write(schema, to: &w)
        let avro = B.utf("org.apache.flink.formats.avro.typeutils.AvroSerializerSnapshot") + B.int(3) + w.bytes
        guard case .avro(let cls, let s) = try B.parse(avro) else { Issue.record("not Avro"); return }
        #expect(cls == "com.acme.User")
        guard case .record(let name, let fields) = s.root else { Issue.record("not a record"); return }
        #expect(name == "com.acme.User" && fields.map(\.name) == ["name", "age", "tags", "attrs", "color", "id", "friend"])
    }

    @Test("an unknown snapshot class stops the parse with a typed error naming class, version and offset")
    func unknownClass() throws {
        let bytes = B.composite(B.base + "ListSerializerSnapshot", outerVersion: 1, nested: [B.utf("com.acme.Custom$Snap") + B.int(4) + [0, 0]])
        var r = JavaDataInput(bytes)
        do {
            _ = try FlinkSerializerSnapshotReader.readVersioned(&r)
            Issue.record("parsed an unknown class")
        } catch let e as FlinkSerializerError {
            #expect(e.kind == .unknownSerializer && e.serializerClass == "com.acme.Custom$Snap")
            #expect(e.description.contains("Cairn cannot read this serializer") && e.description.contains("version 4") && e.offset != nil)
            #expect(e.exitStatus == 1)
        }
    }

    @Test("SQL RowData snapshot: Java-serialized LogicalTypes, nested block, names (v4)")
    func rowData() throws {
        let types = B.javaLogicalType("IntType", root: "INTEGER", nullable: false)
            + B.javaLogicalType("VarCharType", root: "VARCHAR", nullable: true, intFields: [("length", 10)])
            + B.javaLogicalType("DecimalType", root: "DECIMAL", nullable: true, intFields: [("precision", 20), ("scale", 2)])
        let nested = B.nestedBlock([B.simple("Int"),
                                    B.utf("org.apache.flink.table.runtime.typeutils.StringDataSerializer$StringDataSerializerSnapshot") + B.int(3),
                                    B.utf("org.apache.flink.table.runtime.typeutils.DecimalDataSerializer$DecimalSerializerSnapshot") + B.int(1) + B.int(20) + B.int(2)])
        let bytes = B.utf("org.apache.flink.table.runtime.typeutils.RowDataSerializer$RowDataSerializerSnapshot") + B.int(4) + B.int(3) + types + nested
            + [1] + B.utf("id") + B.utf("name") + B.utf("price")
        guard case .rowData(let schema) = try B.parse(bytes) else { Issue.record("not RowData"); return }
        #expect(schema.types.map(\.description) == ["INT NOT NULL", "VARCHAR(10)", "DECIMAL(20, 2)"])
        #expect(schema.fieldSerializers == [.int, .stringData, .decimalData(precision: 20, scale: 2)])
        #expect(schema.names == ["id", "name", "price"])
    }
}

@Suite("Flink values: decode, encode, JSON")
struct FlinkValueCodecTests {
    static func roundTrip(_ v: FlinkValue, _ s: FlinkTypeSerializer, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let bytes = try FlinkValueEncoder.encode(v, as: s)
        let back = try FlinkValueDecoder.decode(bytes, as: s)
        #expect(back == v, sourceLocation: sourceLocation)
        #expect(try FlinkValueEncoder.encode(back, as: s) == bytes, sourceLocation: sourceLocation)
    }

    @Test("strings: StringValue varints, null, long, surrogate pairs")
    func strings() throws {
        #expect(try FlinkValueEncoder.encode(.string("ab"), as: .string) == [3, 0x61, 0x62])
        #expect(try FlinkValueEncoder.encode(.null, as: .string) == [0])
        #expect(try FlinkValueEncoder.encode(.string("é"), as: .string) == [2, 0xE9, 0x01])
        #expect(try FlinkValueEncoder.encode(.string("😀"), as: .string) == [3, 0xBD, 0xB0, 0x03, 0x80, 0xBC, 0x03])
        for s in ["", "k-42", String(repeating: "x", count: 70_000), "a😀b\u{0}ü"] { try Self.roundTrip(.string(s), .string) }
        #expect(FlinkKeyHashing.stringHash("😀") == Int32(truncatingIfNeeded: 0xD83D * 31 + 0xDE00))
    }

    @Test("primitives, big numbers, dates, arrays, with nulls and negatives")
    func primitives() throws {
        try Self.roundTrip(.int(-5), .int)
        try Self.roundTrip(.long(Int64.min), .long)
        try Self.roundTrip(.double(-0.5), .double)
        try Self.roundTrip(.float(.infinity), .float)
        try Self.roundTrip(.char(0xD83D), .char)
        for d in ["0", "1", "10", "-1", "255", "-128", "123456789012345678901234567890", "-98765432109876543210"] { try Self.roundTrip(.decimal(d), .bigInteger) }
        #expect(try FlinkValueEncoder.encode(.decimal("255"), as: .bigInteger) == SnapshotBytes.int(6) + [0x00, 0xFF])
        for d in ["1.50", "-0.001", "12345678901234567890.123", "0"] { try Self.roundTrip(.decimal(d), .bigDecimal) }
        try Self.roundTrip(.null, .bigDecimal)
        try Self.roundTrip(.null, .date(.sqlDate))
        try Self.roundTrip(.timestamp(millis: -1, nanos: 999_000_000), .sqlTimestamp)
        try Self.roundTrip(.instant(seconds: 1, nanos: 2), .instant)
        try Self.roundTrip(.localDateTime(year: -5, month: 12, day: 31, hour: 23, minute: 59, second: 58, nano: 1), .localDateTime)
        try Self.roundTrip(.null, .localDateTime)
        try Self.roundTrip(.bytes([]), .bytes)
        try Self.roundTrip(.array([.int(1), .int(-1)]), .primitiveArray(.int))
        try Self.roundTrip(.array([.string("a"), .null]), .stringArray)
        try Self.roundTrip(.array([.long(1), .null]), .genericArray(componentClass: "java.lang.Long", element: .long))
        #expect(FlinkValue.double(.nan).json.rendered(indent: 0) == "\"NaN\"")
        #expect(FlinkValue.bytes([0xAB, 0x01]).json == .string("ab01"))
        #expect(FlinkValue.timestamp(millis: 5, nanos: 6).json.rendered(indent: 0) == #"{"epochMillis":5,"nanos":6}"#)
    }

    @Test("composites: tuple, row mask MSB-first, either, nullable padding, list, map, TTL, windows, timers")
    func composites() throws {
        let tuple = FlinkTypeSerializer.tuple(className: "org.apache.flink.api.java.tuple.Tuple2", fields: [.string, .long])
        try Self.roundTrip(.tuple([.string("k"), .long(-7)]), tuple)
        #expect(FlinkValue.tuple([.string("k"), .long(1)]).json.rendered(indent: 0) == #"{"f0":"k","f1":1}"#)
        let row = FlinkTypeSerializer.row(supportsRowKind: true, fields: [.int, .string, .long])
        // kind UPDATE_AFTER (2): bits 0,1 = 0,1; field 1 null → bit 3: mask 0b0101_0000
        let rowBytes = try FlinkValueEncoder.encode(.row(kind: .updateAfter, fields: [.int(1), .null, .long(2)]), as: row)
        #expect(rowBytes.first == 0x50)
        try Self.roundTrip(.row(kind: .delete, fields: [.null, .null, .null]), row)
        #expect(FlinkValue.row(kind: .updateAfter, fields: [.int(1), .null]).json.rendered(indent: 0) == #"{"kind":"+U","fields":[1,null]}"#)
        try Self.roundTrip(.row(kind: .insert, fields: Array(repeating: .int(3), count: 9)), .row(supportsRowKind: false, fields: Array(repeating: .int, count: 9)))
        try Self.roundTrip(.left(.int(1)), .either(left: .int, right: .string))
        try Self.roundTrip(.right(.string("r")), .either(left: .int, right: .string))
        let nullable = FlinkTypeSerializer.nullable(paddingLength: 8, inner: .long)
        #expect(try FlinkValueEncoder.encode(.null, as: nullable) == [1] + [UInt8](repeating: 0, count: 8))
        try Self.roundTrip(.long(3), nullable)
        try Self.roundTrip(.list([]), .list(.long))
        try Self.roundTrip(.map([FlinkMapEntry(key: .int(1), value: .null), FlinkMapEntry(key: .int(2), value: .string("b"))]), .map(key: .int, value: .string))
        try Self.roundTrip(.ttl(lastAccessTimestamp: 1_700_000_000_000, value: .long(4)), .ttl(.long))
        try Self.roundTrip(.timer(timestamp: -3, key: .long(9), namespace: .timeWindow(start: 0, end: 60_000)), .timer(key: .long, namespace: .timeWindow(table: false)))
        #expect(try FlinkValueEncoder.encode(.timer(timestamp: 0, key: .long(0), namespace: .voidNamespace), as: .timer(key: .long, namespace: .voidNamespace)).first == 0x80)
        #expect(FlinkValue.ttl(lastAccessTimestamp: 1, value: .long(2)).json.rendered(indent: 0) == #"{"lastAccessTimestamp":1,"value":2}"#)
        #expect(FlinkValue.voidNamespace.json == .null && FlinkValue.globalWindow.json == .string("GlobalWindow"))
    }

    @Test("enum, POJO (null, fields, tagged and named subclasses), Kryo opaque")
    func userTypes() throws {
        let e = FlinkTypeSerializer.enumeration(className: "C", constants: ["A", "B"])
        try Self.roundTrip(.enumConstant(index: 1, name: "B"), e)
        #expect(throws: FlinkSerializerError.self) { try FlinkValueDecoder.decode(SnapshotBytes.int(2), as: e) }
        let pojo = FlinkPojoSchema(className: "com.acme.Order",
                                   fields: [.init(name: "amount", declaringClass: "com.acme.Order", serializer: .double),
                                            .init(name: "note", declaringClass: "com.acme.Order", serializer: .string)],
                                   registeredSubclasses: [.init(className: "com.acme.Big", serializer: .long)])
        try Self.roundTrip(.null, .pojo(pojo))
        try Self.roundTrip(.record([FlinkField("amount", .double(2.5)), FlinkField("note", .null)]), .pojo(pojo))
        try Self.roundTrip(.subclass(className: "com.acme.Big", value: .long(5)), .pojo(pojo))
        let named = try FlinkValueDecoder.decode([4] + SnapshotBytes.utf("com.acme.Other") + [1, 2, 3], as: .pojo(pojo))
        #expect(named == .subclass(className: "com.acme.Other", value: .opaque(className: FlinkValueDecoder.kryoSnapshotClass, bytes: [1, 2, 3])))
        #expect(named.json.rendered(indent: 0) == #"{"$class":"com.acme.Other","$opaque":"010203"}"#)
        let kryo = try FlinkValueDecoder.decode([1, 2], as: .kryo(className: "X"))
        #expect(kryo.json.rendered(indent: 0).contains(#""$bytes":"0102""#))
        // Not delimited: inside a tuple, a Kryo field cannot be skipped, so the tuple is shown whole where it is
        // delimited (a whole value), and cannot be read where nothing delimits it (a heap checkpoint's stream).
        let tuple = FlinkTypeSerializer.tuple(className: "T", fields: [.kryo(className: "X"), .int])
        let whole = try FlinkValueDecoder.decode([1, 2], as: tuple)
        guard case .opaque(let name, let bytes) = whole else { Issue.record("not opaque: \(whole)"); return }
        #expect(bytes == [1, 2] && name.hasPrefix(tuple.name) && name.hasSuffix("holding " + FlinkValueDecoder.kryoSnapshotClass))
        #expect(throws: FlinkSerializerError.self) {
            var stream = JavaDataInput([1, 2, 0, 0, 0, 7])
            _ = try FlinkValueDecoder.read(&stream, tuple, whole: false)
        }
    }

    @Test("Avro values through DataOutputEncoder")
    func avro() throws {
        let schema = try AvroSchema.parse(#"{"type":"record","name":"User","fields":[{"name":"name","type":"string"},{"name":"age","type":["null","int"]},{"name":"tags","type":{"type":"array","items":"string"}},{"name":"attrs","type":{"type":"map","values":"long"}},{"name":"color","type":{"type":"enum","name":"Color","symbols":["RED","BLUE"]}},{"name":"id","type":{"type":"fixed","name":"Id","size":2}},{"name":"friend","type":["null","User"]}]}"#)
        let s = FlinkTypeSerializer.avro(runtimeClass: "User", schema: schema)
        let inner = FlinkValue.record([FlinkField("name", .string("b")), FlinkField("age", .union(branch: 0, value: .null)), FlinkField("tags", .array([])),
                                       FlinkField("attrs", .record([])), FlinkField("color", .enumConstant(index: 0, name: "RED")),
                                       FlinkField("id", .bytes([0, 0])), FlinkField("friend", .union(branch: 0, value: .null))])
        let v = FlinkValue.record([FlinkField("name", .string("ä")), FlinkField("age", .union(branch: 1, value: .int(-3))), FlinkField("tags", .array([.string("x"), .string("y")])),
                                   FlinkField("attrs", .record([FlinkField("k", .long(1))])), FlinkField("color", .enumConstant(index: 1, name: "BLUE")),
                                   FlinkField("id", .bytes([1, 2])), FlinkField("friend", .union(branch: 1, value: inner))])
        try Self.roundTrip(v, s)
        let bytes = try FlinkValueEncoder.encode(v, as: s)
        #expect(Array(bytes.prefix(6)) == [0, 0, 0, 2, 0xC3, 0xA4])  // int length + UTF-8
        #expect(v.json.rendered(indent: 0).hasPrefix(#"{"name":"ä","age":-3,"tags":["x","y"],"attrs":{"k":1},"color":"BLUE","id":"0102""#))
    }

    @Test("SQL BinaryRowData: slots, inline strings, long strings, decimals, timestamps, nested row, array, map")
    func binaryRow() throws {
        let t = [FlinkLogicalType(root: .integer), FlinkLogicalType(root: .varchar), FlinkLogicalType(root: .varchar),
                 FlinkLogicalType(root: .decimal, precision: 10, scale: 2), FlinkLogicalType(root: .decimal, precision: 30, scale: 3),
                 FlinkLogicalType(root: .timestamp, precision: 9), FlinkLogicalType(root: .bigint),
                 FlinkLogicalType(root: .row, children: [FlinkLogicalType(root: .boolean)], fieldNames: ["b"]),
                 FlinkLogicalType(root: .array, children: [FlinkLogicalType(root: .integer)]),
                 FlinkLogicalType(root: .map, children: [FlinkLogicalType(root: .varchar), FlinkLogicalType(root: .double)])]
        let s = FlinkTypeSerializer.rowData(FlinkRowDataSchema(types: t, fieldSerializers: []))
        let v = FlinkValue.row(kind: .updateBefore, fields: [
            .int(-1), .string("short"), .string("a longer string"), .decimal("-12.50"), .decimal("123456789012345678901234567.891"),
            .timestamp(millis: 1_700_000_000_123, nanos: 456_789), .null, .row(kind: .insert, fields: [.boolean(true)]),
            .array([.int(1), .null, .int(3)]), .map([FlinkMapEntry(key: .string("k"), value: .double(1.5))]),
        ])
        try Self.roundTrip(v, s)
        let bytes = try FlinkValueEncoder.encode(v, as: s)
        let row = Array(bytes.dropFirst(4))
        #expect(row[0] == 1)  // RowKind byte
        #expect(row[(6 + 8) >> 3] & (1 << UInt8((6 + 8) & 7)) != 0)  // field 6 null bit, LSB-first
        let slot1 = 8 + 8  // the header and null bits of 10 fields take 8 bytes; slot 1 holds "short" inline
        #expect(Array(row[slot1..<(slot1 + 5)]) == Array("short".utf8) && row[slot1 + 7] == 0x85)
        // hash: MathUtils.murmurHash over BinaryRowData.hashCode (murmur3 seed 42 over the row's words).
        let h = try FlinkKeyHashing.javaHashCode(v, s)
        #expect(h == Int32(bitPattern: Murmur3.hash32(row, seed: 42)))
    }

    @Test("key hashing matches Java's hashCode and Flink's key groups")
    func hashing() throws {
        // Java: "k-42".hashCode() = ((107·31 + 45)·31 + 52)·31 + 50 = 3_232_544; Long.hashCode(-1) = 0; Boolean.TRUE = 1231.
        #expect(FlinkKeyHashing.stringHash("k-42") == 3_232_544)
        #expect(try FlinkKeyHashing.javaHashCode(.long(-1), .long) == 0)
        #expect(try FlinkKeyHashing.javaHashCode(.long(1 << 32), .long) == 1)
        #expect(try FlinkKeyHashing.javaHashCode(.boolean(true), .boolean) == 1231)
        #expect(try FlinkKeyHashing.javaHashCode(.double(1.0), .double) == 1_072_693_248)
        // Tuple2("a", 1): 31 * "a".hashCode() + 1 = 31 * 97 + 1
        #expect(try FlinkKeyHashing.javaHashCode(.tuple([.string("a"), .int(1)]), .tuple(className: "T2", fields: [.string, .int])) == 3008)
        // Row.of(1): kind 0 → 31 * 0 + (31 * 1 + (31 + 1))
        #expect(try FlinkKeyHashing.javaHashCode(.row(kind: .insert, fields: [.int(1)]), .row(supportsRowKind: true, fields: [.int])) == 63)
        #expect(FlinkKeyHashing.murmurHash(0) >= 0 && FlinkKeyHashing.keyGroup(forHash: 42, maxParallelism: 128) < 128)
        #expect(throws: FlinkSerializerError.self) { try FlinkKeyHashing.javaHashCode(.enumConstant(index: 0, name: "A"), .enumeration(className: "E", constants: ["A"])) }
        #expect(throws: FlinkSerializerError.self) { try FlinkKeyHashing.javaHashCode(.record([]), .pojo(FlinkPojoSchema(className: "P", fields: []))) }
    }

    @Test("typed keys from the command line")
    func keys() throws {
        #expect(try FlinkKeyParser.parse("k-1", for: .string) == .string("k-1"))
        #expect(try FlinkKeyParser.parse("-42", for: .long) == .long(-42))
        #expect(try FlinkKeyParser.parse("true", for: .boolean) == .boolean(true))
        #expect(try FlinkKeyParser.parse(#"["a", 2]"#, for: .tuple(className: "T", fields: [.string, .int])) == .tuple([.string("a"), .int(2)]))
        #expect(try FlinkKeyParser.parse(#"{"f0": "a", "f1": 2}"#, for: .tuple(className: "T", fields: [.string, .int])) == .tuple([.string("a"), .int(2)]))
        #expect(throws: FlinkSerializerError.self) { try FlinkKeyParser.parse("x", for: .int) }
    }

    @Test("absurd lengths and damaged bytes fail with typed errors, without allocating")
    func damage() throws {
        #expect(throws: (any Error).self) { try FlinkValueDecoder.decode([0x7F, 0xFF, 0xFF, 0xFF], as: .list(.long)) }
        #expect(throws: (any Error).self) { try FlinkValueDecoder.decode([0xFF, 0xFF, 0xFF, 0xFF, 0x0F], as: .string) }
        #expect(throws: (any Error).self) { try FlinkValueDecoder.decode([0, 0, 0, 1], as: .long) }
        #expect(throws: (any Error).self) { try FlinkValueDecoder.decode([1, 2], as: .boolean) }
        var deep = FlinkTypeSerializer.long
        for _ in 0..<100 { deep = .list(deep) }
        #expect(throws: FlinkSerializerError.self) { try FlinkValueDecoder.decode([UInt8](repeating: 0, count: 3) + [1] + [UInt8](repeating: 0, count: 400), as: deep) }
    }
}
