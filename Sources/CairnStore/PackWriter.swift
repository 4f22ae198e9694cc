import CairnCore

/// Collects stored chunks into one pack, then appends the table and trailer. The pack's name is the SHA-256 of
/// its bytes, so uploading the same pack twice writes the same object.
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
        var out = bytes
        out.append(contentsOf: PackTable.encodeTail(entries))
        let table = PackTable(packID: ChunkID.hash(out), packSize: UInt64(out.count), entries: entries)
        bytes = []
        bytes.reserveCapacity(out.count)
        entries = []
        ids = []
        return (out, table)
    }
}
