import CairnCore

/// Writes `FlinkValue`s back to the bytes Flink's serializers write — the inverse of `FlinkValueDecoder`, for
/// rewriting savepoints. `encode(decode(b)) == b` for bytes Flink wrote; a value that does not fit the serializer
/// is `FlinkSerializerError.invalidInput`.
public enum FlinkValueEncoder {
    public static func encode(_ v: FlinkValue, as s: FlinkTypeSerializer) throws -> [UInt8] {
        var w = ByteWriter()
        try write(v, s, to: &w)
        return w.bytes
    }

    static func writeUTF(_ s: String, to w: inout ByteWriter) throws {
        let b = ModifiedUTF8.encode(s)
        guard b.count <= 0xFFFF else { throw FlinkSerializerError(.invalidInput, "string of \(b.count) bytes is too long for writeUTF") }
        w.writeU16(UInt16(b.count))
        w.writeRaw(b)
    }

    static func writeBigInteger(_ s: String, to w: inout ByteWriter) throws {
        switch s {
        case "0": w.writeU32(1)
        case "1": w.writeU32(2)
        case "10": w.writeU32(3)
        default:
            guard let b = FlinkBigDecimal.twosComplement(decimal: s) else { throw FlinkSerializerError(.invalidInput, "\"\(s)\" is not an integer") }
            w.writeU32(UInt32(b.count + 4))
            w.writeRaw(b)
        }
    }

