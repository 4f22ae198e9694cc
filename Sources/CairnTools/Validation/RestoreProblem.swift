import CairnCore
import CairnFormat
import CairnModel

/// One reason a restore would fail (or lose state), the way the engine would report it, with the fix.
public struct RestoreProblem: Sendable, Equatable {
    public enum Severity: String, Sendable {
        /// The restore fails (or, for `--previous`, the sequence is broken).
        case error
        /// The restore succeeds but state is dropped or changed.
        case warning
    }

    public var severity: Severity
    /// Stable identifier, e.g. `operatorNotMapped`, `maxParallelismMismatch`, `valueSerializerIncompatible`.
    public var code: String
    /// What Cairn found, in its own words.
    public var message: String
    /// The message Flink fails with, verbatim but for the values it formats in; nil where Flink has none.
    public var flinkMessage: String?
    public var operatorName: String?
    public var operatorUID: String?
    public var operatorID: String?
    public var state: String?
    /// What to do about it: a setting, a job change or a `cairn rewrite` command.
    public var fix: String?

    public init(severity: Severity = .error, code: String, message: String, flinkMessage: String? = nil, operatorName: String? = nil,
                operatorUID: String? = nil, operatorID: String? = nil, state: String? = nil, fix: String? = nil) {
        self.severity = severity
        self.code = code
        self.message = message
        self.flinkMessage = flinkMessage
        self.operatorName = operatorName
        self.operatorUID = operatorUID
        self.operatorID = operatorID
        self.state = state
        self.fix = fix
    }

    /// Names the operator of a snapshot.
    public init(severity: Severity = .error, code: String, message: String, flinkMessage: String? = nil, operator op: OperatorInfo?,
                state: String? = nil, fix: String? = nil) {
        self.init(severity: severity, code: code, message: message, flinkMessage: flinkMessage,
                  operatorName: op.flatMap { $0.name.isEmpty ? nil : $0.name }, operatorUID: op.flatMap { $0.uid.isEmpty ? nil : $0.uid },
                  operatorID: op?.id.hex, state: state, fix: fix)
    }

    public var json: JSONValue {
        .object([
            ("severity", .string(severity.rawValue)), ("code", .string(code)), ("message", .string(message)),
            ("flinkMessage", .optional(flinkMessage)),
            ("operator", .object([("name", .optional(operatorName)), ("uid", .optional(operatorUID)), ("id", .optional(operatorID))])),
            ("state", .optional(state)), ("fix", .optional(fix)),
        ])
    }

    /// `name (uid …, id …)`.
    public var operatorText: String {
        var parts: [String] = []
        if let u = operatorUID { parts.append("uid \(u)") }
        if let i = operatorID { parts.append("id \(i)") }
        let name = operatorName ?? operatorUID ?? operatorID ?? ""
        return parts.isEmpty ? name : "\(name) (\(parts.joined(separator: ", ")))"
    }
}
