import CairnCore

/// Field changes on an `AvroSerializerSnapshot`: the writer schema's JSON is rewritten (field order kept, new fields
/// appended with their `default`, a renamed field's old name added to its `aliases`, `int`/`float` fields turned
/// into `long`/`double`), and the snapshot is written in its input version with the new schema.
enum FlinkAvroEvolution {
    typealias Resolver = FlinkSchemaEvolution.Resolver

    /// Avro's names for the types a new or widened field can have.
    static let types: [(FlinkTypeSerializer, String)] = [(.boolean, "boolean"), (.int, "int"), (.long, "long"), (.float, "float"), (.double, "double"), (.string, "string")]

    static func typeName(_ t: FlinkTypeSerializer) -> String? { types.first { $0.0 == t }?.1 }

    static func evolve(_ bytes: [UInt8], className: String, version: Int32, runtimeClass: String, schema: AvroSchema, path: [String],
                       changes: [FlinkFieldChange], problems: inout [String]) throws -> ([UInt8], FlinkValueConversion) {
        guard !changes.isEmpty else { return (bytes, .same) }
        let (json, conversion) = record(try JSONText.parse(schema.json), path: path, changes: changes, problems: &problems)
        let text = json.rendered(indent: 0)
        var w = ByteWriter()
        FlinkSnapshotBytes.writeUTF(className, to: &w)
        w.writeU32(UInt32(bitPattern: version))
        if version == 2 {
            FlinkSnapshotBytes.writeUTF(runtimeClass, to: &w)
            FlinkSnapshotBytes.writeUTF(text, to: &w)
        } else {
            FlinkStringValue.write(runtimeClass, to: &w)
            FlinkStringValue.write(text, to: &w)
        }
        return (w.bytes, conversion)
    }

    static func member(_ pairs: [(String, JSONValue)], _ key: String) -> JSONValue? { pairs.first { $0.0 == key }?.1 }

    static func setting(_ pairs: [(String, JSONValue)], _ key: String, _ value: JSONValue) -> [(String, JSONValue)] {
        guard let i = pairs.firstIndex(where: { $0.0 == key }) else { return pairs + [(key, value)] }
        var out = pairs
        out[i].1 = value
        return out
    }

    /// The primitive type name of a field type (`"int"` or `{"type": "int"}`), nil for anything else.
    static func primitive(_ t: JSONValue) -> String? {
        if case .string(let s) = t { return s }
        if case .object(let p) = t, member(p, "logicalType") == nil, case .string(let s)? = member(p, "type"), types.contains(where: { $0.1 == s }) { return s }
        return nil
    }

    static func record(_ j: JSONValue, path: [String], changes: [FlinkFieldChange], problems: inout [String]) -> (JSONValue, FlinkValueConversion) {
        let at = path.isEmpty ? "the Avro record" : "field \(Resolver.dotted(path))"
        guard case .object(let pairs) = j, member(pairs, "type") == .string("record"), case .array(let fields)? = member(pairs, "fields") else {
            problems.append("\(at) is not an Avro record written inline in the schema; its fields cannot change")
            return (j, .same)
        }
        let (direct, nested, adds) = Resolver.split(changes)
        let names: [String] = fields.map { f in
            if case .object(let p) = f, case .string(let n)? = member(p, "name") { return n }
            return ""
        }
        for name in Set(direct.keys).union(nested.keys).sorted() where !names.contains(name) {
            problems.append("field \(Resolver.dotted(path + [name])) does not exist: \(at) has fields \(names.joined(separator: ", "))")
        }
        var out: [JSONValue] = [], sources: [FlinkValueConversion.Field] = []
        for (i, f) in fields.enumerated() {
            guard case .object(var field) = f else { continue }
            let name = names[i], p = Resolver.dotted(path + [name])
            let d = direct[name] ?? [], below = nested[name] ?? []
            guard d.count <= 1 else {
                problems.append("field \(p) has \(d.count) changes (\(d.map(Resolver.verb).joined(separator: ", "))); give one per field")
                continue
            }
            var newName = name, conversion = FlinkValueConversion.same
            switch d.first {
            case .drop?:
                if !below.isEmpty { problems.append("field \(p) is dropped and also changed below") }
                continue
            case .rename(_, let to)?:
                newName = to
                var aliases: [JSONValue] = []
                if case .array(let a)? = member(field, "aliases") { aliases = a }
                field = setting(setting(field, "name", .string(to)), "aliases", .array(aliases + [.string(name)]))
            case .widen(_, let to)?:
                let old = member(field, "type").flatMap(primitive)
                switch (old, to) {
                case ("int"?, .long): conversion = .intToLong
                case ("float"?, .double): conversion = .floatToDouble
                case ("long"?, .int), ("double"?, .float):
                    problems.append("field \(p) would change from \(old ?? "?") to \(typeName(to) ?? to.name), which narrows and can lose data")
                default:
                    problems.append("field \(p) would change from \(old ?? "a union or complex type") to \(typeName(to) ?? to.name), which is not a widening (int → long, float → double of a plain field)")
                }
                field = setting(field, "type", .string(typeName(to) ?? "long"))
            case .add?, nil:
                break
            }
            if !below.isEmpty, let t = member(field, "type") {
                let (nt, c) = record(t, path: path + [name], changes: below, problems: &problems)
                field = setting(field, "type", nt)
                conversion = c
            }
            out.append(.object(field))
            sources.append(.init(name: newName, source: .old(i, conversion)))
        }
        var taken = Set(sources.map(\.name))
        for c in adds {
            guard case .add(let fp, let serializer, let value) = c, let name = fp.first else { continue }
            let p = Resolver.dotted(path + [name])
            guard !taken.contains(name) else {
                problems.append("add: field \(p) already exists; drop or rename the old one first, or choose another name")
                continue
            }
            guard let type = typeName(serializer) else {
                problems.append("add: field \(p) has type \(serializer.name); new Avro fields can be boolean, int, long, float, double or string")
                continue
            }
            taken.insert(name)
            out.append(.object([("name", .string(name)), ("type", .string(type)), ("default", value.json)]))
            sources.append(.init(name: name, source: .constant(value)))
        }
        return (.object(setting(pairs, "fields", .array(out))), .record(sources))
    }
}
