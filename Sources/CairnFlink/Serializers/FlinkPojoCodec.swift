import CairnCore

/// `PojoSerializer` values (§2.10): a flags byte (1 null, 2 no subclass, 4 subclass by name, 8 registered subclass
/// by tag), then per field `bool isNull` + value, or the subclass serializer's bytes.
enum FlinkPojoCodec {
    static let isNull: UInt8 = 1, noSubclass: UInt8 = 2, isSubclass: UInt8 = 4, isTaggedSubclass: UInt8 = 8

    static func read(_ r: inout JavaDataInput, _ p: FlinkPojoSchema, whole: Bool, depth: Int) throws -> FlinkValue {
        let at = r.position
        let flags = try r.readU8("POJO flags")
        if flags & isNull != 0 { return .null }
        if flags & noSubclass != 0 {
            var fields: [FlinkField] = []
            for (i, f) in p.fields.enumerated() {
                let null = try r.readBool("POJO field \(f.name) is null")
                // The last field of a whole POJO runs to the end, so an opaque (Kryo) last field is still delimited.
                let last = whole && i == p.fields.count - 1
                fields.append(FlinkField(f.name, null ? .null : try FlinkValueDecoder.read(&r, f.serializer, whole: last, depth: depth)))
            }
            return .record(fields)
        }
        if flags & isTaggedSubclass != 0 {
            let tag = Int(try r.readU8("POJO subclass tag"))
            guard tag < p.registeredSubclasses.count else {
                throw FlinkSerializerError(.malformed, "POJO \(p.className) subclass tag \(tag), \(p.registeredSubclasses.count) registered", at: at)
            }
            let sub = p.registeredSubclasses[tag]
            return .subclass(className: sub.className, value: try FlinkValueDecoder.read(&r, sub.serializer, whole: whole, depth: depth))
        }
        if flags & isSubclass != 0 {
            let name = try r.readUTF("POJO subclass name")
            // A non-registered subclass is written by the serializer Flink made for it (a POJO or Kryo one).
            let serializer = p.nonRegisteredSubclasses.first { $0.className == name }?.serializer
                ?? .kryo(className: name)
            return .subclass(className: name, value: try FlinkValueDecoder.read(&r, serializer, whole: whole, depth: depth))
        }
        throw FlinkSerializerError(.malformed, "POJO \(p.className) flags 0x\(String(flags, radix: 16))", at: at)
    }

    static func write(_ v: FlinkValue, _ p: FlinkPojoSchema, to w: inout ByteWriter, depth: Int) throws {
        switch v {
        case .null: w.writeU8(isNull)
        case .record(let fields):
            guard fields.map(\.name) == p.fields.map(\.name) else {
                throw FlinkSerializerError(.invalidInput, "POJO \(p.className) has fields \(p.fields.map(\.name)), the value \(fields.map(\.name))")
            }
            w.writeU8(noSubclass)
            for (f, s) in zip(fields, p.fields) {
                w.writeBool(f.value == .null)
                if f.value != .null { try FlinkValueEncoder.write(f.value, s.serializer, to: &w, depth: depth) }
            }
        case .subclass(let name, let inner):
            if let tag = p.registeredSubclasses.firstIndex(where: { $0.className == name }) {
                w.writeU8(isTaggedSubclass)
                w.writeU8(UInt8(tag))
                try FlinkValueEncoder.write(inner, p.registeredSubclasses[tag].serializer, to: &w, depth: depth)
            } else {
                w.writeU8(isSubclass)
                try FlinkValueEncoder.writeUTF(name, to: &w)
                let s = p.nonRegisteredSubclasses.first { $0.className == name }?.serializer ?? .kryo(className: name)
                try FlinkValueEncoder.write(inner, s, to: &w, depth: depth)
            }
        default:
            throw FlinkSerializerError(.invalidInput, "a POJO \(p.className) value must be a record, a subclass or null")
        }
    }
}
