import CairnCore

/// Parses JSON text into CairnCore's `JSONValue` (object key order kept). CairnFlink has no Foundation; Avro
/// writer schemas in snapshots and user-typed keys are the only JSON it reads, both small.
enum JSONText {
    static func parse(_ text: String) throws -> JSONValue {
        var p = Parser(bytes: Array(text.utf8))
        p.skipSpace()
        let v = try p.value(depth: 0)
        p.skipSpace()
        guard p.i == p.bytes.count else { throw p.error("trailing characters after the JSON value") }
        return v
    }

    private struct Parser {
        let bytes: [UInt8]
        var i = 0

        func error(_ m: String) -> FlinkSerializerError { FlinkSerializerError(.invalidInput, "JSON: \(m) at character \(i)") }

        mutating func skipSpace() {
            while i < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { i += 1 }
        }

        mutating func expect(_ s: String) throws {
            let b = Array(s.utf8)
            guard i + b.count <= bytes.count, Array(bytes[i..<(i + b.count)]) == b else { throw error("expected \(s)") }
            i += b.count
        }

        mutating func value(depth: Int) throws -> JSONValue {
            guard depth < 128 else { throw error("nested deeper than 128") }
            guard i < bytes.count else { throw error("unexpected end") }
            switch bytes[i] {
            case 0x7B:
                i += 1
                var fields: [(String, JSONValue)] = []
                skipSpace()
                if i < bytes.count, bytes[i] == 0x7D { i += 1; return .object(fields) }
                while true {
                    skipSpace()
                    let k = try string()
                    skipSpace()
                    try expect(":")
                    skipSpace()
                    fields.append((k, try value(depth: depth + 1)))
                    skipSpace()
                    guard i < bytes.count else { throw error("unterminated object") }
                    if bytes[i] == 0x2C { i += 1; continue }
                    try expect("}")
                    return .object(fields)
                }
            case 0x5B:
                i += 1
                var items: [JSONValue] = []
                skipSpace()
                if i < bytes.count, bytes[i] == 0x5D { i += 1; return .array(items) }
                while true {
                    skipSpace()
                    items.append(try value(depth: depth + 1))
                    skipSpace()
                    guard i < bytes.count else { throw error("unterminated array") }
                    if bytes[i] == 0x2C { i += 1; continue }
                    try expect("]")
                    return .array(items)
                }
            case 0x22: return .string(try string())
            case 0x74: try expect("true"); return .bool(true)
            case 0x66: try expect("false"); return .bool(false)
            case 0x6E: try expect("null"); return .null
            default: return try number()
            }
        }

        mutating func number() throws -> JSONValue {
            let start = i
            while i < bytes.count, "+-0123456789.eE".utf8.contains(bytes[i]) { i += 1 }
            let s = String(decoding: bytes[start..<i], as: UTF8.self)
            if let n = Int64(s) { return .int(n) }
            if let u = UInt64(s) { return .uint(u) }
            if let d = Double(s), !s.isEmpty { return .double(d) }
            i = start
            throw error("expected a JSON value")
        }

        mutating func hex4() throws -> UInt16 {
            guard i + 4 <= bytes.count, let v = UInt16(String(decoding: bytes[i..<(i + 4)], as: UTF8.self), radix: 16) else { throw error("bad \\u escape") }
            i += 4
            return v
        }

        mutating func string() throws -> String {
            try expect("\"")
            var units: [UInt16] = []
            var raw: [UInt8] = []
            func flush() { units += String(decoding: raw, as: UTF8.self).utf16; raw.removeAll() }
            while true {
                guard i < bytes.count else { throw error("unterminated string") }
                let b = bytes[i]
                i += 1
                if b == 0x22 { break }
                if b != 0x5C { raw.append(b); continue }
                guard i < bytes.count else { throw error("unterminated escape") }
                let e = bytes[i]
                i += 1
                switch e {
                case 0x6E: raw.append(0x0A)
                case 0x74: raw.append(0x09)
                case 0x72: raw.append(0x0D)
                case 0x62: raw.append(0x08)
                case 0x66: raw.append(0x0C)
                case 0x75: flush(); units.append(try hex4())
                default: raw.append(e)
                }
            }
            flush()
            return String(decoding: units, as: UTF16.self)
        }
    }
}
