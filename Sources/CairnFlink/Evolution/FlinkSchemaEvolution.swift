import CairnCore

/// A state's value serializer evolved by field changes: the new snapshot (what the new job's serializer would
/// write, so Flink restores it as compatible without a migration of its own), its typed form, and the conversion
/// of every old value.
///
/// Where a change applies: the record (POJO or `Row`) at the state's value — inside a `TtlSerializer` (timestamps
/// are kept), a `ListSerializer` (every element: ListState, or a list value) and a `MapSerializer` (every map value:
/// MapState entries, or a map value). Field paths go down through nested POJOs, Rows and Avro records (`detail.weight`). A
/// POJO's fields are written sorted by name, as Flink's `PojoTypeInfo` orders them; a new field's declaring class
/// is the POJO class. `Row` snapshots record no field names: fields are `f0`, `f1`… unless names are given, new
/// fields are appended, and renaming is refused. Avro: the writer schema in the snapshot is rewritten (new fields
/// appended with their `default`, a renamed field keeps its old name in `aliases`, `int`/`float` fields become
/// `long`/`double`). Snapshots the changes do not touch keep their stored bytes.
public struct FlinkSchemaEvolution: Sendable {
    /// The new value serializer snapshot, versioned form (class, version, payload).
    public var snapshot: [UInt8]
    public var serializer: FlinkTypeSerializer
    public var conversion: FlinkValueConversion
    /// The record type the changes were resolved against: the POJO class, or `Row`.
    public var recordType: String

    /// Why a migration cannot be resolved: one line per problem, each naming the field path.
    public struct Refusal: Error, Sendable, Equatable {
        public var problems: [String]
    }

    /// Resolves `changes` against `valueSnapshot` (the state's `VALUE_SERIALIZER` snapshot, versioned form).
    /// `recordType` must name the record there (the POJO class, without package or outer class, or `Row`); `mapState` says the
    /// value serializer is a MapState's, whose entries are converted one map value at a time.
    public static func evolve(valueSnapshot: [UInt8], mapState: Bool, recordType: String, changes: [FlinkFieldChange],
                              rowFieldNames: [String]? = nil) throws(Refusal) -> FlinkSchemaEvolution {
        var r = Resolver(rowNames: rowFieldNames, expected: recordType)
        var out: (bytes: [UInt8], conversion: FlinkValueConversion)
        do {
            out = try r.value(valueSnapshot, top: true, mapState: mapState, path: [], changes: changes)
        } catch let e as Refusal {
            throw e
        } catch {
            throw Refusal(problems: r.problems + ["the value serializer snapshot cannot be read: \(error)"])
        }
        guard r.problems.isEmpty else { throw Refusal(problems: r.problems) }
        do {
            var check = JavaDataInput(out.bytes)
            let s = try FlinkSerializerSnapshotReader.readVersioned(&check)
            guard check.isAtEnd, let typed = s.serializer else { throw FlinkSerializerError(.malformed, "the evolved snapshot does not parse back whole") }
            return FlinkSchemaEvolution(snapshot: out.bytes, serializer: typed, conversion: out.conversion, recordType: r.found ?? recordType)
        } catch {
            throw Refusal(problems: ["Cairn wrote a snapshot it cannot read back (\(error)); this is a bug in Cairn"])
        }
    }

    struct Resolver {
        var problems: [String] = []
        var rowNames: [String]?
        var expected: String
        var found: String?

        init(rowNames: [String]?, expected: String) {
            self.rowNames = rowNames
            self.expected = expected
        }

        static func dotted(_ p: [String]) -> String { p.joined(separator: ".") }

