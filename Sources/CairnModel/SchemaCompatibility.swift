/// Whether values written with one typed schema can be read with another, graded the way a schema registry grades
/// it (inspection anchors §4): BACKWARD means the new schema reads old data — what restoring a new job from an old
/// snapshot needs; FORWARD means the old schema reads new data — what rolling back needs; FULL is both.
///
/// Resolution follows Avro's rules on the types of format spec §7: records match fields by name or by the reader
/// field's aliases, fields only the writer has are skipped, fields only the reader has need a default, and the only
/// promotions are int32 → int64, float32 → float64 and T → optional<T>.
public struct SchemaCompatibility: Sendable, Equatable {
    /// The grade, strongest first.
    public enum Level: String, Sendable, Equatable {
        case full = "FULL"
        case backward = "BACKWARD"
        case forward = "FORWARD"
        case none = "NONE"
    }

    /// One reason a reader cannot read a writer's values, at a field path such as `UserTotals.amount`.
    public struct Issue: Sendable, Equatable, CustomStringConvertible {
        /// Where: the root record's name, then field names; `[]` marks list items, `{key}` and `{}` map keys and values.
        public var path: String
        /// What breaks, e.g. `int64 → int32 narrows` (written type → reading type).
        public var reason: String

        public init(path: String, reason: String) {
            self.path = path
            self.reason = reason
        }

        public var description: String { "\(path): \(reason)" }
    }

    public var old: Schema
    public var new: Schema
    /// Why the new schema cannot read old data; empty when BACKWARD holds.
    public var backwardIssues: [Issue]
    /// Why the old schema cannot read new data; empty when FORWARD holds.
    public var forwardIssues: [Issue]

    /// Compares `old` (the schema the data was written with) and `new` (the schema of the job that will read it).
    public init(old: Schema, new: Schema) {
        self.old = old
        self.new = new
        self.backwardIssues = Self.issues(reader: new, writer: old)
        self.forwardIssues = Self.issues(reader: old, writer: new)
    }

    public var isBackward: Bool { backwardIssues.isEmpty }
    public var isForward: Bool { forwardIssues.isEmpty }

    public var level: Level {
        switch (isBackward, isForward) {
        case (true, true): .full
        case (true, false): .backward
        case (false, true): .forward
        case (false, false): .none
        }
    }

    /// Whether `level` meets `required` (FULL meets everything, NONE only NONE).
    public func satisfies(_ required: Level) -> Bool {
        switch required {
        case .none: true
        case .backward: isBackward
        case .forward: isForward
        case .full: isBackward && isForward
        }
    }

    /// Every reason `reader` cannot read values written with `writer`; empty when it can.
    public static func issues(reader: Schema, writer: Schema) -> [Issue] {
        var out: [Issue] = []
        resolve(reader: reader, writer: writer, path: rootPath(reader, writer), into: &out)
        return out
    }

    static func rootPath(_ a: Schema, _ b: Schema) -> String {
        if case .record(let name, _) = a { return name }
        if case .record(let name, _) = b { return name }
        return "value"
    }

    static func resolve(reader: Schema, writer: Schema, path: String, into out: inout [Issue]) {
        switch (writer, reader) {
        case (.boolean, .boolean), (.int32, .int32), (.int64, .int64), (.float32, .float32), (.float64, .float64),
            (.string, .string), (.bytes, .bytes):
            return
        case (.int32, .int64), (.float32, .float64):
            return  // widening
        case (.optional(let w), .optional(let r)):
            resolve(reader: r, writer: w, path: path, into: &out)
        case (.optional, _):
            out.append(Issue(path: path, reason: "\(shortName(writer)) → \(shortName(reader)): absent values have no place in a required \(shortName(reader))"))
        case (_, .optional(let r)):
            // T → optional<T>: every written value is present.
            resolve(reader: r, writer: writer, path: path, into: &out)
        case (.list(let w), .list(let r)):
            resolve(reader: r, writer: w, path: path + "[]", into: &out)
        case (.map(let wk, let wv), .map(let rk, let rv)):
            resolve(reader: rk, writer: wk, path: path + "{key}", into: &out)
            resolve(reader: rv, writer: wv, path: path + "{}", into: &out)
        case (.record(let wName, let wFields), .record(let rName, let rFields)):
            if wName != rName {
                out.append(Issue(path: path, reason: "record \(wName) → \(rName): records match by name"))
                return
            }
            for f in rFields {
                let fieldPath = path + "." + f.name
                let match = wFields.first { $0.name == f.name } ?? wFields.first { f.aliases.contains($0.name) }
                if let w = match {
                    resolve(reader: f.type, writer: w.type, path: fieldPath, into: &out)
                } else if f.defaultValue == nil {
                    let via = f.aliases.isEmpty ? "" : " (nor any of its aliases \(f.aliases.joined(separator: ", ")))"
                    out.append(Issue(path: fieldPath, reason: "not in the written data\(via) and has no default"))
                }
            }
        default:
            out.append(Issue(path: path, reason: "\(shortName(writer)) → \(shortName(reader)) \(narrows(writer, reader) ? "narrows" : "changes type")"))
        }
    }

    static func narrows(_ writer: Schema, _ reader: Schema) -> Bool {
        switch (writer, reader) {
        case (.int64, .int32), (.float64, .float32): true
        default: false
        }
    }

    /// A type without its record bodies (`list<record Event>`), for messages.
    public static func shortName(_ s: Schema) -> String {
        switch s {
        case .record(let name, _): "record \(name)"
        case .optional(let t): "optional<\(shortName(t))>"
        case .list(let t): "list<\(shortName(t))>"
        case .map(let k, let v): "map<\(shortName(k)),\(shortName(v))>"
        default: s.description
        }
    }
}
