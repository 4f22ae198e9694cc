/// Flink only: move a snapshot whose `_metadata` names absolute paths under `from` (default: the base it was
/// written under) to `to`, copying the files there or leaving them where they are and pointing at them.
public struct PathRelocation: Sendable, Hashable {
    public enum Mode: String, Sendable { case copy, reference }
    public var from: String?
    public var to: String
    public var mode: Mode
    public init(from: String? = nil, to: String, mode: Mode) {
        self.from = from
        self.to = to
        self.mode = mode
    }
}
