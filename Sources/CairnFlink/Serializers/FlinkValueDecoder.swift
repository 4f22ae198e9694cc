import CairnCore

/// Decodes Flink state bytes into `FlinkValue`s with a `FlinkTypeSerializer`, following each serializer's
/// `serialize` exactly (research notes §2). Values of serializers Cairn does not decode become `.opaque` when
/// their container delimits them (a whole value, the rest of a TTL or nullable value); elsewhere they throw.
public enum FlinkValueDecoder {
    /// Nesting deeper than this is refused.
    public static let maxDepth = 64
    static let kryoSnapshotClass = "org.apache.flink.api.java.typeutils.runtime.kryo.KryoSerializerSnapshot"

    /// Decodes `bytes` as exactly one value; trailing bytes are an error.
    public static func decode(_ bytes: [UInt8], as serializer: FlinkTypeSerializer) throws -> FlinkValue {
        var r = JavaDataInput(bytes)
        let v = try read(&r, serializer, whole: true)
        guard r.isAtEnd else {
            throw FlinkSerializerError(.malformed, "\(r.remaining) bytes left after a \(serializer.name) value", at: r.position)
        }
        return v
    }

    /// Reads one value at `r`'s position. `whole` says the value runs to the end of `r` (so an opaque value can
    /// take the remaining bytes).
    public static func read(_ r: inout JavaDataInput, _ s: FlinkTypeSerializer, whole: Bool = false, depth: Int = 0) throws -> FlinkValue {
        let at = r.position
        guard depth <= maxDepth else { throw FlinkSerializerError(.limit, "values nested deeper than \(maxDepth)", at: at) }
        let start = whole ? r : nil
        do {
            return try readUnchecked(&r, s, whole: whole, depth: depth)
        } catch let e as DecodeError {
            throw FlinkSerializerError(.malformed, "\(s.name) value: \(e.message)", at: e.offset)
        } catch let e as FlinkSerializerError where e.kind == .unsupported {
            // A value inside (a Kryo field of a POJO…) cannot be delimited, but this one can: it runs to the end.
            // Show it whole as opaque bytes rather than fail a dump that the container could still frame.
            guard var rest = start else { throw e }
            let bytes = try rest.readBytes(rest.remaining, "opaque value")
            r = rest
            return .opaque(className: s.name + (e.serializerClass.map { " holding \($0)" } ?? ""), bytes: bytes)
        }
    }

    static func count(_ r: inout JavaDataInput, _ what: String) throws -> Int {
        try r.readCount(what, minimumItemSize: 1)
    }

