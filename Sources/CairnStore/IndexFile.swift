import CairnCore

/// An `index/<sha256>` object: the tables of the packs one push (or one prune) wrote, so opening a store needs
/// a few index reads instead of one read per pack. Binary (STORE.md §4): magic `CAIRNIDX`, version, the packs
/// with their entries as varints, and a CRC32C of everything before it.
public struct IndexFile: Sendable, Equatable {
    public static let magic: [UInt8] = Array("CAIRNIDX".utf8)
    public static let version: UInt8 = 1

    public var packs: [PackTable]

    public init(packs: [PackTable]) { self.packs = packs }

    public func encoded() -> [UInt8] {
        var w = ByteWriter(capacity: 64 + packs.reduce(0) { $0 + 48 + $1.entries.count * 44 })
        w.writeRaw(Self.magic)
        w.writeU8(Self.version)
        w.writeVarint(packs.count)
        for p in packs {
            w.writeRaw(p.packID.bytes)
            w.writeVarint(p.packSize)
            w.writeVarint(p.entries.count)
            for e in p.entries {
                w.writeRaw(e.id.bytes)
                w.writeVarint(e.offset)
                w.writeVarint(UInt64(e.storedLength))
                w.writeVarint(UInt64(e.rawLength))
                w.writeU8(e.codec.rawValue)
            }
        }
        w.writeU32(CRC32C.checksum(w.bytes))
        return w.bytes
    }

    /// Decodes and checks an index object; errors name the object and the byte offset.
    public static func decode(_ bytes: [UInt8], place: String) throws(StoreError) -> IndexFile {
        guard bytes.count >= 13 else { throw StoreError(.corrupt, place: place, message: "index of \(bytes.count) bytes is truncated") }
        guard Array(bytes[0..<8]) == magic else { throw StoreError(.corrupt, place: place, message: "no CAIRNIDX magic at offset 0") }
        guard bytes[8] == version else {
            throw StoreError(.unsupported, place: place, message: "index version \(bytes[8]); this Cairn reads version \(version)")
        }
        let body = bytes.count - 4
        var crcReader = ByteReader(bytes, from: body)
        guard let crc = try? crcReader.readU32(), CRC32C.checksum(Array(bytes[0..<body])) == crc else {
            throw StoreError(.corrupt, place: place, message: "index checksum mismatch")
        }
        var r = ByteReader(bytes, from: 9, to: body)
        var packs: [PackTable] = []
        do {
            // Each pack takes at least 34 bytes and each entry at least 36: the counts are bounded by what is left.
            let packCount = try r.readCount("pack count", max: r.remaining / 34)
            packs.reserveCapacity(packCount)
            for _ in 0..<packCount {
                guard let packID = ChunkID(bytes: try r.readRaw(32, "pack id")) else { continue }
                let size = try r.readVarint("pack size")
                let n = try r.readCount("entry count", max: r.remaining / 36)
                var entries: [PackEntry] = []
                entries.reserveCapacity(n)
                for _ in 0..<n {
                    let at = r.position
                    guard let id = ChunkID(bytes: try r.readRaw(32, "chunk id")) else { continue }
                    let offset = try r.readVarint("offset")
                    let stored = try r.readVarint("stored length")
                    let raw = try r.readVarint("raw length")
                    let codecByte = try r.readU8("codec")
                    guard let codec = ChunkCodec(rawValue: codecByte), stored <= UInt64(PackTable.maxChunkLength),
                          raw <= UInt64(PackTable.maxChunkLength), offset + stored <= size
                    else {
                        throw StoreError(.corrupt, place: place, message: "entry at offset \(at) (pack \(packID.short)) is out of bounds or has an unknown codec")
                    }
                    entries.append(PackEntry(id: id, offset: offset, storedLength: UInt32(stored), rawLength: UInt32(raw), codec: codec))
                }
                packs.append(PackTable(packID: packID, packSize: size, entries: entries))
            }
            try r.expectEnd("index")
        } catch let e as StoreError {
            throw e
        } catch {
            throw StoreError(.corrupt, place: place, message: "\(error)")
        }
        return IndexFile(packs: packs)
    }

    /// `index/<sha256 of the bytes>`.
    public static func key(for bytes: [UInt8]) -> String { "index/" + ChunkID.hash(bytes).hex }
}
