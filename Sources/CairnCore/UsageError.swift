/// A problem with what the user asked for (a path, an option), as opposed to a damaged snapshot.
public struct UsageError: CairnError {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension UsageError {
    public var exitStatus: Int32 { 2 }
}
