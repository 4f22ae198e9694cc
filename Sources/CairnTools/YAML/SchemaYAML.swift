import CairnCore
import CairnFormat
import CairnModel
import Yams

/// The readable YAML form of a typed schema (format spec §7). A type is either the textual form of §7.3 —
/// `int64`, `optional<string>`, `list<int32>`, `map<string,float64>` — or a mapping for records and for
/// composites of records:
///
/// ```yaml
/// record: UserTotals
/// fields:
///   - {name: count, type: int64}
///   - {name: amount, type: optional<float64>, aliases: [sum]}
///   - {name: currency, type: string, default: EUR}
///   - name: address
///     type: {record: Address, fields: [{name: city, type: string}]}
/// ```
///
/// and `{optional: T}`, `{list: T}`, `{map: {key: K, value: V}}`. Defaults are plain YAML values of the field's
/// type (bytes as `0x…` hex, absent optionals as `null`).
public enum SchemaYAML {
    /// Reads a schema from YAML or JSON text.
    public static func parse(_ text: String, file: String = "schema") throws(JobSpecError) -> Schema {
        let reader = YAMLReader(file: file)
        return try schema(try reader.root(text), "", reader)
    }

    static func schema(_ node: Node, _ path: String, _ r: YAMLReader) throws(JobSpecError) -> Schema {
        switch node {
        case .scalar:
            return try textual(try r.string(node, path), path, node, r)
        case .mapping(let m):
            let keys = m.keys.compactMap(\.string)
            if keys.contains("record") {
                let entries = try r.mapping(node, path, allowed: ["record", "fields"])
                guard let nameNode = entries["record"] else { throw r.fail(path, node, "a record needs record: NAME") }
                let name = try r.string(nameNode, path + ".record")
                guard let fieldsNode = entries["fields"] else { throw r.fail(path, node, "record \(name) needs fields:") }
                let items = try r.sequence(fieldsNode, path + ".fields")
                guard !items.isEmpty else { throw r.fail(path + ".fields", fieldsNode, "record \(name) needs at least one field") }
                var fields: [Schema.Field] = []
                for (i, item) in items.enumerated() {
                    let fp = "\(path).fields[\(i)]"
                    let f = try r.mapping(item, fp, allowed: ["name", "type", "default", "aliases"])
                    guard let n = f["name"] else { throw r.fail(fp, item, "a field needs name:") }
                    let fname = try r.string(n, fp + ".name")
                    guard !fields.contains(where: { $0.name == fname }) else { throw r.fail(fp + ".name", n, "record \(name) repeats field \(fname)") }
                    guard let t = f["type"] else { throw r.fail(fp, item, "field \(fname) needs type:") }
                    let type = try schema(t, fp + ".type", r)
                    var aliases: [String] = []
                    if let a = f["aliases"] {
                        for (j, alias) in try r.sequence(a, fp + ".aliases").enumerated() { aliases.append(try r.string(alias, "\(fp).aliases[\(j)]")) }
                    }
                    let d = try f["default"].map { node throws(JobSpecError) in try value(node, type, fp + ".default", r) }
                    fields.append(Schema.Field(fname, type, default: d, aliases: aliases))
                }
                return .record(name: name, fields: fields)
            }
            if keys.contains("optional") {
                let e = try r.mapping(node, path, allowed: ["optional"])
                return .optional(try schema(e["optional"]!, path + ".optional", r))
            }
            if keys.contains("list") {
                let e = try r.mapping(node, path, allowed: ["list"])
                return .list(try schema(e["list"]!, path + ".list", r))
            }
            if keys.contains("map") {
                let e = try r.mapping(node, path, allowed: ["map"])
                let kv = try r.mapping(e["map"]!, path + ".map", allowed: ["key", "value"])
                guard let k = kv["key"], let v = kv["value"] else { throw r.fail(path + ".map", node, "a map needs key: and value:") }
                return .map(key: try schema(k, path + ".map.key", r), value: try schema(v, path + ".map.value", r))
            }
            _ = try r.mapping(node, path, allowed: ["record", "fields", "optional", "list", "map"])
            throw r.fail(path, node, "a type mapping needs record:, optional:, list: or map:")
        default:
            throw r.fail(path, node, "expected a type (int64, optional<string>, …) or a record mapping, found \(r.kind(node))")
        }
    }

