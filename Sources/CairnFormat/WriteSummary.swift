import CairnModel

/// Sizes and counts of a finished write.
public struct WriteSummary: Sendable, Equatable {
    public var fileSize: UInt64
    public var blockCount: Int
    public var rawBytes: UInt64
    public var storedBytes: UInt64
    public var indexLength: UInt64
    public var entryCount: UInt64
}
