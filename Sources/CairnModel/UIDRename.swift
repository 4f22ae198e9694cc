import CairnCore

/// `--rename-uid OLD=NEW`: the operator keeps its state; its id becomes the id of the new uid.
public struct UIDRename: Sendable, Hashable {
    public var old: String
    public var new: String
    public init(old: String, new: String) {
        self.old = old
        self.new = new
    }
    /// Parses `OLD=NEW`.
    public init(parsing text: String) throws(UsageError) {
        guard let eq = text.firstIndex(of: "="), eq != text.startIndex, text.index(after: eq) != text.endIndex else {
            throw UsageError("--rename-uid takes OLD=NEW, got \"\(text)\"")
        }
        self.init(old: String(text[..<eq]), new: String(text[text.index(after: eq)...]))
    }
}
