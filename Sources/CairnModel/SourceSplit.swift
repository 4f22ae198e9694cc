/// A source split of a subtask and its position (format spec §6.4, SourceSplit).
public struct SourceSplit: Sendable, Equatable {
    public var splitId: String
    public var position: SplitPosition

    public init(splitId: String, position: SplitPosition) {
        self.splitId = splitId
        self.position = position
    }
}
