import CairnCore

/// Byte-level pieces of serializer snapshots for writing evolved ones: Cairn splices new snapshots into the
/// stored bytes instead of re-serializing whole trees, so every snapshot a migration does not change stays
/// byte-identical to what Flink wrote.
public enum FlinkSnapshotBytes {
    static let simpleVersion: Int32 = 3

    /// The serializer names (`LongSerializer` → `Long`) whose `SimpleTypeSerializerSnapshot` a new field can use.
    static let primitiveNames: [(FlinkTypeSerializer, String)] = [
        (.boolean, "Boolean"), (.byte, "Byte"), (.short, "Short"), (.int, "Int"), (.long, "Long"), (.float, "Float"),
        (.double, "Double"), (.char, "Char"), (.string, "String"),
    ]

    /// `writeVersionedSnapshot` of a primitive's snapshot (`SimpleTypeSerializerSnapshot` v3 has no payload), or
    /// nil when `t` is not one.
    static func primitive(_ t: FlinkTypeSerializer) -> [UInt8]? {
        guard let n = primitiveNames.first(where: { $0.0 == t })?.1 else { return nil }
        var w = ByteWriter()
        writeUTF(FlinkSerializerSnapshotReader.base + "\(n)Serializer$\(n)SerializerSnapshot", to: &w)
        w.writeU32(UInt32(bitPattern: simpleVersion))
        return w.bytes
    }

    static func writeUTF(_ s: String, to w: inout ByteWriter) {
        let b = ModifiedUTF8.encode(s)
        w.writeU16(UInt16(truncatingIfNeeded: b.count))
        w.writeRaw(b)
    }

    static func writeI32(_ v: Int, to w: inout ByteWriter) { w.writeU32(UInt32(truncatingIfNeeded: v)) }

    /// Where the nested snapshots of a composite snapshot (`CompositeTypeSerializerSnapshot`) lie in `bytes`: the
    /// nested block's start, each nested snapshot's span, and the end. `outer` reads the class's outer payload.
    static func composite(_ bytes: [UInt8], outer: (inout JavaDataInput, Int32) throws -> Void = { _, _ in }) throws -> (block: Int, spans: [Range<Int>], end: Int) {
        var r = JavaDataInput(bytes)
        _ = try r.readUTF("serializer snapshot class")
        let version = try r.readI32("serializer snapshot version")
        var outerVersion = version
        if version > 2 {
            _ = try r.readI32("composite snapshot magic")
            outerVersion = try r.readI32("composite outer version")
        }
        try outer(&r, outerVersion)
        let block = r.position
        _ = try r.readI32("nested snapshots magic")
        _ = try r.readI32("nested snapshots version")
        let n = try r.readCount("nested snapshot count", minimumItemSize: 6)
        var spans: [Range<Int>] = []
        for _ in 0..<n {
            let start = r.position
            _ = try FlinkSerializerSnapshotReader.readVersioned(&r, depth: 1)
            spans.append(start..<r.position)
        }
        return (block, spans, r.position)
    }

    /// A `NestedSerializersSnapshotDelegate` block holding `snapshots` (each in versioned form).
    static func nestedBlock(_ snapshots: [[UInt8]]) -> [UInt8] {
        var w = ByteWriter()
        w.writeU32(UInt32(bitPattern: FlinkSerializerSnapshotReader.nestedMagic))
        w.writeU32(1)
        writeI32(snapshots.count, to: &w)
        for s in snapshots { w.writeRaw(s) }
        return w.bytes
    }

    /// One field of a POJO snapshot's field map, as stored: the name, the framed key (declaring class + field
    /// name) and the framed versioned snapshot of its serializer.
    struct PojoFieldEntry {
        var name: String
        var key: [UInt8]?
        var snapshot: [UInt8]?

        static func key(declaringClass: String, field: String) -> [UInt8] {
            var w = ByteWriter()
            writeUTF(declaringClass, to: &w)
            writeUTF(field, to: &w)
            return w.bytes
        }
    }

    /// A `PojoSerializerSnapshot` v2 split into its parts; the subclass maps are kept as bytes (`tail`).
    struct Pojo {
        var pojoClass: String
        var fields: [PojoFieldEntry]
        var tail: [UInt8]

        init(parsing bytes: [UInt8]) throws {
            var r = JavaDataInput(bytes)
            _ = try r.readUTF("serializer snapshot class")
            _ = try r.readI32("serializer snapshot version")
            pojoClass = try r.readUTF("POJO class")
            fields = try FlinkSerializerSnapshotReader.readOptionalMap(&r, "POJO fields").map {
                PojoFieldEntry(name: $0.name, key: $0.key, snapshot: $0.value)
            }
            let tailStart = r.position
            _ = try FlinkSerializerSnapshotReader.readOptionalMap(&r, "POJO registered subclasses")
            _ = try FlinkSerializerSnapshotReader.readOptionalMap(&r, "POJO non-registered subclasses")
            tail = Array(bytes[tailStart..<r.position])
        }

        /// `PojoSerializerSnapshotData.writeSnapshotData` in versioned form (`PojoSerializerSnapshot` v2).
        var bytes: [UInt8] {
            var w = ByteWriter()
            writeUTF(FlinkSerializerSnapshotReader.runtime + "PojoSerializerSnapshot", to: &w)
            w.writeU32(2)
            writeUTF(pojoClass, to: &w)
            w.writeI64(FlinkSerializerSnapshotReader.optionalMapHeader)
            writeI32(fields.count, to: &w)
            for f in fields {
                writeUTF(f.name, to: &w)
                for frame in [f.key, f.snapshot] {
                    w.writeBool(frame != nil)
                    if let frame {
                        writeI32(frame.count, to: &w)
                        w.writeRaw(frame)
                    }
                }
            }
            w.writeRaw(tail)
            return w.bytes
        }
    }

    /// A STATEMETA record with the serializer snapshot under `key` (e.g. `VALUE_SERIALIZER`) replaced by
    /// `versioned` (class, version, payload); every other byte is kept.
    public static func replacingSerializer(_ key: String, in record: [UInt8], with versioned: [UInt8]) throws -> [UInt8] {
        guard let span = try serializerSpan(key, in: record) else { throw FlinkSerializerError(.malformed, "the state's meta data has no \(key)") }
        return Array(record[..<span.lowerBound]) + versioned + Array(record[span.upperBound...])
    }

    /// The versioned snapshot bytes of the serializer under `key` in a STATEMETA record.
    public static func serializer(_ key: String, in record: [UInt8]) throws -> [UInt8]? {
        try serializerSpan(key, in: record).map { Array(record[$0]) }
    }

    /// Where the versioned snapshot of the serializer under `key` lies in a STATEMETA record.
    private static func serializerSpan(_ key: String, in record: [UInt8]) throws -> Range<Int>? {
        var r = JavaDataInput(record)
        _ = try r.readUTF("state name")
        _ = try r.readI32("backend state type")
        let nOptions = try r.readCount("option count", minimumItemSize: 4)
        for _ in 0..<nOptions {
            _ = try r.readUTF("option key")
            _ = try r.readUTF("option value")
        }
        let n = try r.readCount("serializer count", minimumItemSize: 10)
        for _ in 0..<n {
            let k = try r.readUTF("serializer key")
            _ = try r.readI32("serializer snapshot proxy version")
            let start = r.position
            _ = try FlinkSerializerSnapshotReader.readVersioned(&r)
            if k == key { return start..<r.position }
        }
        return nil
    }
}
