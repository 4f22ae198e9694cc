import CairnCore
import CairnFlink
import CairnModel
import Yams

/// A `--migrate PLAN.yaml` file for Flink input: per keyed state, the record type its values hold (`from`) and the
/// field changes that evolve it. Cairn writes the new serializer snapshot into the output's state meta data and
/// converts every value (`FlinkSchemaEvolution`), so the new job restores the state as compatible as it is.
///
/// ```yaml
/// migrations:
///   - operator: typed-state              # uid, 32-hex id or name
///     state: pojo
///     from: CairnFixtureJob$TypedPojo    # the POJO class (full or simple name), or Row
///     add:                               # new fields: type boolean|byte|short|int|long|float|double|char|string
///       - {field: priority, type: long, default: 7}
///       - {field: detail.unit, type: string, default: kg}
///     drop: [payload]                    # old fields whose values are discarded on purpose
///     widen: {count: long, detail.weight: double}   # int → long, float → double only
///     rename: {ratio: score}             # old field → new name (same level)
///     row-fields: [id, label, score, flag]           # Row only: names for the old row's fields (else f0, f1, …)
/// ```
///
/// Field paths go down through nested POJOs and Rows with `.`. The record is the state's value, a ListState's
/// element or a MapState's value, inside a TTL wrapper if there is one (timestamps are kept). A plan is strict:
/// unknown keys are errors naming the key path, and changes that would lose data without saying so (narrowing, a
/// type change that is not a widening, an unknown field, a Kryo or otherwise opaque value) are refused before
/// anything is written. Dropping a field must be said with `drop:`.
public struct FlinkMigrationPlan: Sendable {
    public struct StateMigration: Sendable {
        public var op: RewritePlan.OperatorRef
        public var state: String
        /// The record type the state's values hold: the POJO class or `Row`.
        public var from: String
        public var changes: [FlinkFieldChange]
        public var rowFields: [String]?
        /// `migrations[i]`, for messages.
        public var keyPath: String

        public init(op: RewritePlan.OperatorRef, state: String, from: String, changes: [FlinkFieldChange], rowFields: [String]? = nil, keyPath: String = "") {
            self.op = op
            self.state = state
            self.from = from
            self.changes = changes
            self.rowFields = rowFields
            self.keyPath = keyPath
        }
    }

    public var migrations: [StateMigration]
    public var file: String

    public init(migrations: [StateMigration], file: String = "migration plan") {
        self.migrations = migrations
        self.file = file
    }

    /// The types a new or widened field can have, by their Java names.
    static let types: [String: FlinkTypeSerializer] = [
        "boolean": .boolean, "byte": .byte, "short": .short, "int": .int, "long": .long, "float": .float, "double": .double,
        "char": .char, "string": .string, "String": .string,
    ]

    public static func load(path: String) throws -> FlinkMigrationPlan {
        try parse(try YAMLReader.planText(path: path), file: path)
    }

