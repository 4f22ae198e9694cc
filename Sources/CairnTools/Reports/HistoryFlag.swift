import CairnCore
import CairnModel

/// Something an operator of the job should look at, with its evidence: where (operator, state or split), between
/// which checkpoints, and the numbers.
public struct HistoryFlag: Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        /// A state or operator grew checkpoint after checkpoint (a missing TTL, a leak).
        case growth
        /// A state or operator more than doubled from one checkpoint to the next.
        case jump
        /// The largest subtask kept pulling away from the median one.
        case skew
        /// In-flight bytes (unaligned checkpoints) far above their recent median: backpressure.
        case inFlightSpike = "in-flight-spike"
        /// A source split stopped advancing while the others moved on.
        case stalledSplit = "stalled-split"
        /// A source split's position went backward: data read twice, or an offset reset.
        case backwardSplit = "backward-split"
    }

    public var kind: Kind
    public var operatorID: OperatorID
    public var operatorName: String
    /// The state, for a flag about one state rather than the whole operator.
    public var state: String?
    /// The split, for a flag about a source split.
    public var split: String?
    /// The first and last checkpoint of the evidence (ids).
    public var from: String
    public var to: String
    /// How many checkpoints the evidence spans.
    public var checkpoints: Int
    /// The measure at `from` and at `to`: bytes (growth, jump, spike: `before` is the median), skew, or records.
    public var before: Double?
    public var after: Double?
    /// Growth per hour, from the checkpoints' times; nil when they are not known.
    public var ratePerHour: Double?
    /// One line for people.
    public var message: String

    /// The subject: `operator`, `operator / state` or `operator / split`.
    public var subject: String {
        operatorName + (state.map { " / " + $0 } ?? "") + (split.map { " / split " + $0 } ?? "")
    }

    public var json: JSONValue {
        func number(_ v: Double?) -> JSONValue {
            guard let v else { return .null }
            return v.rounded() == v && abs(v) < 9e15 ? .number(Int64(v)) : .double(v)
        }
        return .object([
            ("kind", .string(kind.rawValue)), ("operatorId", .string(operatorID.hex)), ("operator", .string(operatorName)),
            ("state", .optional(state)), ("split", .optional(split)), ("from", .string(from)), ("to", .string(to)),
            ("checkpoints", .number(checkpoints)), ("before", number(before)), ("after", number(after)),
            ("ratePerHour", ratePerHour.map { .double(($0 * 10).rounded() / 10) } ?? .null), ("message", .string(message)),
        ])
    }
}
