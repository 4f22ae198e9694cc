import CairnCore

/// A value of a `Schema`, with the compact binary encoding of format spec §7.2.
public indirect enum TypedValue: Sendable, Equatable, CustomStringConvertible {
    case boolean(Bool)
    case int32(Int32)
    case int64(Int64)
    case float32(Float)
    case float64(Double)
    case string(String)
    case bytes([UInt8])
    case optional(TypedValue?)
    case list([TypedValue])
    /// Pairs in encoded-key order once encoded.
    case map([(TypedValue, TypedValue)])
    /// Field values in schema order.
    case record([TypedValue])

    public static func == (a: TypedValue, b: TypedValue) -> Bool {
        switch (a, b) {
        case (.boolean(let x), .boolean(let y)): x == y
        case (.int32(let x), .int32(let y)): x == y
        case (.int64(let x), .int64(let y)): x == y
        case (.float32(let x), .float32(let y)): x.bitPattern == y.bitPattern
        case (.float64(let x), .float64(let y)): x.bitPattern == y.bitPattern
        case (.string(let x), .string(let y)): x == y
        case (.bytes(let x), .bytes(let y)): x == y
        case (.optional(let x), .optional(let y)): x == y
        case (.list(let x), .list(let y)): x == y
        case (.map(let x), .map(let y)): x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        case (.record(let x), .record(let y)): x == y
        default: false
        }
    }

    public var description: String {
        switch self {
        case .boolean(let v): "\(v)"
        case .int32(let v): "\(v)"
        case .int64(let v): "\(v)"
        case .float32(let v): "\(v)"
        case .float64(let v): "\(v)"
        case .string(let v): "\"\(v)\""
        case .bytes(let v): "0x" + Hex.encode(v)
        case .optional(let v): v.map { "\($0)" } ?? "null"
        case .list(let v): "[" + v.map(\.description).joined(separator: ", ") + "]"
        case .map(let v): "{" + v.map { "\($0.0): \($0.1)" }.joined(separator: ", ") + "}"
        case .record(let v): "(" + v.map(\.description).joined(separator: ", ") + ")"
        }
    }

    /// Encodes without checking against a schema; map pairs are sorted by their encoded keys.
    public func encode(into w: inout ByteWriter) {
        switch self {
        case .boolean(let v): w.writeBool(v)
        case .int32(let v): w.writeSVarint(Int64(v))
        case .int64(let v): w.writeSVarint(v)
        case .float32(let v): w.writeU32(v.bitPattern)
        case .float64(let v): w.writeU64(v.bitPattern)
        case .string(let v): w.writeString(v)
        case .bytes(let v): w.writeBytes(v)
        case .optional(let v):
            if let v {
                w.writeU8(1)
                v.encode(into: &w)
            } else {
                w.writeU8(0)
            }
        case .list(let items):
            w.writeVarint(items.count)
            for i in items { i.encode(into: &w) }
        case .map(let pairs):
            let encoded = pairs.map { p -> ([UInt8], TypedValue) in
                var kw = ByteWriter()
                p.0.encode(into: &kw)
                return (kw.bytes, p.1)
            }.sorted { $0.0.lexicographicallyPrecedes($1.0) }
            w.writeVarint(encoded.count)
            for (k, v) in encoded {
                w.writeRaw(k)
                v.encode(into: &w)
            }
        case .record(let fields):
            for f in fields { f.encode(into: &w) }
        }
    }

    public var encoded: [UInt8] {
        var w = ByteWriter()
        encode(into: &w)
        return w.bytes
    }

    /// Decodes one value of `schema`.
    public static func decode(_ schema: Schema, from r: inout ByteReader, depth: Int = 0) throws(DecodeError) -> TypedValue {
        guard depth < Schema.maxDepth else {
            throw DecodeError(.invalidValue, "value nests deeper than \(Schema.maxDepth)", at: r.position)
        }
        switch schema {
        case .boolean: return .boolean(try r.readBool("boolean"))
        case .int32:
            let at = r.position
            let v = try r.readSVarint("int32")
            guard let i = Int32(exactly: v) else {
                throw DecodeError(.invalidValue, "int32 value \(v) out of range", at: at)
            }
            return .int32(i)
        case .int64: return .int64(try r.readSVarint("int64"))
        case .float32: return .float32(Float(bitPattern: try r.readU32("float32")))
        case .float64: return .float64(Double(bitPattern: try r.readU64("float64")))
        case .string: return .string(try r.readString("string value"))
        case .bytes: return .bytes(try r.readBytes("bytes value"))
        case .optional(let inner):
            let at = r.position
            switch try r.readU8("optional marker") {
            case 0: return .optional(nil)
            case 1: return .optional(try decode(inner, from: &r, depth: depth + 1))
            case let m: throw DecodeError(.invalidValue, "optional marker must be 0 or 1, found \(m)", at: at)
            }
        case .list(let item):
            let n = try r.readCount("list length", max: r.remaining)
            var items: [TypedValue] = []
            for _ in 0..<n { items.append(try decode(item, from: &r, depth: depth + 1)) }
            return .list(items)
        case .map(let ks, let vs):
            let n = try r.readCount("map size", max: r.remaining)
            var pairs: [(TypedValue, TypedValue)] = []
            var previous: ArraySlice<UInt8>? = nil
            for _ in 0..<n {
                let keyStart = r.position
                let k = try decode(ks, from: &r, depth: depth + 1)
                let keyBytes = r.buffer[keyStart..<r.position]
                if let p = previous, !p.lexicographicallyPrecedes(keyBytes) {
                    throw DecodeError(.outOfOrder, "map keys are not strictly ascending", at: keyStart)
                }
                previous = keyBytes
                pairs.append((k, try decode(vs, from: &r, depth: depth + 1)))
            }
            return .map(pairs)
        case .record(_, let fields):
            var values: [TypedValue] = []
            for f in fields { values.append(try decode(f.type, from: &r, depth: depth + 1)) }
            return .record(values)
        }
    }

    /// Decodes a whole buffer as one value of `schema`.
    public static func decode(_ schema: Schema, from bytes: [UInt8]) throws(DecodeError) -> TypedValue {
        var r = ByteReader(bytes)
        let v = try decode(schema, from: &r)
        try r.expectEnd("typed value")
        return v
    }

    /// True if the value has the shape of `schema`.
    public func conforms(to schema: Schema) -> Bool {
        switch (self, schema) {
        case (.boolean, .boolean), (.int32, .int32), (.int64, .int64), (.float32, .float32), (.float64, .float64),
            (.string, .string), (.bytes, .bytes):
            return true
        case (.optional(let v), .optional(let s)): return v.map { $0.conforms(to: s) } ?? true
        case (.list(let items), .list(let s)): return items.allSatisfy { $0.conforms(to: s) }
        case (.map(let pairs), .map(let ks, let vs)): return pairs.allSatisfy { $0.0.conforms(to: ks) && $0.1.conforms(to: vs) }
        case (.record(let values), .record(_, let fields)):
            return values.count == fields.count && zip(values, fields).allSatisfy { $0.conforms(to: $1.type) }
        default: return false
        }
    }
}
