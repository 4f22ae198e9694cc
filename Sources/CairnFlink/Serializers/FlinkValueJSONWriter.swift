import CairnCore

/// Writes the JSON of docs/flink-values.md straight from a `FlinkValue` into a byte buffer, without building a
/// `JSONValue` tree first: `dump --state` prints millions of entries and the tree cost more than decoding them.
/// The bytes are exactly those of `value.json.append(to:)` (compact); `FlinkValueJSONWriterTests` holds it to that.
public enum FlinkValueJSONWriter {
    /// Appends the compact JSON of `value` to `out`.
    public static func append(_ value: FlinkValue, to out: inout [UInt8]) {
        switch value {
        case .null, .voidNamespace: out.append(contentsOf: nullBytes)
        case .boolean(let b): out.append(contentsOf: b ? trueBytes : falseBytes)
        case .byte(let v): decimal(Int64(v), into: &out)
        case .short(let v): decimal(Int64(v), into: &out)
        case .int(let v): decimal(Int64(v), into: &out)
        case .long(let v): decimal(v, into: &out)
        case .float(let v): double(Double(v), into: &out)
        case .double(let v): double(v, into: &out)
        case .char(let u): string(String(decoding: [u], as: UTF16.self), into: &out)
        case .string(let s), .decimal(let s): string(s, into: &out)
        case .bytes(let b): hex(b, into: &out)
        case .timestamp(let ms, let ns):
            open("epochMillis", &out); decimal(ms, into: &out)
            next("nanos", &out); decimal(Int64(ns), into: &out); out.append(0x7D)
        case .instant(let s, let ns):
            open("epochSecond", &out); decimal(s, into: &out)
            next("nano", &out); decimal(Int64(ns), into: &out); out.append(0x7D)
        case .localDate(let y, let m, let d): string(FlinkValue.isoDate(y, m, d), into: &out)
        case .localTime(let h, let mi, let s, let n): string(FlinkValue.isoTime(h, mi, s, n), into: &out)
        case .localDateTime(let y, let m, let d, let h, let mi, let s, let n):
            string(FlinkValue.isoDate(y, m, d) + "T" + FlinkValue.isoTime(h, mi, s, n), into: &out)
        case .array(let items), .list(let items):
            out.append(0x5B)
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(0x2C) }
                append(item, to: &out)
            }
            out.append(0x5D)
        case .map(let entries):
            out.append(0x5B)
            for (i, e) in entries.enumerated() {
                if i > 0 { out.append(0x2C) }
                open("key", &out); append(e.key, to: &out)
                next("value", &out); append(e.value, to: &out); out.append(0x7D)
            }
            out.append(0x5D)
        case .enumConstant(let i, let name):
            if let name { string(name, into: &out) } else { decimal(Int64(i), into: &out) }
        case .tuple(let fields):
            out.append(0x7B)
            for (i, f) in fields.enumerated() {
                if i > 0 { out.append(0x2C) }
                key("f\(i)", into: &out)
                append(f, to: &out)
            }
            out.append(0x7D)
        case .row(let kind, let fields):
            open("kind", &out); string(kind.shortString, into: &out)
            next("fields", &out); append(.array(fields), to: &out); out.append(0x7D)
        case .left(let v): open("left", &out); append(v, to: &out); out.append(0x7D)
        case .right(let v): open("right", &out); append(v, to: &out); out.append(0x7D)
        case .record(let fields):
            out.append(0x7B)
            for (i, f) in fields.enumerated() {
                if i > 0 { out.append(0x2C) }
                key(f.name, into: &out)
                append(f.value, to: &out)
            }
            out.append(0x7D)
        case .subclass(let c, let v):
            if case .opaque(_, let bytes) = v {
                open("$class", &out); string(c, into: &out)
                next("$opaque", &out); hex(bytes, into: &out); out.append(0x7D)
                return
            }
            open("$class", &out)
            string(c, into: &out)
            // An object value's fields follow "$class" in the same object; any other value goes under "value".
            let start = out.count
            append(v, to: &out)
            if out[start] == 0x7B {
                if out.count - start == 2 {
                    out.removeLast(2)
                    out.append(0x7D)
                } else {
                    out[start] = 0x2C
                }
            } else {
                out.insert(contentsOf: valueKeyAfterComma, at: start)
                out.append(0x7D)
            }
        case .ttl(let ts, let v):
            open("lastAccessTimestamp", &out); decimal(ts, into: &out)
            next("value", &out); append(v, to: &out); out.append(0x7D)
        case .timeWindow(let s, let e):
            open("start", &out); decimal(s, into: &out)
            next("end", &out); decimal(e, into: &out); out.append(0x7D)
        case .globalWindow: string("GlobalWindow", into: &out)
        case .countWindow(let id): decimal(id, into: &out)
        case .timer(let ts, let k, let n):
            open("timestamp", &out); decimal(ts, into: &out)
            next("key", &out); append(k, to: &out)
            next("namespace", &out); append(n, to: &out); out.append(0x7D)
        case .union(_, let v): append(v, to: &out)
        case .opaque(let c, let b):
            open("$opaque", &out); string(c, into: &out)
            next("$bytes", &out); hex(b, into: &out); out.append(0x7D)
        }
    }

    /// `{"name":` — the start of an object and its first key.
    @inline(__always) private static func open(_ name: StaticString, _ out: inout [UInt8]) {
        out.append(0x7B)
        staticKey(name, &out)
    }

    /// `,"name":` — a further key of an object.
    @inline(__always) private static func next(_ name: StaticString, _ out: inout [UInt8]) {
        out.append(0x2C)
        staticKey(name, &out)
    }

    /// A key known to need no escaping.
    @inline(__always) private static func staticKey(_ name: StaticString, _ out: inout [UInt8]) {
        out.append(0x22)
        name.withUTF8Buffer { out.append(contentsOf: $0) }
        out.append(0x22)
        out.append(0x3A)
    }

    /// `"name":`
    public static func key(_ name: String, into out: inout [UInt8]) {
        string(name, into: &out)
        out.append(0x3A)
    }

    /// An integer in decimal, as `JSONValue.int` renders it.
    public static func decimal(_ i: Int64, into out: inout [UInt8]) {
        if i == 0 { out.append(0x30); return }
        if i < 0 { out.append(0x2D) }
        var v = i.magnitude
        let start = out.count
        while v > 0 {
            out.append(0x30 + UInt8(v % 10))
            v /= 10
        }
        out[start...].reverse()
    }

    /// A double as `JSONValue.double` renders it: NaN and infinities as strings, whole numbers below 1e15 as `N.0`.
    public static func double(_ d: Double, into out: inout [UInt8]) {
        if d.isNaN {
            out.append(contentsOf: "\"NaN\"".utf8)
        } else if d.isInfinite {
            out.append(contentsOf: (d > 0 ? "\"Infinity\"" : "\"-Infinity\"").utf8)
        } else if d == d.rounded(), abs(d) < 1e15 {
            decimal(Int64(d), into: &out)
            out.append(contentsOf: [0x2E, 0x30])
        } else {
            out.append(contentsOf: "\(d)".utf8)
        }
    }

    /// Bytes as a quoted lowercase hex string.
    public static func hex(_ bytes: [UInt8], into out: inout [UInt8]) {
        out.append(0x22)
        out.reserveCapacity(out.count + bytes.count * 2 + 1)
        for b in bytes {
            out.append(hexDigits[Int(b >> 4)])
            out.append(hexDigits[Int(b & 0x0F)])
        }
        out.append(0x22)
    }

    /// A quoted string, escaped as `JSONValue.string` is: `"`, `\`, and control characters; UTF-8 passes through.
    public static func string(_ s: String, into out: inout [UInt8]) {
        out.append(0x22)
        var s = s
        var plain = true
        s.withUTF8 { bytes in
            for b in bytes where b < 0x20 || b == 0x22 || b == 0x5C { plain = false; break }
            if plain { out.append(contentsOf: bytes) }
        }
        if !plain {
            for b in s.utf8 {
                switch b {
                case 0x22: out.append(contentsOf: [0x5C, 0x22])
                case 0x5C: out.append(contentsOf: [0x5C, 0x5C])
                case 0x0A: out.append(contentsOf: [0x5C, 0x6E])
                case 0x0D: out.append(contentsOf: [0x5C, 0x72])
                case 0x09: out.append(contentsOf: [0x5C, 0x74])
                case 0x00..<0x20: out.append(contentsOf: [0x5C, 0x75, 0x30, 0x30, hexDigits[Int(b >> 4)], hexDigits[Int(b & 0x0F)]])
                default: out.append(b)
                }
            }
        }
        out.append(0x22)
    }

    private static let nullBytes: [UInt8] = Array("null".utf8)
    private static let trueBytes: [UInt8] = Array("true".utf8)
    private static let falseBytes: [UInt8] = Array("false".utf8)
    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
    private static let valueKeyAfterComma: [UInt8] = Array(",\"value\":".utf8)
}