        /// Navigates wrappers to the record and evolves it; returns the new snapshot bytes and the conversion.
        mutating func value(_ bytes: [UInt8], top: Bool, mapState: Bool, path: [String], changes: [FlinkFieldChange]) throws -> ([UInt8], FlinkValueConversion) {
            var r = JavaDataInput(bytes)
            let snap = try FlinkSerializerSnapshotReader.readVersioned(&r, depth: 1)
            let place = path.isEmpty ? "the state's value" : "field \(Self.dotted(path))"
            func inner(_ index: Int, _ wrap: (FlinkValueConversion) -> FlinkValueConversion) throws -> ([UInt8], FlinkValueConversion) {
                let layout = try FlinkSnapshotBytes.composite(bytes)
                guard index < layout.spans.count else { throw FlinkSerializerError(.malformed, "\(snap.className) has \(layout.spans.count) nested snapshots") }
                let span = layout.spans[index]
                let (b, c) = try value(Array(bytes[span]), top: top, mapState: false, path: path, changes: changes)
                return (Array(bytes[..<span.lowerBound]) + b + Array(bytes[span.upperBound...]), wrap(c))
            }
            switch snap.serializer {
            case .ttl?: return try inner(1) { .ttl($0) }
            case .list?: return try inner(0) { .list($0) }
            case .map?: return try inner(1) { mapState && top ? $0 : .mapValues($0) }
            case .pojo(let p)?:
                if top {
                    let simple = p.className.split(separator: ".").last.map(String.init) ?? p.className
                    let inner = simple.split(separator: "$").last.map(String.init) ?? simple
                    guard expected == p.className || expected == simple || expected == inner else {
                        problems.append("from: \(expected) does not match the state, whose value is a POJO of class \(p.className)")
                        return (bytes, .same)
                    }
                    found = p.className
                }
                return try pojo(bytes, p, path: path, changes: changes)
            case .row(_, let fields)?:
                if top {
                    guard expected == "Row" || expected == "org.apache.flink.types.Row" else {
                        problems.append("from: \(expected) does not match the state, whose value is a Row (RowSerializer with \(fields.count) fields)")
                        return (bytes, .same)
                    }
                    found = "Row"
                }
                return try row(bytes, fields, path: path, changes: changes, names: top ? rowNames : nil)
            case .kryo(let c)?:
                problems.append("\(place) is Kryo-serialized (KryoSerializer<\(c)>): its bytes are Kryo's own stream, whose fields Cairn cannot change")
            case .avro(let runtimeClass, let schema)?:
                if top {
                    guard case .record(let name, _) = schema.root else {
                        problems.append("the state's value is Avro whose schema is not a record; there are no fields to change")
                        return (bytes, .same)
                    }
                    let simple = name.split(separator: ".").last.map(String.init) ?? name
                    guard expected == name || expected == simple || expected == runtimeClass else {
                        problems.append("from: \(expected) does not match the state, whose value is Avro record \(name)")
                        return (bytes, .same)
                    }
                    found = name
                }
                return try FlinkAvroEvolution.evolve(bytes, className: snap.className, version: snap.version, runtimeClass: runtimeClass, schema: schema,
                                                     path: path, changes: changes, problems: &problems)
            default:
                problems.append("\(place) has serializer \(snap.serializer?.name ?? snap.serializerName), which holds no POJO, Row or Avro record whose fields a plan can change")
            }
            return (bytes, .same)
        }

        /// Changes at one record level: by field name, the changes to it and to the fields below it.
        static func split(_ changes: [FlinkFieldChange]) -> (direct: [String: [FlinkFieldChange]], nested: [String: [FlinkFieldChange]], adds: [FlinkFieldChange]) {
            var direct: [String: [FlinkFieldChange]] = [:], nested: [String: [FlinkFieldChange]] = [:], adds: [FlinkFieldChange] = []
            for c in changes {
                guard let first = c.path.first else { continue }
                if c.path.count > 1 {
                    nested[first, default: []].append(c.descended())
                } else if case .add = c {
                    adds.append(c)
                } else {
                    direct[first, default: []].append(c)
                }
            }
            return (direct, nested, adds)
        }