    public static func write(_ v: FlinkValue, _ s: FlinkTypeSerializer, to w: inout ByteWriter, depth: Int = 0) throws {
        guard depth <= FlinkValueDecoder.maxDepth else { throw FlinkSerializerError(.limit, "values nested deeper than \(FlinkValueDecoder.maxDepth)") }
        let d = depth + 1
        func bad() -> FlinkSerializerError { FlinkSerializerError(.invalidInput, "value \(v) does not fit \(s.name)") }
        switch (s, v) {
        case (.boolean, .boolean(let b)): w.writeBool(b)
        case (.byte, .byte(let x)): w.writeU8(UInt8(bitPattern: x))
        case (.short, .short(let x)): w.writeU16(UInt16(bitPattern: x))
        case (.int, .int(let x)): w.writeU32(UInt32(bitPattern: x))
        case (.long, .long(let x)): w.writeI64(x)
        case (.float, .float(let x)): w.writeU32(x.bitPattern)
        case (.double, .double(let x)): w.writeU64(x.bitPattern)
        case (.char, .char(let u)): w.writeU16(u)
        case (.string, .string(let x)): FlinkStringValue.write(x, to: &w)
        case (.string, .null): w.writeU8(0)
        case (.void, .null): w.writeU8(0)
        case (.bigInteger, .null), (.bigDecimal, .null): w.writeU32(0)
        case (.bigInteger, .decimal(let x)): try writeBigInteger(x, to: &w)
        case (.bigDecimal, .decimal(let x)):
            guard let (u, scale) = FlinkBigDecimal.unscaled(x) else { throw bad() }
            try writeBigInteger(u, to: &w)
            w.writeU32(UInt32(bitPattern: Int32(scale)))
        case (.date, .null): w.writeI64(Int64.min)
        case (.date, .long(let ms)): w.writeI64(ms)
        case (.sqlTimestamp, .null):
            w.writeI64(Int64.min)
            w.writeU32(0)
        case (.sqlTimestamp, .timestamp(let ms, let ns)):
            w.writeI64(ms)
            w.writeU32(UInt32(bitPattern: ns))
        case (.instant, .null):
            w.writeI64(Int64.min)
            w.writeU32(UInt32(bitPattern: Int32.min))
        case (.instant, .instant(let sec, let ns)):
            w.writeI64(sec)
            w.writeU32(UInt32(bitPattern: ns))
        case (.localDate, .null):
            w.writeU32(UInt32(bitPattern: Int32.min))
            w.writeU16(UInt16(bitPattern: Int16.min))
        case (.localDate, .localDate(let y, let m, let dd)):
            w.writeU32(UInt32(bitPattern: y))
            w.writeU8(UInt8(bitPattern: m))
            w.writeU8(UInt8(bitPattern: dd))
        case (.localTime, .null):
            w.writeU8(0x80)
            w.writeU16(UInt16(bitPattern: Int16.min))
            w.writeU32(UInt32(bitPattern: Int32.min))
        case (.localTime, .localTime(let h, let m, let sec, let n)):
            w.writeRaw([UInt8(bitPattern: h), UInt8(bitPattern: m), UInt8(bitPattern: sec)])
            w.writeU32(UInt32(bitPattern: n))
        case (.localDateTime, .null):
            try write(.null, .localDate, to: &w, depth: d)
            try write(.null, .localTime, to: &w, depth: d)
        case (.localDateTime, .localDateTime(let y, let mo, let dd, let h, let mi, let sec, let n)):
            try write(.localDate(year: y, month: mo, day: dd), .localDate, to: &w, depth: d)
            try write(.localTime(hour: h, minute: mi, second: sec, nano: n), .localTime, to: &w, depth: d)
        case (.bytes, .bytes(let b)):
            w.writeU32(UInt32(b.count))
            w.writeRaw(b)
        case (.primitiveArray(let e), .array(let items)):
            w.writeU32(UInt32(items.count))
            for x in items { try write(x, e, to: &w, depth: d) }
        case (.stringArray, .array(let items)):
            w.writeU32(UInt32(items.count))
            for x in items {
                switch x {
                case .string(let str): FlinkStringValue.write(str, to: &w)
                case .null: w.writeU8(0)
                default: throw bad()
                }
            }
        case (.genericArray(_, let e), .array(let items)):
            w.writeU32(UInt32(items.count))
            for x in items {
                w.writeBool(x != .null)
                if x != .null { try write(x, e, to: &w, depth: d) }
            }
        case (.enumeration(_, let constants), .enumConstant(let i, _)):
            guard i >= 0, Int(i) < constants.count else { throw bad() }
            w.writeU32(UInt32(bitPattern: i))
        case (.tuple(_, let fields), .tuple(let values)):
            guard fields.count == values.count else { throw bad() }
            for (f, x) in zip(fields, values) { try write(x, f, to: &w, depth: d) }
        case (.row(let rowKind, let fields), .row(let kind, let values)):
            try FlinkRowCodec.writeRow(kind, values, supportsRowKind: rowKind, fields: fields, to: &w, depth: d)
        case (.either(let l, _), .left(let x)):
            w.writeBool(true)
            try write(x, l, to: &w, depth: d)
        case (.either(_, let r), .right(let x)):
            w.writeBool(false)
            try write(x, r, to: &w, depth: d)
        case (.nullable(let padding, _), .null):
            w.writeBool(true)
            w.writeRaw([UInt8](repeating: 0, count: padding))
        case (.nullable(_, let inner), _):
            w.writeBool(false)
            try write(v, inner, to: &w, depth: d)
        case (.pojo(let p), _): try FlinkPojoCodec.write(v, p, to: &w, depth: d)
        case (.avro(_, let schema), _): try FlinkAvroCodec.write(v, schema.root, schema: schema, to: &w, depth: d)
        case (.list(let e), .list(let items)):
            w.writeU32(UInt32(items.count))
            for x in items { try write(x, e, to: &w, depth: d) }
        case (.map(let k, let vs), .map(let entries)):
            w.writeU32(UInt32(entries.count))
            for e in entries {
                try write(e.key, k, to: &w, depth: d)
                w.writeBool(e.value == .null)
                if e.value != .null { try write(e.value, vs, to: &w, depth: d) }
            }
        case (.ttl(let inner), .ttl(let ts, let x)):
            w.writeI64(ts)
            try write(x, inner, to: &w, depth: d)
        case (.timeWindow, .timeWindow(let start, let end)):
            w.writeI64(start)
            w.writeI64(end)
        case (.globalWindow, .globalWindow), (.voidNamespace, .voidNamespace), (.voidNamespace, .null): w.writeU8(0)
        case (.countWindow, .countWindow(let id)): w.writeI64(id)
        case (.timer(let k, let n), .timer(let ts, let key, let ns)):
            w.writeI64(ts ^ Int64.min)
            try write(key, k, to: &w, depth: d)
            try write(ns, n, to: &w, depth: d)
        case (.rowData(let schema), _):
            let row = try FlinkBinaryRowCodec.encodeRow(v, types: schema.types, depth: d)
            w.writeU32(UInt32(row.count))
            w.writeRaw(row)
        case (.stringData, .string(let x)):
            w.writeU32(UInt32(x.utf8.count))
            w.writeRaw(Array(x.utf8))
        case (.decimalData(let p, let sc), .decimal(let x)):
            guard let (u, scale) = FlinkBigDecimal.unscaled(x), scale == sc else { throw bad() }
            if p <= 18 {
                guard let l = Int64(u) else { throw bad() }
                w.writeI64(l)
            } else {
                guard let b = FlinkBigDecimal.twosComplement(decimal: u) else { throw bad() }
                w.writeU32(UInt32(b.count))
                w.writeRaw(b)
            }
        case (.timestampData(let p), .timestamp(let ms, let ns)):
            w.writeI64(ms)
            if p > 3 { w.writeU32(UInt32(bitPattern: ns)) }
        case (.arrayData(let e?), .array(let items)):
            let b = try FlinkBinaryRowCodec.encodeArray(items, element: e, depth: d)
            w.writeU32(UInt32(b.count))
            w.writeRaw(b)
        case (.mapData(let k?, let vt?), .map(let entries)):
            let b = try FlinkBinaryRowCodec.encodeMap(entries, key: k, value: vt, depth: d)
            w.writeU32(UInt32(b.count))
            w.writeRaw(b)
        case (.arrayData, .opaque(_, let b)), (.mapData, .opaque(_, let b)), (.binaryRowData, .opaque(_, let b)):
            w.writeU32(UInt32(b.count))
            w.writeRaw(b)
        case (_, .opaque(_, let b)): w.writeRaw(b)
        default: throw bad()
        }
    }
}