    private static func readUnchecked(_ r: inout JavaDataInput, _ s: FlinkTypeSerializer, whole: Bool, depth: Int) throws -> FlinkValue {
        let at = r.position
        let d = depth + 1
        switch s {
        case .boolean: return .boolean(try r.readBool("boolean"))
        case .byte: return .byte(Int8(bitPattern: try r.readU8("byte")))
        case .short: return .short(Int16(bitPattern: try r.readU16("short")))
        case .int: return .int(try r.readI32("int"))
        case .long: return .long(try r.readI64("long"))
        case .float: return .float(Float(bitPattern: UInt32(bitPattern: try r.readI32("float"))))
        case .double: return .double(Double(bitPattern: UInt64(bitPattern: try r.readI64("double"))))
        case .char: return .char(try r.readU16("char"))
        case .string: return try FlinkStringValue.read(&r, "string").map { .string($0) } ?? .null
        case .void:
            _ = try r.readU8("void")
            return .null
        case .bigInteger: return try bigInteger(&r).map { .decimal($0) } ?? .null
        case .bigDecimal:
            guard let unscaled = try bigInteger(&r) else { return .null }
            return .decimal(FlinkBigDecimal.plainString(unscaled: unscaled, scale: Int(try r.readI32("BigDecimal scale"))))
        case .date:
            let ms = try r.readI64("date millis")
            return ms == Int64.min ? .null : .long(ms)
        case .sqlTimestamp:
            let ms = try r.readI64("timestamp millis"), ns = try r.readI32("timestamp nanos")
            return ms == Int64.min ? .null : .timestamp(millis: ms, nanos: ns)
        case .instant:
            let sec = try r.readI64("instant seconds"), ns = try r.readI32("instant nanos")
            return sec == Int64.min && ns == Int32.min ? .null : .instant(seconds: sec, nanos: ns)
        case .localDate: return try localDate(&r)
        case .localTime: return try localTime(&r)
        case .localDateTime:
            let date = try localDate(&r), time = try localTime(&r)
            guard case .localDate(let y, let m, let dd) = date, case .localTime(let h, let mi, let sec, let n) = time else { return .null }
            return .localDateTime(year: y, month: m, day: dd, hour: h, minute: mi, second: sec, nano: n)
        case .bytes:
            let n = try r.readCount("byte array length")
            return .bytes(try r.readBytes(n, "byte array"))
        case .primitiveArray(let e):
            let n = try r.readCount("array length", minimumItemSize: max(1, e.javaLength))
            var items: [FlinkValue] = []
            items.reserveCapacity(n)
            for _ in 0..<n { items.append(try read(&r, e, depth: d)) }
            return .array(items)
        case .stringArray:
            let n = try count(&r, "string array length")
            var items: [FlinkValue] = []
            for _ in 0..<n { items.append(try FlinkStringValue.read(&r, "string array element").map { .string($0) } ?? .null) }
            return .array(items)
        case .genericArray(_, let e):
            // GenericArraySerializer: int length, then per element a bool "not null" and the element.
            let n = try count(&r, "array length")
            var items: [FlinkValue] = []
            for _ in 0..<n { items.append(try r.readBool("array element present") ? try read(&r, e, depth: d) : .null) }
            return .array(items)
        case .enumeration(let c, let constants):
            let i = try r.readI32("enum index")
            guard i >= 0, Int(i) < constants.count else {
                throw FlinkSerializerError(.malformed, "enum \(c) index \(i), the snapshot lists \(constants.count) constants", at: at)
            }
            return .enumConstant(index: i, name: constants[Int(i)])
        case .tuple(_, let fields):
            return .tuple(try fields.enumerated().map { try read(&r, $0.element, whole: whole && $0.offset == fields.count - 1, depth: d) })
        case .row(let rowKind, let fields):
            return try FlinkRowCodec.readRow(&r, supportsRowKind: rowKind, fields: fields, depth: d)
        case .either(let left, let right):
            return try r.readBool("either is left") ? .left(try read(&r, left, whole: whole, depth: d)) : .right(try read(&r, right, whole: whole, depth: d))
        case .nullable(let padding, let inner):
            if try r.readBool("nullable is null") {
                try r.skip(padding, "null padding")
                return .null
            }
            return try read(&r, inner, whole: whole, depth: d)
        case .pojo(let p): return try FlinkPojoCodec.read(&r, p, whole: whole, depth: d)
        case .kryo: return try opaque(&r, kryoSnapshotClass, whole: whole, s)
        case .opaque(let c, _): return try opaque(&r, c, whole: whole, s)
        case .avro(_, let schema): return try FlinkAvroCodec.read(&r, schema.root, schema: schema, depth: d)
        case .list(let e):
            let n = try count(&r, "list size")
            var items: [FlinkValue] = []
            items.reserveCapacity(min(n, 1 << 16))
            for _ in 0..<n { items.append(try read(&r, e, depth: d)) }
            return .list(items)
        case .map(let k, let v):
            let n = try count(&r, "map size")
            var entries: [FlinkMapEntry] = []
            for _ in 0..<n {
                let key = try read(&r, k, depth: d)
                let value = try r.readBool("map value is null") ? FlinkValue.null : try read(&r, v, depth: d)
                entries.append(FlinkMapEntry(key: key, value: value))
            }
            return .map(entries)
        case .ttl(let inner):
            let ts = try r.readI64("TTL last access timestamp")
            return .ttl(lastAccessTimestamp: ts, value: try read(&r, inner, whole: whole, depth: d))
        case .timeWindow:
            let start = try r.readI64("window start"), end = try r.readI64("window end")
            return .timeWindow(start: start, end: end)
        case .globalWindow:
            _ = try r.readU8("global window")
            return .globalWindow
        case .countWindow: return .countWindow(try r.readI64("count window id"))
        case .voidNamespace:
            _ = try r.readU8("void namespace")
            return .voidNamespace
        case .timer(let k, let n):
            let ts = try r.readI64("timer timestamp") ^ Int64.min
            let key = try read(&r, k, depth: d)
            return .timer(timestamp: ts, key: key, namespace: try read(&r, n, whole: whole, depth: d))
        case .rowData(let schema):
            let bytes = try sized(&r, "RowData")
            return rawFieldsNamed(try FlinkBinaryRowCodec.decodeRow(bytes, types: schema.types, depth: d), schema)
        case .rawValue:
            // RawValueData says nothing about what it holds: the whole value (length included) stays opaque.
            let start = r.position
            let n = try r.readCount("RawValueData length")
            try r.skip(n, "RawValueData bytes")
            return .opaque(className: rawValueSnapshotClass, bytes: Array(r.bytes[start..<r.position]))
        case .linkedList(let e, let nullMask):
            let n = try count(&r, "linked list size")
            let mask = nullMask ? try r.readBytes((n + 7) / 8, "linked list null mask") : []
            var items: [FlinkValue] = []
            items.reserveCapacity(min(n, 1 << 16))
            for i in 0..<n {
                if nullMask, mask[i >> 3] & (0x80 >> UInt8(i & 7)) != 0 { items.append(.null); continue }
                items.append(try read(&r, e, depth: d))
            }
            return .list(items)
        case .nullAwareMap(let k, let v):
            let n = try count(&r, "map size")
            var entries: [FlinkMapEntry] = []
            for _ in 0..<n {
                let key = try r.readBool("map key is null") ? FlinkValue.null : try read(&r, k, depth: d)
                let value = try r.readBool("map value is null") ? FlinkValue.null : try read(&r, v, depth: d)
                entries.append(FlinkMapEntry(key: key, value: value))
            }
            return .map(entries)
        case .set(let e):
            let n = try count(&r, "set size")
            var items: [FlinkValue] = []
            for _ in 0..<n { items.append(try r.readBool("set element is null") ? .null : try read(&r, e, depth: d)) }
            return .array(items)
        case .windowKey(let k):
            // Delimited by decoding the key; rendered as bytes, as the Java dumper does.
            let start = r.position
            _ = try r.readI64("window key window")
            _ = try read(&r, k, whole: whole, depth: d)
            return .opaque(className: windowKeySnapshotClass, bytes: Array(r.bytes[start..<r.position]))
        case .tableNull:
            _ = try r.readU8("NullSerializer byte")
            return .null
        case .binaryRowData(let n):
            // Without logical types the fields cannot be told apart: the row stays whole, as bytes.
            let bytes = try sized(&r, "BinaryRowData of \(n) fields")
            return .opaque(className: "org.apache.flink.table.runtime.typeutils.BinaryRowDataSerializer", bytes: bytes)
        case .stringData:
            // StringDataSerializer: int byte length + UTF-8.
            let n = try r.readCount("StringData length")
            return .string(String(decoding: try r.readBytes(n, "StringData bytes"), as: UTF8.self))
        case .decimalData(let p, let sc):
            if p <= 18 { return .decimal(FlinkBigDecimal.plainString(unscaled: String(try r.readI64("compact decimal")), scale: sc)) }
            let n = try r.readCount("decimal length")
            return .decimal(FlinkBigDecimal.plainString(unscaled: FlinkBigDecimal.decimalString(twosComplement: try r.readBytes(n, "decimal bytes")), scale: sc))
        case .timestampData(let p):
            let ms = try r.readI64("timestamp millis")
            return .timestamp(millis: ms, nanos: p <= 3 ? 0 : try r.readI32("timestamp nanos of millisecond"))
        case .arrayData(let e):
            let bytes = try sized(&r, "ArrayData")
            guard let e else { return .opaque(className: "org.apache.flink.table.runtime.typeutils.ArrayDataSerializer", bytes: bytes) }
            return try FlinkBinaryRowCodec.decodeArray(bytes[...], element: e, depth: d)
        case .mapData(let k, let v):
            let bytes = try sized(&r, "MapData")
            guard let k, let v else { return .opaque(className: "org.apache.flink.table.runtime.typeutils.MapDataSerializer", bytes: bytes) }
            return try FlinkBinaryRowCodec.decodeMap(bytes[...], key: k, value: v, depth: d)
        }
    }