        /// One field's own change (drop, rename, widen) and the changes below it. Returns nil when it is dropped.
        mutating func field(name: String, serializer: FlinkTypeSerializer, snapshot: [UInt8]?, path: [String], direct: [FlinkFieldChange],
                            nested: [FlinkFieldChange]) throws -> (name: String, snapshot: [UInt8]?, conversion: FlinkValueConversion)? {
            let p = Self.dotted(path)
            guard direct.count <= 1 else {
                problems.append("field \(p) has \(direct.count) changes (\(direct.map(Self.verb).joined(separator: ", "))); give one per field")
                return (name, snapshot, .same)
            }
            var newName = name, bytes = snapshot, conversion = FlinkValueConversion.same
            switch direct.first {
            case .drop?:
                if !nested.isEmpty { problems.append("field \(p) is dropped and also changed below (\(nested.map { p + "." + Self.dotted($0.path) }.joined(separator: ", ")))") }
                return nil
            case .rename(_, let to)?:
                newName = to
            case .widen(_, let to)?:
                switch (serializer, to) {
                case (.int, .long): conversion = .intToLong
                case (.float, .double): conversion = .floatToDouble
                case (.long, .int), (.double, .float):
                    problems.append("field \(p) would change from \(serializer.name) to \(to.name), which narrows and can lose data")
                default:
                    problems.append("field \(p) would change from \(serializer.name) to \(to.name), which is not a widening (int → long, float → double)")
                }
                bytes = FlinkSnapshotBytes.primitive(to)
            case .add?, nil:
                break
            }
            if !nested.isEmpty {
                guard let inner = bytes else {
                    problems.append("field \(p) has no serializer snapshot in the state's meta data; fields below it cannot change")
                    return (newName, bytes, conversion)
                }
                let (b, c) = try value(inner, top: false, mapState: false, path: path, changes: nested)
                bytes = b
                conversion = c
            }
            return (newName, bytes, conversion)
        }

        static func verb(_ c: FlinkFieldChange) -> String {
            switch c {
            case .add: "add"
            case .drop: "drop"
            case .widen: "widen"
            case .rename: "rename"
            }
        }

        /// A new field's snapshot bytes, or a problem.
        mutating func added(_ c: FlinkFieldChange, path: [String], taken: Set<String>) -> (String, [UInt8], FlinkValue)? {
            guard case .add(let fp, let serializer, let value) = c, let name = fp.first else { return nil }
            let p = Self.dotted(path + [name])
            if taken.contains(name) {
                problems.append("add: field \(p) already exists; drop or rename the old one first, or choose another name")
                return nil
            }
            guard let bytes = FlinkSnapshotBytes.primitive(serializer) else {
                problems.append("add: field \(p) has type \(serializer.name); new fields can be boolean, byte, short, int, long, float, double, char or string")
                return nil
            }
            return (name, bytes, value)
        }

