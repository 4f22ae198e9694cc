/// A problem found while decoding bytes, with the offset where it was found.
///
/// Offsets are relative to the buffer being decoded; layers above add the absolute file offset and
/// the logical place (block, operator, subtask, state) before showing it to a person.
public struct DecodeError: CairnError, Equatable {
    /// What kind of problem: the names match the error codes of the format specification (§11).
    public enum Code: String, Sendable, Equatable, CaseIterable {
        case truncated
        case badMagic
        case unsupportedVersion
        case unknownFlags
        case checksumMismatch
        case lengthOutOfBounds
        case invalidVarint
        case invalidUTF8
        case unknownTag
        case unknownKind
        case outOfOrder
        case invalidValue
        case decompressionFailed
        case trailingBytes
    }

    public var code: Code
    public var message: String
    /// Offset in the decoded buffer where the problem starts.
    public var offset: Int

    public init(_ code: Code, _ message: String, at offset: Int) {
        self.code = code
        self.message = message
        self.offset = offset
    }

    public var description: String { "\(code.rawValue) at offset \(offset): \(message)" }
}

extension DecodeError {
    /// Bytes that do not decode are damaged input: a finding.
    public var exitStatus: Int32 { 1 }
}