    static let rawValueSnapshotClass = "org.apache.flink.table.runtime.typeutils.RawValueDataSerializer$RawValueDataSerializerSnapshot"
    static let windowKeySnapshotClass = "org.apache.flink.table.runtime.typeutils.WindowKeySerializer$WindowKeySerializerSnapshot"

    /// A `RAW` field of a row is opaque under its inner serializer's snapshot class (the row delimits its bytes),
    /// which the nested `RawValueDataSerializer` snapshot names.
    static func rawFieldsNamed(_ row: FlinkValue, _ schema: FlinkRowDataSchema) -> FlinkValue {
        guard case .row(let kind, var fields) = row else { return row }
        for i in fields.indices where i < schema.types.count && i < schema.fieldSerializers.count && schema.types[i].root == .raw {
            guard case .opaque(_, let bytes) = fields[i] else { continue }
            switch schema.fieldSerializers[i] {
            case .rawValue(let inner, _): fields[i] = .opaque(className: inner, bytes: bytes)
            case .opaque(let c, _): fields[i] = .opaque(className: c, bytes: bytes)
            default: break
            }
        }
        return .row(kind: kind, fields: fields)
    }

    static func sized(_ r: inout JavaDataInput, _ what: String) throws -> [UInt8] {
        let n = try r.readCount("\(what) size in bytes")
        return try r.readBytes(n, "\(what) bytes")
    }

