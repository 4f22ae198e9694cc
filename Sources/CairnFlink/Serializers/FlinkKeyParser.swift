import CairnCore

/// Turns a key a person typed (`--key VALUE`) into the `FlinkValue` the key serializer would hold: strings as
/// typed, numbers and booleans parsed, tuples and rows from a JSON array (`[1, "a"]`) or object (`{"f0": 1}`).
public enum FlinkKeyParser {
    public static func parse(_ text: String, for s: FlinkTypeSerializer) throws -> FlinkValue {
        switch s {
        case .string: return .string(text)
        case .tuple, .row, .rowData, .list:
            return try value(JSONText.parse(text), s, depth: 0)
        default:
            if let v = try? value(.string(text), s, depth: 0) { return v }
            return try value(JSONText.parse(text), s, depth: 0)
        }
    }

    static func value(_ j: JSONValue, _ s: FlinkTypeSerializer, depth: Int) throws -> FlinkValue {
        guard depth < 32 else { throw FlinkSerializerError(.invalidInput, "key nested too deep") }
        func bad() -> FlinkSerializerError { FlinkSerializerError(.invalidInput, "\(j.rendered(indent: 0)) is not a \(s.name) key") }
        func text() -> String? {
            switch j {
            case .string(let t): t
            case .int(let i): String(i)
            case .uint(let u): String(u)
            case .double(let d): String(d)
            case .bool(let b): String(b)
            default: nil
            }
        }
        switch s {
        case .string, .stringData:
            if case .null = j { return .null }
            guard let t = text() else { throw bad() }
            return .string(t)
        case .int: guard let t = text(), let v = Int32(t) else { throw bad() }; return .int(v)
        case .long: guard let t = text(), let v = Int64(t) else { throw bad() }; return .long(v)
        case .short: guard let t = text(), let v = Int16(t) else { throw bad() }; return .short(v)
        case .byte: guard let t = text(), let v = Int8(t) else { throw bad() }; return .byte(v)
        case .double: guard let t = text(), let v = Double(t) else { throw bad() }; return .double(v)
        case .float: guard let t = text(), let v = Float(t) else { throw bad() }; return .float(v)
        case .boolean: guard let t = text(), let v = Bool(t) else { throw bad() }; return .boolean(v)
        case .char:
            guard let t = text(), t.utf16.count == 1, let u = t.utf16.first else { throw bad() }
            return .char(u)
        case .date: guard let t = text(), let v = Int64(t) else { throw bad() }; return .long(v)
        case .bigInteger, .bigDecimal, .decimalData:
            guard let t = text(), FlinkBigDecimal.unscaled(t) != nil else { throw bad() }
            return .decimal(t)
        case .nullable(_, let inner):
            if case .null = j { return .null }
            return try value(j, inner, depth: depth + 1)
        case .tuple(_, let fields):
            return .tuple(try items(j, count: fields.count, names: (0..<fields.count).map { "f\($0)" }).enumerated().map { try value($0.element, fields[$0.offset], depth: depth + 1) })
        case .row(_, let fields):
            return .row(kind: .insert, fields: try items(j, count: fields.count, names: nil).enumerated().map { try value($0.element, fields[$0.offset], depth: depth + 1) })
        case .rowData(let schema):
            let fields = try items(j, count: schema.types.count, names: schema.names)
            return .row(kind: .insert, fields: try zip(fields, schema.types).map { try sqlValue($0, $1) })
        default:
            throw FlinkSerializerError(.invalidInput, "Cairn cannot parse a typed key for \(s.name)")
        }
    }

    static func items(_ j: JSONValue, count: Int, names: [String]?) throws -> [JSONValue] {
        switch j {
        case .array(let a) where a.count == count: return a
        case .object(let fields) where fields.count == count:
            guard let names else { return fields.map(\.1) }
            return try names.map { n in
                guard let v = j[n] else { throw FlinkSerializerError(.invalidInput, "key object has no field \(n)") }
                return v
            }
        default: throw FlinkSerializerError(.invalidInput, "expected a JSON array or object of \(count) fields, got \(j.rendered(indent: 0))")
        }
    }

    static func sqlValue(_ j: JSONValue, _ t: FlinkLogicalType) throws -> FlinkValue {
        if case .null = j { return .null }
        switch t.root {
        case .boolean: return try value(j, .boolean, depth: 1)
        case .tinyint: return try value(j, .byte, depth: 1)
        case .smallint: return try value(j, .short, depth: 1)
        case .integer, .date, .time: return try value(j, .int, depth: 1)
        case .bigint: return try value(j, .long, depth: 1)
        case .float: return try value(j, .float, depth: 1)
        case .double: return try value(j, .double, depth: 1)
        case .char, .varchar: return try value(j, .string, depth: 1)
        case .decimal: return try value(j, .bigDecimal, depth: 1)
        default: throw FlinkSerializerError(.invalidInput, "Cairn cannot parse a \(t) key field")
        }
    }
}
