/// A range deletion from a table's `rocksdb.range_del` block: user keys in `[start, end)` written with a sequence
/// number below `sequence` are deleted.
public struct SSTRangeTombstone: Sendable, Equatable {
    public var start: [UInt8]
    public var end: [UInt8]
    public var sequence: UInt64

    public init(start: [UInt8], end: [UInt8], sequence: UInt64) {
        self.start = start
        self.end = end
        self.sequence = sequence
    }

    /// True when this tombstone deletes `key` at `sequence`.
    public func covers(_ key: ArraySlice<UInt8>, sequence: UInt64) -> Bool {
        sequence < self.sequence && !key.lexicographicallyPrecedes(start) && key.lexicographicallyPrecedes(end)
    }
}