    static func opaque(_ r: inout JavaDataInput, _ className: String, whole: Bool, _ s: FlinkTypeSerializer) throws -> FlinkValue {
        guard whole else {
            throw FlinkSerializerError(.unsupported, "Cairn cannot read this serializer: \(s.name) values have no length, so what follows them cannot be found",
                                       at: r.position, serializerClass: className)
        }
        return .opaque(className: className, bytes: try r.readBytes(r.remaining, "opaque value"))
    }

    /// `BigIntSerializer.readBigInteger`: `int len` (0 null, 1/2/3 the constants 0/1/10, else bytes + 4).
    static func bigInteger(_ r: inout JavaDataInput) throws -> String? {
        let at = r.position
        let n = try r.readI32("BigInteger length")
        switch n {
        case 0: return nil
        case 1: return "0"
        case 2: return "1"
        case 3: return "10"
        default:
            guard n >= 4, Int(n) - 4 <= FlinkBigDecimal.maxBytes else { throw FlinkSerializerError(.malformed, "BigInteger length \(n)", at: at) }
            return FlinkBigDecimal.decimalString(twosComplement: try r.readBytes(Int(n) - 4, "BigInteger bytes"))
        }
    }

    static func localDate(_ r: inout JavaDataInput) throws -> FlinkValue {
        let y = try r.readI32("year")
        let m = Int8(bitPattern: try r.readU8("month")), d = Int8(bitPattern: try r.readU8("day"))
        return y == Int32.min ? .null : .localDate(year: y, month: m, day: d)
    }

    static func localTime(_ r: inout JavaDataInput) throws -> FlinkValue {
        let h = Int8(bitPattern: try r.readU8("hour"))
        let m = Int8(bitPattern: try r.readU8("minute")), s = Int8(bitPattern: try r.readU8("second"))
        let n = try r.readI32("nano")
        return h == Int8.min ? .null : .localTime(hour: h, minute: m, second: s, nano: n)
    }
}
