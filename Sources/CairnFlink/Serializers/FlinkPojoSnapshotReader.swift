import CairnCore

/// Reads a `PojoSerializerSnapshot` v2 payload (§2.10): the class, then three length-framed optional maps (fields,
/// registered subclasses, non-registered subclasses). Framing lets an unknown nested snapshot become `.opaque`.
enum FlinkPojoSnapshotReader {
    static func read(_ r: inout JavaDataInput, depth: Int) throws -> FlinkPojoSchema {
        let className = try r.readUTF("POJO class")
        let fieldEntries = try FlinkSerializerSnapshotReader.readOptionalMap(&r, "POJO fields")
        var fields: [FlinkPojoSchema.Field] = []
        for e in fieldEntries {
            var declaring: String?
            if let key = e.key {
                var k = JavaDataInput(key)
                declaring = try k.readUTF("POJO field declaring class")
                _ = try k.readUTF("POJO field name")
            }
            fields.append(.init(name: e.name, declaringClass: declaring, serializer: try framed(e, depth: depth)))
        }
        let registered = try FlinkSerializerSnapshotReader.readOptionalMap(&r, "POJO registered subclasses")
        let other = try FlinkSerializerSnapshotReader.readOptionalMap(&r, "POJO non-registered subclasses")
        return FlinkPojoSchema(
            className: className, fields: fields,
            registeredSubclasses: try registered.map { .init(className: $0.name, serializer: try framed($0, depth: depth)) },
            nonRegisteredSubclasses: try other.map { .init(className: $0.name, serializer: try framed($0, depth: depth)) })
    }

    /// A framed nested snapshot: parsed exactly, or `.opaque` when its class is unknown (the frame delimits it).
    static func framed(_ e: FlinkSerializerSnapshotReader.OptionalMapEntry, depth: Int) throws -> FlinkTypeSerializer {
        guard let bytes = e.value else { return .opaque(className: "(missing serializer of \(e.name))", version: 0) }
        var r = JavaDataInput(bytes)
        do {
            let s = try FlinkSerializerSnapshotReader.readVersioned(&r, depth: depth + 1)
            return s.serializer ?? .opaque(className: s.className, version: s.version)
        } catch let error as FlinkSerializerError where error.kind == .unknownSerializer || error.kind == .unsupportedVersion {
            var head = JavaDataInput(bytes)
            let c = (try? head.readUTF("class")) ?? "?"
            let v = (try? head.readI32("version")) ?? 0
            return .opaque(className: c, version: v)
        }
    }
}