        mutating func pojo(_ bytes: [UInt8], _ schema: FlinkPojoSchema, path: [String], changes: [FlinkFieldChange]) throws -> ([UInt8], FlinkValueConversion) {
            guard !changes.isEmpty else { return (bytes, .same) }
            var pojo = try FlinkSnapshotBytes.Pojo(parsing: bytes)
            let (direct, nested, adds) = Self.split(changes)
            let names = Set(schema.fields.map(\.name))
            for name in Set(direct.keys).union(nested.keys).sorted() where !names.contains(name) {
                problems.append("field \(Self.dotted(path + [name])) does not exist: POJO \(schema.className) has fields \(schema.fields.map(\.name).joined(separator: ", "))")
            }
            var out: [(FlinkSnapshotBytes.PojoFieldEntry, FlinkValueConversion.Source)] = []
            for (i, f) in schema.fields.enumerated() where i < pojo.fields.count {
                let entry = pojo.fields[i]
                guard let kept = try field(name: f.name, serializer: f.serializer, snapshot: entry.snapshot, path: path + [f.name],
                                           direct: direct[f.name] ?? [], nested: nested[f.name] ?? []) else { continue }
                var e = entry
                e.name = kept.name
                e.snapshot = kept.snapshot
                if kept.name != f.name {
                    e.key = FlinkSnapshotBytes.PojoFieldEntry.key(declaringClass: f.declaringClass ?? schema.className, field: kept.name)
                }
                out.append((e, .old(i, kept.conversion)))
            }
            var taken = Set(out.map(\.0.name))
            for (name, n) in Dictionary(grouping: out.map(\.0.name), by: { $0 }) where n.count > 1 {
                problems.append("two fields of POJO \(schema.className) would be called \(Self.dotted(path + [name]))")
            }
            for c in adds {
                guard let (name, snap, value) = added(c, path: path, taken: taken) else { continue }
                taken.insert(name)
                out.append((FlinkSnapshotBytes.PojoFieldEntry(name: name, key: .init(FlinkSnapshotBytes.PojoFieldEntry.key(declaringClass: schema.className, field: name)),
                                                              snapshot: snap), .constant(value)))
            }
            // Flink's PojoTypeInfo sorts fields by name (Java String order: UTF-16 code units).
            out.sort { Array($0.0.name.utf16).lexicographicallyPrecedes(Array($1.0.name.utf16)) }
            pojo.fields = out.map(\.0)
            return (pojo.bytes, .record(out.map { FlinkValueConversion.Field(name: $0.0.name, source: $0.1) }))
        }

        mutating func row(_ bytes: [UInt8], _ fields: [FlinkTypeSerializer], path: [String], changes: [FlinkFieldChange], names given: [String]?) throws -> ([UInt8], FlinkValueConversion) {
            guard !changes.isEmpty else { return (bytes, .same) }
            let place = path.isEmpty ? "the Row" : "Row \(Self.dotted(path))"
            var names = fields.indices.map { "f\($0)" }
            if let given {
                if given.count == fields.count { names = given } else {
                    problems.append("row-fields: names \(given.count) fields, but \(place) has \(fields.count)")
                }
            }
            let layout = try FlinkSnapshotBytes.composite(bytes) { r, outer in if outer >= 4 { _ = try r.readBool("supportsRowKind") } }
            guard layout.spans.count == fields.count else { throw FlinkSerializerError(.malformed, "RowSerializer snapshot has \(layout.spans.count) nested snapshots for \(fields.count) fields") }
            let (direct, nested, adds) = Self.split(changes)
            for name in Set(direct.keys).union(nested.keys).sorted() where !names.contains(name) {
                problems.append("field \(Self.dotted(path + [name])) does not exist: \(place) has fields \(names.joined(separator: ", "))")
            }
            var snaps: [[UInt8]] = [], sources: [FlinkValueConversion.Source] = [], taken = Set<String>()
            for (i, f) in fields.enumerated() {
                let d = direct[names[i]] ?? []
                if case .rename(_, let to)? = d.first {
                    problems.append("rename: \(Self.dotted(path + [names[i]])) → \(to): a Row keeps no field names (its snapshot records only the field serializers), so there is nothing to rename")
                    continue
                }
                guard let kept = try field(name: names[i], serializer: f, snapshot: Array(bytes[layout.spans[i]]), path: path + [names[i]],
                                           direct: d, nested: nested[names[i]] ?? []) else { continue }
                snaps.append(kept.snapshot ?? Array(bytes[layout.spans[i]]))
                sources.append(.old(i, kept.conversion))
                taken.insert(names[i])
            }
            for c in adds {
                guard let (name, snap, value) = added(c, path: path, taken: taken) else { continue }
                taken.insert(name)
                snaps.append(snap)
                sources.append(.constant(value))
            }
            return (Array(bytes[..<layout.block]) + FlinkSnapshotBytes.nestedBlock(snaps) + Array(bytes[layout.end...]), .row(sources))
        }
    }
}
