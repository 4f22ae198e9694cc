/// A JSON document with object keys kept in insertion order, so `--json` output has a stable, documented shape.
public indirect enum JSONValue: Sendable, Equatable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByNilLiteral
{
    case null
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): true
        case (.bool(let x), .bool(let y)): x == y
        case (.int(let x), .int(let y)): x == y
        case (.uint(let x), .uint(let y)): x == y
        case (.double(let x), .double(let y)): x == y
        case (.string(let x), .string(let y)): x == y
        case (.array(let x), .array(let y)): x == y
        case (.object(let x), .object(let y)): x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: false
        }
    }

    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(Int64(value)) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(nilLiteral: ()) { self = .null }

    public static func number(_ v: Int) -> JSONValue { .int(Int64(v)) }
    public static func number(_ v: Int64) -> JSONValue { .int(v) }
    public static func number(_ v: UInt64) -> JSONValue { v <= UInt64(Int64.max) ? .int(Int64(v)) : .uint(v) }
    public static func optional(_ v: String?) -> JSONValue { v.map { .string($0) } ?? .null }

    /// Renders the document; `indent` > 0 pretty-prints.
    public func rendered(indent: Int = 2) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(4096)
        write(into: &out, indent: indent, level: 0)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the compact rendering (one line) to `out`: what JSON Lines writers use, without a String per line.
    public func append(to out: inout [UInt8]) {
        write(into: &out, indent: 0, level: 0)
    }

    static func pad(_ out: inout [UInt8], _ n: Int) {
        for _ in 0..<n { out.append(0x20) }
    }

    func write(into out: inout [UInt8], indent: Int, level: Int) {
        switch self {
        case .null: out += Self.nullBytes
        case .bool(let b): out += b ? Self.trueBytes : Self.falseBytes
        case .int(let i): Self.decimal(i, into: &out)
        case .uint(let u): out += Array(String(u).utf8)
        case .double(let d): Self.double(d, into: &out)
        case .string(let s): Self.quote(s, into: &out)
        case .array(let items):
            if items.isEmpty { out += [0x5B, 0x5D]; return }
            out.append(0x5B)
            for (i, item) in items.enumerated() {
                if indent > 0 { out.append(0x0A); Self.pad(&out, indent * (level + 1)) }
                item.write(into: &out, indent: indent, level: level + 1)
                if i < items.count - 1 { out.append(0x2C) }
            }
            if indent > 0 { out.append(0x0A); Self.pad(&out, indent * level) }
            out.append(0x5D)
        case .object(let fields):
            if fields.isEmpty { out += [0x7B, 0x7D]; return }
            out.append(0x7B)
            for (i, (k, v)) in fields.enumerated() {
                if indent > 0 { out.append(0x0A); Self.pad(&out, indent * (level + 1)) }
                Self.quote(k, into: &out)
                out.append(0x3A)
                if indent > 0 { out.append(0x20) }
                v.write(into: &out, indent: indent, level: level + 1)
                if i < fields.count - 1 { out.append(0x2C) }
            }
            if indent > 0 { out.append(0x0A); Self.pad(&out, indent * level) }
            out.append(0x7D)
        }
    }

    private static let nullBytes = Array("null".utf8)
    private static let trueBytes = Array("true".utf8)
    private static let falseBytes = Array("false".utf8)

    /// A double as JSON: integral values keep a `.0`, NaN and infinities become strings.
    static func double(_ d: Double, into out: inout [UInt8]) {
        if d.isNaN {
            out += Array("\"NaN\"".utf8)
        } else if d.isInfinite {
            out += Array((d > 0 ? "\"Infinity\"" : "\"-Infinity\"").utf8)
        } else if d == d.rounded(), abs(d) < 1e15 {
            out += Array((String(Int64(d)) + ".0").utf8)
        } else {
            out += Array("\(d)".utf8)
        }
    }

    /// An integer in decimal, without building a String.
    static func decimal(_ i: Int64, into out: inout [UInt8]) {
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

    static func quote(_ s: String, into out: inout [UInt8]) {
        out.append(0x22)
        var plain = true
        var s = s
        s.withUTF8 { bytes in
            // Fast path: nothing to escape, copy the bytes at once.
            for b in bytes where b < 0x20 || b == 0x22 || b == 0x5C { plain = false; break }
            if plain { out.append(contentsOf: bytes) }
        }
        if plain { out.append(0x22); return }
        for b in s.utf8 {
            switch b {
            case 0x22: out += [0x5C, 0x22]
            case 0x5C: out += [0x5C, 0x5C]
            case 0x0A: out += [0x5C, 0x6E]
            case 0x0D: out += [0x5C, 0x72]
            case 0x09: out += [0x5C, 0x74]
            case 0x00..<0x20:
                let h = Array(String(b, radix: 16).utf8)
                out += [0x5C, 0x75, 0x30, 0x30] + (h.count == 1 ? [0x30] : []) + h
            default: out.append(b)  // UTF-8 passes through unchanged
            }
        }
        out.append(0x22)
    }

    /// The value under `key` of an object.
    public subscript(key: String) -> JSONValue? {
        if case .object(let fields) = self { return fields.first { $0.0 == key }?.1 }
        return nil
    }
}
