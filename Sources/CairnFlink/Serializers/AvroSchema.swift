import CairnCore

/// An Avro writer schema as stored in an `AvroSerializerSnapshot` (its JSON parsed into a small model): enough to
/// walk values Flink wrote with its `DataOutputEncoder`. Logical types are kept as their base type.
public struct AvroSchema: Sendable, Equatable {
    public indirect enum Node: Sendable, Equatable {
        case null, boolean, int, long, float, double, bytes, string
        case record(name: String, fields: [Field])
        case enumeration(name: String, symbols: [String])
        case array(Node)
        case map(Node)
        case union([Node])
        case fixed(name: String, size: Int)
        /// A named type defined elsewhere in the schema (also how recursive records refer to themselves).
        case reference(String)
    }

    public struct Field: Sendable, Equatable {
        public var name: String
        public var type: Node
        public init(name: String, type: Node) {
            self.name = name
            self.type = type
        }
    }

    public var root: Node
    /// Named types (records, enums, fixed) by full name and by simple name.
    public var named: [String: Node]
    /// The schema JSON as the snapshot holds it.
    public var json: String

    public init(root: Node, named: [String: Node] = [:], json: String = "") {
        self.root = root
        self.named = named
        self.json = json
    }

    /// The node a reference stands for.
    public func resolve(_ n: Node) -> Node {
        if case .reference(let name) = n { return named[name] ?? n }
        return n
    }

    /// Parses a schema's JSON text.
    public static func parse(_ text: String) throws -> AvroSchema {
        var named: [String: Node] = [:]
        let root = try node(try JSONText.parse(text), namespace: nil, named: &named, depth: 0)
        return AvroSchema(root: root, named: named, json: text)
    }

    private static func fullName(_ name: String, _ ns: String?) -> String {
        guard !name.contains("."), let ns, !ns.isEmpty else { return name }
        return ns + "." + name
    }

    private static func node(_ j: JSONValue, namespace: String?, named: inout [String: Node], depth: Int) throws -> Node {
        guard depth < 64 else { throw FlinkSerializerError(.limit, "Avro schema nested deeper than 64") }
        switch j {
        case .string(let s):
            switch s {
            case "null": return .null
            case "boolean": return .boolean
            case "int": return .int
            case "long": return .long
            case "float": return .float
            case "double": return .double
            case "bytes": return .bytes
            case "string": return .string
            default:
                let full = fullName(s, namespace)
                return named[full] != nil ? .reference(full) : .reference(named[s] != nil ? s : full)
            }
        case .array(let items):
            return .union(try items.map { try node($0, namespace: namespace, named: &named, depth: depth + 1) })
        case .object:
            guard case .string(let type)? = j["type"] else {
                if let t = j["type"] { return try node(t, namespace: namespace, named: &named, depth: depth + 1) }
                throw FlinkSerializerError(.malformed, "Avro schema object without a type")
            }
            var ns = namespace
            if case .string(let n)? = j["namespace"] { ns = n }
            let name: String? = { if case .string(let n)? = j["name"] { return n } else { return nil } }()
            switch type {
            case "record", "error":
                let full = fullName(name ?? "record", ns)
                let inner = full.lastIndex(of: ".").map { String(full[..<$0]) } ?? ns
                named[full] = .record(name: full, fields: [])  // lets fields refer to the record itself
                named[String(full.split(separator: ".").last ?? "")] = named[full]
                var fields: [Field] = []
                if case .array(let fs)? = j["fields"] {
                    for f in fs {
                        guard case .string(let fname)? = f["name"], let ft = f["type"] else { throw FlinkSerializerError(.malformed, "Avro field without name or type in \(full)") }
                        fields.append(Field(name: fname, type: try node(ft, namespace: inner, named: &named, depth: depth + 1)))
                    }
                }
                let r = Node.record(name: full, fields: fields)
                named[full] = r
                named[String(full.split(separator: ".").last ?? "")] = r
                return r
            case "enum":
                let full = fullName(name ?? "enum", ns)
                var symbols: [String] = []
                if case .array(let ss)? = j["symbols"] { symbols = ss.compactMap { if case .string(let s) = $0 { s } else { nil } } }
                let e = Node.enumeration(name: full, symbols: symbols)
                named[full] = e
                named[String(full.split(separator: ".").last ?? "")] = e
                return e
            case "fixed":
                let full = fullName(name ?? "fixed", ns)
                guard case .int(let size)? = j["size"], size >= 0, size < 1 << 24 else { throw FlinkSerializerError(.malformed, "Avro fixed \(full) without a valid size") }
                let f = Node.fixed(name: full, size: Int(size))
                named[full] = f
                named[String(full.split(separator: ".").last ?? "")] = f
                return f
            case "array":
                guard let items = j["items"] else { throw FlinkSerializerError(.malformed, "Avro array without items") }
                return .array(try node(items, namespace: ns, named: &named, depth: depth + 1))
            case "map":
                guard let values = j["values"] else { throw FlinkSerializerError(.malformed, "Avro map without values") }
                return .map(try node(values, namespace: ns, named: &named, depth: depth + 1))
            default:
                // Primitive with attributes, e.g. {"type": "long", "logicalType": "timestamp-millis"}.
                return try node(.string(type), namespace: ns, named: &named, depth: depth + 1)
            }
        default:
            throw FlinkSerializerError(.malformed, "Avro schema element is not a string, array or object")
        }
    }
}
