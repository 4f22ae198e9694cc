/// What went wrong while writing a canonical savepoint state file (`FlinkCanonicalSavepointWriter`): entries out
/// of order or outside the subtask's key groups (a bug in the caller), or an I/O failure.
public struct FlinkCanonicalWriteError: Error, CustomStringConvertible, Sendable {
    /// What happened, for the report.
    public var message: String
    /// An error saying `message`.
    public init(_ message: String) { self.message = message }
    public var description: String { "writing a canonical savepoint state file: \(message)" }
}
