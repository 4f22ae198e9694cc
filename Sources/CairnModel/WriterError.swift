import CairnCore

/// A misuse of the writer API (wrong order, unknown state name, out-of-range key group).
public struct WriterError: CairnError {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension WriterError {
    public var exitStatus: Int32 { 2 }
}