    /// `int64`, `optional<T>`, `list<T>`, `map<K,V>`.
    static func textual(_ text: String, _ path: String, _ node: Node, _ r: YAMLReader) throws(JobSpecError) -> Schema {
        var chars = Array(text.filter { !$0.isWhitespace })
        var i = 0
        func parse(_ depth: Int) throws(JobSpecError) -> Schema {
            guard depth < Schema.maxDepth else { throw r.fail(path, node, "type nests deeper than \(Schema.maxDepth)") }
            var word = ""
            while i < chars.count, chars[i].isLetter || chars[i].isNumber { word.append(chars[i]); i += 1 }
            func argument() throws(JobSpecError) -> Schema {
                guard i < chars.count, chars[i] == "<" else { throw r.fail(path, node, "\(word) needs its type in <…> in \"\(text)\"") }
                i += 1
                return try parse(depth + 1)
            }
            func close() throws(JobSpecError) {
                guard i < chars.count, chars[i] == ">" else { throw r.fail(path, node, "missing > in \"\(text)\"") }
                i += 1
            }
            switch word {
            case "boolean": return .boolean
            case "int32": return .int32
            case "int64": return .int64
            case "float32": return .float32
            case "float64": return .float64
            case "string": return .string
            case "bytes": return .bytes
            case "optional":
                let t = try argument()
                try close()
                return .optional(t)
            case "list":
                let t = try argument()
                try close()
                return .list(t)
            case "map":
                let k = try argument()
                guard i < chars.count, chars[i] == "," else { throw r.fail(path, node, "map needs <KEY,VALUE> in \"\(text)\"") }
                i += 1
                let v = try parse(depth + 1)
                try close()
                return .map(key: k, value: v)
            case "record":
                throw r.fail(path, node, "write a record as a mapping with record: NAME and fields:")
            default:
                let known = "boolean, int32, int64, float32, float64, string, bytes, optional<T>, list<T>, map<K,V>"
                let hint = YAMLReader.suggestion(word, among: ["boolean", "int32", "int64", "float32", "float64", "string", "bytes", "optional", "list", "map"])
                throw r.fail(path, node, "unknown type \"\(word)\"" + (hint.map { "; did you mean \($0)?" } ?? "; types are \(known)"))
            }
        }
        let s = try parse(0)
        guard i == chars.count else { throw r.fail(path, node, "unexpected \"\(String(chars[i...]))\" after the type in \"\(text)\"") }
        chars.removeAll()
        return s
    }

    /// A default value of `type` from a YAML value.
    static func value(_ node: Node, _ type: Schema, _ path: String, _ r: YAMLReader) throws(JobSpecError) -> TypedValue {
        switch type {
        case .boolean: return .boolean(try r.bool(node, path))
        case .int32: return .int32(Int32(try r.int(node, path, min: Int(Int32.min), max: Int(Int32.max))))
        case .int64: return .int64(Int64(try r.int(node, path)))
        case .float32, .float64:
            guard case .scalar = node, YAMLReader.tagName(node) == .float || YAMLReader.tagName(node) == .int, let v = node.float else {
                throw r.fail(path, node, "expected a number, found \(r.kind(node))")
            }
            return type == .float32 ? .float32(Float(v)) : .float64(v)
        case .string: return .string(try r.string(node, path))
        case .bytes:
            let s = try r.string(node, path)
            guard s.hasPrefix("0x"), let b = Hex.decode(String(s.dropFirst(2))) else { throw r.fail(path, node, "bytes are written as 0x followed by hex digits") }
            return .bytes(b)
        case .optional(let t):
            if YAMLReader.tagName(node) == .null { return .optional(nil) }
            return .optional(try value(node, t, path, r))
        case .list(let t):
            var items: [TypedValue] = []
            for (i, item) in try r.sequence(node, path).enumerated() { items.append(try value(item, t, "\(path)[\(i)]", r)) }
            return .list(items)
        case .map(let k, let v):
            guard case .mapping(let m) = node else { throw r.fail(path, node, "expected a mapping, found \(r.kind(node))") }
            var pairs: [(TypedValue, TypedValue)] = []
            for (key, val) in m {
                let kv = try value(key, k, path, r)
                pairs.append((kv, try value(val, v, "\(path).\(key.string ?? "?")", r)))
            }
            pairs.sort { $0.0.encoded.lexicographicallyPrecedes($1.0.encoded) }
            return .map(pairs)
        case .record(let name, let fields):
            let e = try r.mapping(node, path, allowed: fields.map(\.name))
            var values: [TypedValue] = []
            for f in fields {
                if let n = e[f.name] {
                    values.append(try value(n, f.type, "\(path).\(f.name)", r))
                } else if let d = f.defaultValue {
                    values.append(d)
                } else {
                    throw r.fail(path, node, "the \(name) value needs \(f.name) (it has no default)")
                }
            }
            return .record(values)
        }
    }

    /// The YAML (flow style, one line) form of a schema, as `parse` reads it back.
    public static func render(_ schema: Schema) -> String {
        func containsRecord(_ s: Schema) -> Bool {
            switch s {
            case .record: true
            case .optional(let t), .list(let t): containsRecord(t)
            case .map(let k, let v): containsRecord(k) || containsRecord(v)
            default: false
            }
        }
        guard containsRecord(schema) else {
            // Commas end plain scalars inside flow collections: quote `map<K,V>`.
            return schema.description.contains(",") ? "\"\(schema.description)\"" : schema.description
        }
        switch schema {
        case .record(let name, let fields):
            let fs = fields.map { f in
                "{name: \(f.name), type: \(render(f.type))"
                    + (f.aliases.isEmpty ? "" : ", aliases: [\(f.aliases.joined(separator: ", "))]")
                    + (f.defaultValue.map { ", default: \(renderValue($0))" } ?? "") + "}"
            }
            return "{record: \(name), fields: [\(fs.joined(separator: ", "))]}"
        case .optional(let t): return "{optional: \(render(t))}"
        case .list(let t): return "{list: \(render(t))}"
        case .map(let k, let v): return "{map: {key: \(render(k)), value: \(render(v))}}"
        default: return schema.description
        }
    }

    static func renderValue(_ v: TypedValue) -> String {
        switch v {
        case .optional(nil): "null"
        case .optional(let x?): renderValue(x)
        case .list(let items): "[" + items.map(renderValue).joined(separator: ", ") + "]"
        case .map(let pairs): "{" + pairs.map { renderValue($0.0) + ": " + renderValue($0.1) }.joined(separator: ", ") + "}"
        case .record(let values): "[" + values.map(renderValue).joined(separator: ", ") + "]"
        default: v.description
        }
    }
}
