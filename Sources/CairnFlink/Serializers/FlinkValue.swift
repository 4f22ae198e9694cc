import CairnCore

/// A value decoded from Flink state bytes with a `FlinkTypeSerializer`. It keeps what is needed to write the same
/// bytes back (`FlinkValueEncoder`) and renders to JSON per docs/flink-values.md (`json`).
public indirect enum FlinkValue: Sendable, Equatable {
    case null
    case boolean(Bool)
    case byte(Int8)
    case short(Int16)
    case int(Int32)
    case long(Int64)
    case float(Float)
    case double(Double)
    /// One UTF-16 code unit (`CharSerializer`).
    case char(UInt16)
    case string(String)
    /// BigInteger, BigDecimal and SQL DECIMAL as a decimal string (`"-12.50"`).
    case decimal(String)
    case bytes([UInt8])
    /// `java.sql.Timestamp` (`nanos` = `getNanos()`, 0…999,999,999) and SQL TIMESTAMP (`nanos` of the millisecond).
    case timestamp(millis: Int64, nanos: Int32)
    case instant(seconds: Int64, nanos: Int32)
    case localDate(year: Int32, month: Int8, day: Int8)
    case localTime(hour: Int8, minute: Int8, second: Int8, nano: Int32)
    case localDateTime(year: Int32, month: Int8, day: Int8, hour: Int8, minute: Int8, second: Int8, nano: Int32)
    /// Primitive, string and generic arrays, SQL and Avro arrays.
    case array([FlinkValue])
    /// `ListSerializer` values and the elements of a ListState.
    case list([FlinkValue])
    case map([FlinkMapEntry])
    /// An enum constant: its index in the snapshot's constant list and the name there.
    case enumConstant(index: Int32, name: String?)
    case tuple([FlinkValue])
    case row(kind: FlinkRowKind, fields: [FlinkValue])
    case left(FlinkValue)
    case right(FlinkValue)
    /// A POJO or Avro record (or Avro map): fields by name in serializer order.
    case record([FlinkField])
    /// A POJO value of a subclass: written with the subclass's serializer (tagged when registered).
    case subclass(className: String, value: FlinkValue)
    case ttl(lastAccessTimestamp: Int64, value: FlinkValue)
    case timeWindow(start: Int64, end: Int64)
    case globalWindow
    case countWindow(Int64)
    case voidNamespace
    case timer(timestamp: Int64, key: FlinkValue, namespace: FlinkValue)
    /// An Avro union value and the index of its branch.
    case union(branch: Int32, value: FlinkValue)
    /// Bytes of a serializer Cairn does not decode, delimited by their container.
    case opaque(className: String, bytes: [UInt8])

    /// The JSON of docs/flink-values.md.
    public var json: JSONValue {
        switch self {
        case .null, .voidNamespace: return .null
        case .boolean(let b): return .bool(b)
        case .byte(let v): return .int(Int64(v))
        case .short(let v): return .int(Int64(v))
        case .int(let v): return .int(Int64(v))
        case .long(let v): return .int(v)
        case .float(let v): return .double(Double(v))
        case .double(let v): return .double(v)
        case .char(let u): return .string(String(decoding: [u], as: UTF16.self))
        case .string(let s), .decimal(let s): return .string(s)
        case .bytes(let b): return .string(Hex.encode(b))
        case .timestamp(let ms, let ns): return .object([("epochMillis", .int(ms)), ("nanos", .int(Int64(ns)))])
        case .instant(let s, let ns): return .object([("epochSecond", .int(s)), ("nano", .int(Int64(ns)))])
        case .localDate(let y, let m, let d): return .string(Self.isoDate(y, m, d))
        case .localTime(let h, let mi, let s, let n): return .string(Self.isoTime(h, mi, s, n))
        case .localDateTime(let y, let m, let d, let h, let mi, let s, let n): return .string(Self.isoDate(y, m, d) + "T" + Self.isoTime(h, mi, s, n))
        case .array(let items), .list(let items): return .array(items.map(\.json))
        case .map(let entries): return .array(entries.map { .object([("key", $0.key.json), ("value", $0.value.json)]) })
        case .enumConstant(let i, let name): return name.map { .string($0) } ?? .int(Int64(i))
        case .tuple(let fields): return .object(fields.enumerated().map { ("f\($0.offset)", $0.element.json) })
        case .row(let kind, let fields): return .object([("kind", .string(kind.shortString)), ("fields", .array(fields.map(\.json)))])
        case .left(let v): return .object([("left", v.json)])
        case .right(let v): return .object([("right", v.json)])
        case .record(let fields): return .object(fields.map { ($0.name, $0.value.json) })
        case .subclass(let c, let v):
            if case .opaque(_, let bytes) = v { return .object([("$class", .string(c)), ("$opaque", .string(Hex.encode(bytes)))]) }
            if case .object(let fields) = v.json { return .object([("$class", .string(c))] + fields) }
            return .object([("$class", .string(c)), ("value", v.json)])
        case .ttl(let ts, let v): return .object([("lastAccessTimestamp", .int(ts)), ("value", v.json)])
        case .timeWindow(let s, let e): return .object([("start", .int(s)), ("end", .int(e))])
        case .globalWindow: return .string("GlobalWindow")
        case .countWindow(let id): return .int(id)
        case .timer(let ts, let k, let n): return .object([("timestamp", .int(ts)), ("key", k.json), ("namespace", n.json)])
        case .union(_, let v): return v.json
        case .opaque(let c, let b): return .object([("$opaque", .string(c)), ("$bytes", .string(Hex.encode(b)))])
        }
    }

    private static func pad(_ v: Int64, _ n: Int) -> String {
        let s = String(abs(v))
        return (v < 0 ? "-" : "") + String(repeating: "0", count: max(0, n - s.count)) + s
    }

    static func isoDate(_ y: Int32, _ m: Int8, _ d: Int8) -> String { "\(pad(Int64(y), 4))-\(pad(Int64(m), 2))-\(pad(Int64(d), 2))" }

    static func isoTime(_ h: Int8, _ m: Int8, _ s: Int8, _ n: Int32) -> String {
        "\(pad(Int64(h), 2)):\(pad(Int64(m), 2)):\(pad(Int64(s), 2))" + (n == 0 ? "" : "." + pad(Int64(n), 9))
    }
}

/// One entry of a map value.
public struct FlinkMapEntry: Sendable, Equatable {
    public var key: FlinkValue
    public var value: FlinkValue
    public init(key: FlinkValue, value: FlinkValue) {
        self.key = key
        self.value = value
    }
}

/// A named field of a record value.
public struct FlinkField: Sendable, Equatable {
    public var name: String
    public var value: FlinkValue
    public init(_ name: String, _ value: FlinkValue) {
        self.name = name
        self.value = value
    }
}

/// Flink's `RowKind`, stored as a byte in rows and as two mask bits in `Row` values.
public enum FlinkRowKind: UInt8, Sendable, Equatable, CaseIterable {
    case insert = 0, updateBefore = 1, updateAfter = 2, delete = 3

    /// `+I`, `-U`, `+U`, `-D`.
    public var shortString: String {
        switch self {
        case .insert: "+I"
        case .updateBefore: "-U"
        case .updateAfter: "+U"
        case .delete: "-D"
        }
    }
}
