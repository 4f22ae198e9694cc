/// Where a block lives in an SST: its offset and its size without the 5-byte trailer (RocksDB `BlockHandle`).
public struct BlockHandle: Sendable, Hashable, CustomStringConvertible {
    public var offset: UInt64
    public var size: UInt64

    public init(offset: UInt64, size: UInt64) {
        self.offset = offset
        self.size = size
    }

    /// Every block of a block-based table is followed by a compression type byte and a 4-byte checksum.
    public static let trailerSize: UInt64 = 5

    public var description: String { "[\(offset), +\(size)]" }
}
