import CairnCore

/// The small self-describing schema language of typed state values (format spec §7).
///
/// Records evolve the way Avro's do (fields added with defaults, removed, renamed through aliases, numbers
/// widened), which is what lets a later rewrite migrate values between schema versions.
public indirect enum Schema: Sendable, Equatable, CustomStringConvertible {
    case boolean, int32, int64, float32, float64, string, bytes
    case optional(Schema)
    case list(Schema)
    case map(key: Schema, value: Schema)
    case record(name: String, fields: [Field])

    public struct Field: Sendable, Equatable {
        public var name: String
        public var aliases: [String]
        public var type: Schema
        public var defaultValue: TypedValue?

        public init(_ name: String, _ type: Schema, default defaultValue: TypedValue? = nil, aliases: [String] = []) {
            self.name = name
            self.aliases = aliases
            self.type = type
            self.defaultValue = defaultValue
        }
    }

    /// Deepest nesting a reader accepts.
    public static let maxDepth = 64

    enum Tag: UInt8 {
        case boolean = 0x01, int32, int64, float32, float64, string, bytes
        case optional = 0x10, list, map, record
    }

    public var description: String {
        switch self {
        case .boolean: "boolean"
        case .int32: "int32"
        case .int64: "int64"
        case .float32: "float32"
        case .float64: "float64"
        case .string: "string"
        case .bytes: "bytes"
        case .optional(let s): "optional<\(s)>"
        case .list(let s): "list<\(s)>"
        case .map(let k, let v): "map<\(k),\(v)>"
        case .record(let name, let fields):
            "record \(name) { "
                + fields.map { f in
                    "\(f.name): \(f.type)" + (f.defaultValue.map { " = \($0)" } ?? "")
                }.joined(separator: ", ") + " }"
        }
    }

    // MARK: Binary form

    public func encode(into w: inout ByteWriter) {
        switch self {
        case .boolean: w.writeU8(Tag.boolean.rawValue)
        case .int32: w.writeU8(Tag.int32.rawValue)
        case .int64: w.writeU8(Tag.int64.rawValue)
        case .float32: w.writeU8(Tag.float32.rawValue)
        case .float64: w.writeU8(Tag.float64.rawValue)
        case .string: w.writeU8(Tag.string.rawValue)
        case .bytes: w.writeU8(Tag.bytes.rawValue)
        case .optional(let s):
            w.writeU8(Tag.optional.rawValue)
            s.encode(into: &w)
        case .list(let s):
            w.writeU8(Tag.list.rawValue)
            s.encode(into: &w)
        case .map(let k, let v):
            w.writeU8(Tag.map.rawValue)
            k.encode(into: &w)
            v.encode(into: &w)
        case .record(let name, let fields):
            w.writeU8(Tag.record.rawValue)
            w.writeString(name)
            w.writeVarint(fields.count)
            for f in fields {
                w.writeString(f.name)
                w.writeVarint(f.aliases.count)
                for a in f.aliases { w.writeString(a) }
                f.type.encode(into: &w)
                if let d = f.defaultValue {
                    w.writeBool(true)
                    d.encode(into: &w)
                } else {
                    w.writeBool(false)
                }
            }
        }
    }

    public static func decode(from r: inout ByteReader, depth: Int = 0) throws(DecodeError) -> Schema {
        guard depth < maxDepth else {
            throw DecodeError(.invalidValue, "schema nests deeper than \(maxDepth)", at: r.position)
        }
        let at = r.position
        let raw = try r.readU8("schema tag")
        guard let tag = Tag(rawValue: raw) else {
            throw DecodeError(.unknownTag, "unknown schema type tag 0x\(String(raw, radix: 16))", at: at)
        }
        switch tag {
        case .boolean: return .boolean
        case .int32: return .int32
        case .int64: return .int64
        case .float32: return .float32
        case .float64: return .float64
        case .string: return .string
        case .bytes: return .bytes
        case .optional: return .optional(try decode(from: &r, depth: depth + 1))
        case .list: return .list(try decode(from: &r, depth: depth + 1))
        case .map:
            let k = try decode(from: &r, depth: depth + 1)
            return .map(key: k, value: try decode(from: &r, depth: depth + 1))
        case .record:
            let name = try r.readString("record name")
            let countAt = r.position
            let n = try r.readCount("field count", max: r.remaining)
            guard n >= 1 else {
                throw DecodeError(.invalidValue, "record \(name) has no fields; records need at least one", at: countAt)
            }
            var fields: [Field] = []
            var seen = Set<String>()
            for _ in 0..<n {
                let fieldAt = r.position
                let fname = try r.readString("field name")
                guard seen.insert(fname).inserted else {
                    throw DecodeError(.invalidValue, "record \(name) repeats field \(fname)", at: fieldAt)
                }
                let na = try r.readCount("alias count", max: r.remaining)
                var aliases: [String] = []
                for _ in 0..<na { aliases.append(try r.readString("alias")) }
                let type = try decode(from: &r, depth: depth + 1)
                var d: TypedValue? = nil
                if try r.readBool("hasDefault") { d = try TypedValue.decode(type, from: &r, depth: depth + 1) }
                fields.append(Field(fname, type, default: d, aliases: aliases))
            }
            return .record(name: name, fields: fields)
        }
    }

    public var encoded: [UInt8] {
        var w = ByteWriter()
        encode(into: &w)
        return w.bytes
    }
}
