import CairnCore

/// `--set-offset SOURCE_UID:SPLIT=POSITION`: the next position a source split reads from (a Kafka offset, the
/// next number of a number-sequence split, a Kinesis sequence number).
public struct OffsetAssignment: Sendable, Hashable {
    public var source: OperatorReference
    public var split: String
    public var position: String
    public init(source: OperatorReference, split: String, position: String) {
        self.source = source
        self.split = split
        self.position = position
    }
    /// Parses `SOURCE:SPLIT=POSITION`; the split id may itself hold `:` (the first `:` ends the source).
    public init(parsing text: String) throws(UsageError) {
        guard let colon = text.firstIndex(of: ":"), let eq = text.lastIndex(of: "="), colon < eq,
              colon != text.startIndex, text.index(after: colon) != eq, text.index(after: eq) != text.endIndex
        else { throw UsageError("--set-offset takes SOURCE_UID:SPLIT=POSITION, got \"\(text)\"") }
        self.init(source: OperatorReference(String(text[..<colon])), split: String(text[text.index(after: colon)..<eq]),
                  position: String(text[text.index(after: eq)...]))
    }
}
