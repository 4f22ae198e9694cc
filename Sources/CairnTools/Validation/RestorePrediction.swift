import CairnCore
import CairnFormat
import CairnModel

/// What `validate --against` predicts for one restore: every problem Flink would fail with (not just the first,
/// as a real restore does), how each snapshot operator maps into the job, and the verdict per state.
public struct RestorePrediction: Sendable {
    /// How one snapshot operator fares.
    public struct OperatorMapping: Sendable, Equatable {
        public enum Status: String, Sendable {
            /// Matched to a job operator.
            case mapped
            /// Not in the job, and it holds state.
            case notMapped
            /// Not in the job, but it holds no state: Flink ignores it.
            case stateless
        }
        public var snapshot: OperatorInfo
        /// The job operator's path in the spec (`operators[2]`).
        public var job: String?
        public var status: Status
    }

    /// The verdict for one state of a mapped operator.
    public struct StateVerdict: Sendable, Equatable {
        public var operatorID: String
        public var operatorName: String
        public var state: String
        public var kind: String
        /// `FULL`, `BACKWARD`, `FORWARD` or `NONE` for typed schemas; `AS_IS` when the serializers are the same;
        /// `INCOMPATIBLE`; `NOT_CHECKED` when the snapshot or the job does not say; `NOT_REGISTERED` when the job
        /// does not list a state the snapshot holds; `NEW` for a state only the job has.
        public var verdict: String
        /// The snapshot's serializer and the job's, as text.
        public var old: String?
        public var new: String?
        /// Field-level reasons (typed schemas) or why it was not checked.
        public var details: [String]
    }

    public var source: String
    public var job: String
    public var engine: String
    public var allowNonRestoredState: Bool
    public var problems: [RestoreProblem]
    public var operators: [OperatorMapping]
    /// Job operators that match nothing in the snapshot: they start without state.
    public var newOperators: [String]
    public var states: [StateVerdict]
    /// What could not be checked, and why (serializer facts the snapshot does not hold).
    public var notChecked: [String]

    public var errors: [RestoreProblem] { problems.filter { $0.severity == .error } }
    /// No problem of severity error.
    public var restorable: Bool { errors.isEmpty }

    public var json: JSONValue {
        .object([
            ("job", .string(job)), ("engine", .string(engine)), ("allowNonRestoredState", .bool(allowNonRestoredState)),
            ("restorable", .bool(restorable)),
            ("problems", .array(problems.map(\.json))),
            ("operators", .array(operators.map { m in
                .object([
                    ("id", .string(m.snapshot.id.hex)), ("uid", .optional(m.snapshot.uid.isEmpty ? nil : m.snapshot.uid)),
                    ("name", .optional(m.snapshot.name.isEmpty ? nil : m.snapshot.name)), ("status", .string(m.status.rawValue)),
                    ("jobOperator", .optional(m.job)),
                ])
            })),
            ("newOperators", .array(newOperators.map { .string($0) })),
            ("states", .array(states.map { s in
                .object([
                    ("operatorId", .string(s.operatorID)), ("operator", .string(s.operatorName)), ("state", .string(s.state)),
                    ("kind", .string(s.kind)), ("verdict", .string(s.verdict)), ("old", .optional(s.old)), ("new", .optional(s.new)),
                    ("details", .array(s.details.map { .string($0) })),
                ])
            })),
            ("notChecked", .array(notChecked.map { .string($0) })),
        ])
    }

    public func text(style: TextStyle) -> String {
        var out = "restore of \(source) into \(job) (\(engine)\(allowNonRestoredState ? ", allowNonRestoredState" : ""))\n"
        var table = TextTable(columns: [.left("OPERATOR"), .left("ID"), .left("STATUS"), .left("JOB")])
        for m in operators {
            table.add([m.snapshot.displayName, m.snapshot.id.hex, m.status.rawValue, m.job ?? "-"])
        }
        for n in newOperators { table.add([n, "-", "new (no state)", n]) }
        out += table.render(style)
        if !states.isEmpty {
            var t = TextTable(columns: [.left("OPERATOR"), .left("STATE"), .left("KIND"), .left("VERDICT"), .left("SNAPSHOT"), .left("JOB")])
            for s in states { t.add([s.operatorName, s.state, s.kind, s.verdict, s.old ?? "-", s.new ?? "-"]) }
            out += "\n" + t.render(style)
            for s in states where !s.details.isEmpty {
                for d in s.details { out += "  \(s.operatorName)/\(s.state): \(d)\n" }
            }
        }
        for p in problems {
            let tag = p.severity == .error ? style.red("error") : style.yellow("warning")
            out += "\n\(tag) [\(p.code)] \(p.operatorText)\(p.state.map { " state \($0)" } ?? ""): \(p.message)\n"
            if let f = p.flinkMessage { out += "  Flink: \(f)\n" }
            if let f = p.fix { out += "  fix: \(f)\n" }
        }
        if !notChecked.isEmpty {
            out += "\nnot checked:\n" + notChecked.map { "  \($0)\n" }.joined()
        }
        out += "\n" + (restorable
            ? style.green("restorable") + ": no restore problem found\n"
            : style.red("will not restore") + ": \(errors.count) problem\(errors.count == 1 ? "" : "s") found\n")
        return out
    }
}
