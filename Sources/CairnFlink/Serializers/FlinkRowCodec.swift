import CairnCore

/// `RowSerializer` values (§2.6, `MaskUtils`): a null mask packed MSB-first (with two RowKind bits first when the
/// serializer supports RowKind), then the non-null fields.
enum FlinkRowCodec {
    static func readRow(_ r: inout JavaDataInput, supportsRowKind: Bool, fields: [FlinkTypeSerializer], depth: Int) throws -> FlinkValue {
        let offset = supportsRowKind ? 2 : 0
        let bits = fields.count + offset
        let maskBytes = try r.readBytes((bits + 7) / 8, "row null mask")
        func bit(_ i: Int) -> Bool { maskBytes[i >> 3] & (0x80 >> UInt8(i & 7)) != 0 }
        var kind = FlinkRowKind.insert
        if supportsRowKind { kind = FlinkRowKind(rawValue: (bit(0) ? 1 : 0) | (bit(1) ? 2 : 0)) ?? .insert }
        var values: [FlinkValue] = []
        for (i, f) in fields.enumerated() {
            values.append(bit(i + offset) ? .null : try FlinkValueDecoder.read(&r, f, depth: depth))
        }
        return .row(kind: kind, fields: values)
    }

    static func writeRow(_ kind: FlinkRowKind, _ values: [FlinkValue], supportsRowKind: Bool, fields: [FlinkTypeSerializer], to w: inout ByteWriter, depth: Int) throws {
        guard values.count == fields.count else {
            throw FlinkSerializerError(.invalidInput, "row has \(values.count) fields, the serializer \(fields.count)")
        }
        var mask: [Bool] = supportsRowKind ? [kind.rawValue & 1 != 0, kind.rawValue & 2 != 0] : []
        mask += values.map { $0 == .null }
        var b: UInt8 = 0, n = 0
        for m in mask {
            b = b << 1 | (m ? 1 : 0)
            n += 1
            if n == 8 { w.writeU8(b); b = 0; n = 0 }
        }
        if n > 0 { w.writeU8(b << UInt8(8 - n)) }
        for (v, f) in zip(values, fields) where v != .null { try FlinkValueEncoder.write(v, f, to: &w, depth: depth) }
    }
}