    /// Parses plan text; errors name the file, the key path and the line.
    public static func parse(_ text: String, file: String = "migration plan") throws(JobSpecError) -> FlinkMigrationPlan {
        let r = YAMLReader(file: file)
        var out: [StateMigration] = []
        for entry in try r.migrations(text, allowed: ["operator", "state", "from", "add", "drop", "widen", "rename", "row-fields"]) {
            let (p, item, m) = entry
            func required(_ key: String) throws(JobSpecError) -> Node { try r.required(entry, key) }
            let op = try r.string(try required("operator"), p + ".operator")
            let state = try r.string(try required("state"), p + ".state")
            let from = try r.string(try required("from"), p + ".from")
            var changes: [FlinkFieldChange] = []
            func fieldPath(_ text: String, _ at: String, _ node: Node?) throws(JobSpecError) -> [String] {
                let parts = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
                guard !parts.contains(where: \.isEmpty) else { throw r.fail(at, node, "\"\(text)\" is not a field path (names joined by .)") }
                return parts
            }
            func type(_ node: Node, _ at: String) throws(JobSpecError) -> FlinkTypeSerializer {
                let name = try r.string(node, at)
                guard let t = types[name] else { throw r.fail(at, node, "unknown type \(name); use boolean, byte, short, int, long, float, double, char or string") }
                return t
            }
            if let node = m["add"] {
                for (j, a) in try r.sequence(node, p + ".add").enumerated() {
                    let at = "\(p).add[\(j)]"
                    let f = try r.mapping(a, at, allowed: ["field", "type", "default"])
                    guard let fn = f["field"], let tn = f["type"] else { throw r.fail(at, a, "each added field needs field: and type:") }
                    guard let dn = f["default"] else { throw r.fail(at, a, "an added field needs default: (the value every existing record gets)") }
                    let t = try type(tn, at + ".type")
                    changes.append(.add(path: try fieldPath(try r.string(fn, at + ".field"), at + ".field", fn), serializer: t,
                                        defaultValue: try value(dn, t, at + ".default", r)))
                }
            }
            if let node = m["drop"] {
                for (j, d) in try r.sequence(node, p + ".drop").enumerated() {
                    changes.append(.drop(path: try fieldPath(try r.string(d, "\(p).drop[\(j)]"), "\(p).drop[\(j)]", d)))
                }
            }
            for (key, make) in [("widen", { (path: [String], node: Node, at: String) throws(JobSpecError) -> FlinkFieldChange in .widen(path: path, to: try type(node, at)) }),
                                ("rename", { (path: [String], node: Node, at: String) throws(JobSpecError) -> FlinkFieldChange in
                                    let to = try r.string(node, at)
                                    guard !to.isEmpty, !to.contains(".") else { throw r.fail(at, node, "the new name is one field name, without .") }
                                    return .rename(path: path, to: to)
                                })] {
                guard let node = m[key] else { continue }
                guard case .mapping(let pairs) = node else { throw r.fail(p + "." + key, node, "expected a mapping field: …, found \(r.kind(node))") }
                for (k, v) in pairs {
                    let name = try r.string(k, p + "." + key)
                    changes.append(try make(try fieldPath(name, "\(p).\(key).\(name)", k), v, "\(p).\(key).\(name)"))
                }
            }
            guard !changes.isEmpty else { throw r.fail(p, item, "the migration changes nothing; give add:, drop:, widen: or rename:") }
            var rowFields: [String]?
            if let node = m["row-fields"] {
                rowFields = try r.sequence(node, p + ".row-fields").enumerated().map { (j, n) throws(JobSpecError) in try r.string(n, "\(p).row-fields[\(j)]") }
            }
            if out.contains(where: { $0.op.text == op && $0.state == state }) {
                throw r.fail(p, item, "\(op)/\(state) is migrated twice; give one migration per state")
            }
            out.append(StateMigration(op: RewritePlan.OperatorRef(op), state: state, from: from, changes: changes, rowFields: rowFields, keyPath: p))
        }
        return FlinkMigrationPlan(migrations: out, file: file)
    }

    /// A YAML scalar as a value of type `t`.
    static func value(_ node: Node, _ t: FlinkTypeSerializer, _ at: String, _ r: YAMLReader) throws(JobSpecError) -> FlinkValue {
        guard case .scalar(let s) = node else { throw r.fail(at, node, "expected a \(t.name) value, found \(r.kind(node))") }
        let text = s.string
        let bad = r.fail(at, node, "\"\(text)\" is not a \(t.name) value")
        switch t {
        case .boolean:
            guard let b = Bool(text) else { throw bad }
            return .boolean(b)
        case .byte: guard let v = Int8(text) else { throw bad }; return .byte(v)
        case .short: guard let v = Int16(text) else { throw bad }; return .short(v)
        case .int: guard let v = Int32(text) else { throw bad }; return .int(v)
        case .long: guard let v = Int64(text) else { throw bad }; return .long(v)
        case .float: guard let v = Float(text) else { throw bad }; return .float(v)
        case .double: guard let v = Double(text) else { throw bad }; return .double(v)
        case .char:
            let units = Array(text.utf16)
            guard units.count == 1 else { throw bad }
            return .char(units[0])
        default: return .string(text)
        }
    }
}
