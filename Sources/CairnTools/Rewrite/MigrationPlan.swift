import CairnCore
import CairnFormat
import CairnModel
import Yams

/// A `--migrate PLAN.yaml` file: for each typed state, the value schema version it has (`from`), the version and
/// schema it gets (`to`, `schema`), and what happens to fields the new schema does not hold by the same name.
///
/// ```yaml
/// migrations:
///   - operator: user-totals          # uid, 32-hex id or name
///     state: totals
///     from: 2
///     to: 3
///     schema:
///       record: UserTotals
///       fields:
///         - {name: count, type: int64}
///         - {name: amount, type: float64}       # was `sum`: see rename
///         - {name: lastSeen, type: int64}
///         - {name: currency, type: optional<string>}
///         - {name: discount, type: float32, default: 0.0}
///     rename: {sum: amount}                     # old field path → new field name
///     drop: [legacyFlag]                        # old fields whose values are discarded on purpose
/// ```
///
/// Types use the YAML form of `SchemaYAML` (as job specs do). A plan is strict: unknown keys are errors naming the
/// key path, and a plan that would lose data without saying so is refused before anything is written.
public struct MigrationPlan: Sendable {
    /// The migration of one state's values.
    public struct StateMigration: Sendable {
        public var op: RewritePlan.OperatorRef
        public var state: String
        /// The value serializer version the state must have now.
        public var from: UInt64
        /// The version it gets, with `schema`, as a `cairn.typed` serializer.
        public var to: UInt64
        public var schema: Schema
        /// Old field path (record field names from the root joined by `.`) → the new field's name at that level.
        public var rename: [String: String]
        /// Old field paths whose values are discarded on purpose.
        public var drop: [String]

        public init(op: RewritePlan.OperatorRef, state: String, from: UInt64, to: UInt64, schema: Schema,
                    rename: [String: String] = [:], drop: [String] = []) {
            self.op = op
            self.state = state
            self.from = from
            self.to = to
            self.schema = schema
            self.rename = rename
            self.drop = drop
        }
    }

    public var migrations: [StateMigration]
    /// Where the plan came from, for messages.
    public var file: String

    public init(migrations: [StateMigration], file: String = "migration plan") {
        self.migrations = migrations
        self.file = file
    }

    /// Reads a plan file (YAML, or JSON, which is YAML too).
    public static func load(path: String) throws -> MigrationPlan {
        try parse(try YAMLReader.planText(path: path), file: path)
    }

    /// Parses plan text; errors name the file, the key path and the line.
    public static func parse(_ text: String, file: String = "migration plan") throws(JobSpecError) -> MigrationPlan {
        let r = YAMLReader(file: file)
        var out: [StateMigration] = []
        for entry in try r.migrations(text, allowed: ["operator", "state", "from", "to", "schema", "rename", "drop"]) {
            let (p, item, m) = entry
            func required(_ key: String) throws(JobSpecError) -> Node { try r.required(entry, key) }
            let op = try r.string(try required("operator"), p + ".operator")
            let state = try r.string(try required("state"), p + ".state")
            let from = try r.int(try required("from"), p + ".from", min: 0)
            let to = try r.int(try required("to"), p + ".to", min: 0)
            guard from != to else { throw r.fail(p + ".to", m["to"], "to: must differ from from: (\(from))") }
            let schema = try SchemaYAML.schema(try required("schema"), p + ".schema", r)
            var rename: [String: String] = [:]
            if let node = m["rename"] {
                guard case .mapping(let pairs) = node else { throw r.fail(p + ".rename", node, "expected a mapping old: new, found \(r.kind(node))") }
                for (k, v) in pairs {
                    let old = try r.string(k, p + ".rename")
                    rename[old] = try r.string(v, "\(p).rename.\(old)")
                }
            }
            var drop: [String] = []
            if let node = m["drop"] {
                for (j, d) in try r.sequence(node, p + ".drop").enumerated() { drop.append(try r.string(d, "\(p).drop[\(j)]")) }
            }
            if out.contains(where: { $0.op.text == op && $0.state == state }) {
                throw r.fail(p, item, "\(op)/\(state) is migrated twice; give one migration per state")
            }
            out.append(StateMigration(op: RewritePlan.OperatorRef(op), state: state, from: UInt64(from), to: UInt64(to),
                                      schema: schema, rename: rename, drop: drop))
        }
        return MigrationPlan(migrations: out, file: file)
    }
}
