/// Where a chunk is stored.
public struct ChunkLocation: Sendable, Equatable {
    /// Position in `ChunkIndex.packs`.
    public var pack: Int32
    public var offset: UInt64
    public var storedLength: UInt32
    public var rawLength: UInt32
    public var codec: ChunkCodec
}

/// Every chunk the store's index objects (and recovered pack tables) know, in memory: about 80 bytes a chunk,
/// so a terabyte of 1 MiB chunks takes some 80 MB.
public struct ChunkIndex: Sendable {
    public private(set) var packs: [PackTable] = []
    public private(set) var chunks: [ChunkID: ChunkLocation] = [:]
    private var packNumbers: [ChunkID: Int32] = [:]
    /// Index object keys this was loaded from.
    public var sources: [String] = []

    public init() {}

    public var packIDs: Set<ChunkID> { Set(packNumbers.keys) }

    public func contains(pack id: ChunkID) -> Bool { packNumbers[id] != nil }

    /// Adds a pack's chunks; a chunk already known elsewhere keeps its first location.
    public mutating func add(_ table: PackTable) {
        guard packNumbers[table.packID] == nil else { return }
        let n = Int32(packs.count)
        packs.append(PackTable(packID: table.packID, packSize: table.packSize, entries: []))
        packNumbers[table.packID] = n
        packs[Int(n)].entries = table.entries
        for e in table.entries where chunks[e.id] == nil {
            chunks[e.id] = ChunkLocation(pack: n, offset: e.offset, storedLength: e.storedLength, rawLength: e.rawLength, codec: e.codec)
        }
    }

    public func pack(of location: ChunkLocation) -> PackTable { packs[Int(location.pack)] }
}
