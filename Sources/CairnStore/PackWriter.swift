import CairnCore

/// Collects stored chunks into one pack, then appends the table and trailer. The pack's name is the SHA-256 of
/// its tail (table and trailer): the table holds every chunk's SHA-256 and the chunks fill the pack from offset 0
/// to the table, so the tail commits to every byte — at a thousandth of the cost of hashing the whole pack.
public struct PackWriter: Sendable {
    public private(set) var bytes: [UInt8] = []
    public private(set) var entries: [PackEntry] = []
    private var ids: Set<ChunkID> = []

    public init(capacity: Int) { bytes.reserveCapacity(capacity) }

    public var isEmpty: Bool { entries.isEmpty }
    /// Bytes of stored chunks so far (the finished pack adds 49 per chunk plus 20).
    public var size: Int { bytes.count }

    /// Whether this pack already holds `id`.
    public func contains(_ id: ChunkID) -> Bool { ids.contains(id) }

    public mutating func append(id: ChunkID, stored: [UInt8], rawLength: Int, codec: ChunkCodec) {
        entries.append(PackEntry(id: id, offset: UInt64(bytes.count), storedLength: UInt32(stored.count), rawLength: UInt32(rawLength), codec: codec))
        ids.insert(id)
        bytes.append(contentsOf: stored)
    }

    /// The finished pack's bytes and table; the writer is empty afterwards.
    public mutating func finish() -> (bytes: [UInt8], table: PackTable) {
        let sealed = seal()
        return (sealed.bytes, PackTable.named(bytes: sealed.bytes, entries: sealed.entries))
    }

    /// The finished pack's bytes and entries without its name, so the caller can hash it on another core.
    public mutating func seal() -> (bytes: [UInt8], entries: [PackEntry]) {
        let capacity = bytes.capacity
        var out: [UInt8] = []
        swap(&out, &bytes)  // hand the buffer over without copying it
        out.append(contentsOf: PackTable.encodeTail(entries))
        let sealed = (out, entries)
        bytes.reserveCapacity(capacity)
        entries = []
        ids = []
        return sealed
    }
}
