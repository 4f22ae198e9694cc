public struct KeyGroupSize: Sendable, Equatable {
    public var keyGroup: Int
    public var size: Int64
    public var entries: Int64

    public init(keyGroup: Int, size: Int64, entries: Int64) {
        self.keyGroup = keyGroup
        self.size = size
        self.entries = entries
    }
}
