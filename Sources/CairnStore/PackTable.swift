import CairnCore

/// How a chunk's bytes are stored in a pack.
public enum ChunkCodec: UInt8, Sendable, Equatable {
    case raw = 0
    case zstd = 1
}

/// One chunk inside a pack: where its stored bytes are and how to turn them back into raw bytes.
public struct PackEntry: Sendable, Equatable {
    public var id: ChunkID
    public var offset: UInt64
    public var storedLength: UInt32
    public var rawLength: UInt32
    public var codec: ChunkCodec

    public init(id: ChunkID, offset: UInt64, storedLength: UInt32, rawLength: UInt32, codec: ChunkCodec) {
        self.id = id
        self.offset = offset
        self.storedLength = storedLength
        self.rawLength = rawLength
        self.codec = codec
    }
}

/// The table at the end of a pack (STORE.md §3): chunks back to back from offset 0, then one 49-byte entry per
/// chunk, then a 20-byte trailer — entry count, CRC32C of the table, version, flags, magic `CAIRNPCK`. A pack can
/// be indexed from its tail with one ranged read, which is how an interrupted push's packs are found and reused.
public struct PackTable: Sendable, Equatable {
    public static let magic: [UInt8] = Array("CAIRNPCK".utf8)
    public static let version: UInt16 = 1
    public static let trailerSize = 20
    public static let entrySize = 49
    /// No chunk is larger than this, whatever a config says; a table claiming more is corrupt.
    public static let maxChunkLength: UInt32 = 64 << 20

    public var packID: ChunkID
    public var packSize: UInt64
    public var entries: [PackEntry]

    public init(packID: ChunkID, packSize: UInt64, entries: [PackEntry]) {
        self.packID = packID
        self.packSize = packSize
        self.entries = entries
    }

    /// Encodes the table and trailer for `entries`.
    public static func encodeTail(_ entries: [PackEntry]) -> [UInt8] {
        var w = ByteWriter(capacity: entries.count * entrySize + trailerSize)
        for e in entries {
            w.writeRaw(e.id.bytes)
            w.writeU64(e.offset)
            w.writeU32(e.storedLength)
            w.writeU32(e.rawLength)
            w.writeU8(e.codec.rawValue)
        }
        let crc = CRC32C.checksum(w.bytes)
        w.writeU32(UInt32(entries.count))
        w.writeU32(crc)
        w.writeU16(version)
        w.writeU16(0)
        w.writeRaw(magic)
        return w.bytes
    }

    /// The table of a finished pack, named by the SHA-256 of its tail.
    public static func named(bytes: [UInt8], entries: [PackEntry]) -> PackTable {
        let tail = entries.count * entrySize + trailerSize
        let id = bytes.withUnsafeBytes { ChunkID.hash(UnsafeRawBufferPointer(rebasing: $0[(bytes.count - tail)...])) }
        return PackTable(packID: id, packSize: UInt64(bytes.count), entries: entries)
    }

    /// Reads the entry count from a pack's last `trailerSize` bytes, checking the magic, version and that the
    /// table fits in `packSize`. Returns the table's length in bytes.
    public static func tableLength(trailer: [UInt8], packSize: UInt64, place: String) throws(StoreError) -> Int {
        guard trailer.count == trailerSize else {
            throw StoreError(.corrupt, place: place, message: "pack of \(packSize) bytes is too short for its \(trailerSize)-byte trailer")
        }
        guard Array(trailer[12..<20]) == magic else {
            throw StoreError(.corrupt, place: place, message: "no CAIRNPCK magic at the end of the pack (offset \(packSize - 8))")
        }
        var r = ByteReader(trailer)
        do {
            let count = try r.readU32()
            _ = try r.readU32()
            let v = try r.readU16()
            let flags = try r.readU16()
            guard v == version else {
                throw StoreError(.unsupported, place: place, message: "pack version \(v); this Cairn reads version \(version)")
            }
            guard flags == 0 else { throw StoreError(.unsupported, place: place, message: "pack flags \(flags) are unknown") }
            let length = UInt64(count) * UInt64(entrySize)
            guard length + UInt64(trailerSize) <= packSize else {
                throw StoreError(.corrupt, place: place, message: "trailer claims \(count) chunks, more than a \(packSize)-byte pack can hold")
            }
            return Int(length)
        } catch let e as StoreError {
            throw e
        } catch {
            throw StoreError(.corrupt, place: place, message: "pack trailer: \(error)")
        }
    }

    /// Decodes and checks a pack's tail (`table + trailer`, exactly). Every rule of STORE.md §3 is checked:
    /// the CRC, chunks back to back from offset 0 up to the table, lengths within bounds, known codecs.
    public static func decode(tail: [UInt8], packID: ChunkID, packSize: UInt64, place: String) throws(StoreError) -> PackTable {
        guard tail.count >= trailerSize else {
            throw StoreError(.corrupt, place: place, message: "pack tail of \(tail.count) bytes is shorter than its trailer")
        }
        let tableLength = try Self.tableLength(trailer: Array(tail[(tail.count - trailerSize)...]), packSize: packSize, place: place)
        guard tail.count == tableLength + trailerSize else {
            throw StoreError(.corrupt, place: place, message: "pack tail is \(tail.count) bytes, the trailer says \(tableLength + trailerSize)")
        }
        let table = Array(tail[0..<tableLength])
        var trailer = ByteReader(tail, from: tableLength)
        let crc: UInt32
        do {
            _ = try trailer.readU32()
            crc = try trailer.readU32()
        } catch { throw StoreError(.corrupt, place: place, message: "pack trailer: \(error)") }
        guard CRC32C.checksum(table) == crc else {
            throw StoreError(.corrupt, place: place, message: "pack table checksum mismatch (table at offset \(packSize - UInt64(tail.count)))")
        }
        guard ChunkID.hash(tail) == packID else {
            throw StoreError(.corrupt, place: place, message: "pack tail does not hash to the pack's name (damaged or renamed)")
        }
        let tableStart = packSize - UInt64(tail.count)
        var entries: [PackEntry] = []
        entries.reserveCapacity(tableLength / entrySize)
        var r = ByteReader(table)
        var expected: UInt64 = 0
        do {
            while !r.isAtEnd {
                let at = r.position
                let idBytes = try r.readRaw(32, "chunk id")
                let offset = try r.readU64("offset")
                let stored = try r.readU32("stored length")
                let raw = try r.readU32("raw length")
                let codecByte = try r.readU8("codec")
                let here = "\(place), table entry \(entries.count) (pack offset \(tableStart + UInt64(at)))"
                guard let codec = ChunkCodec(rawValue: codecByte) else {
                    throw StoreError(.corrupt, place: here, message: "unknown codec \(codecByte)")
                }
                guard offset == expected else {
                    throw StoreError(.corrupt, place: here, message: "chunk starts at \(offset), expected \(expected) (chunks are back to back)")
                }
                guard raw <= maxChunkLength, stored <= maxChunkLength, stored > 0 || raw == 0 else {
                    throw StoreError(.corrupt, place: here, message: "lengths \(stored) stored / \(raw) raw are out of bounds")
                }
                guard codec != .raw || stored == raw else {
                    throw StoreError(.corrupt, place: here, message: "raw chunk with stored length \(stored) ≠ raw length \(raw)")
                }
                expected = offset + UInt64(stored)
                guard expected <= tableStart else {
                    throw StoreError(.corrupt, place: here, message: "chunk ends at \(expected), past the table at \(tableStart)")
                }
                entries.append(PackEntry(id: ChunkID(bytes: idBytes)!, offset: offset, storedLength: stored, rawLength: raw, codec: codec))
            }
        } catch let e as StoreError {
            throw e
        } catch {
            throw StoreError(.corrupt, place: place, message: "pack table: \(error)")
        }
        guard expected == tableStart else {
            throw StoreError(.corrupt, place: place, message: "chunks end at \(expected) but the table starts at \(tableStart)")
        }
        return PackTable(packID: packID, packSize: packSize, entries: entries)
    }

    /// Reads a pack's table from its tail with one ranged read (two when the table is larger than a guess).
    public static func read(from store: any ObjectStore, key: String, packID: ChunkID, packSize: UInt64) async throws -> PackTable {
        let place = store.location + "/" + key
        guard packSize >= UInt64(trailerSize) else {
            throw StoreError(.corrupt, place: place, message: "pack of \(packSize) bytes is shorter than a trailer")
        }
        let guess = UInt64(min(packSize, 64 << 10))
        var tail = try await store.get(key, offset: packSize - guess, count: Int(guess))
        let tableLength = try tableLength(trailer: Array(tail[(tail.count - trailerSize)...]), packSize: packSize, place: place)
        let need = tableLength + trailerSize
        if need > tail.count {
            tail = try await store.get(key, offset: packSize - UInt64(need), count: need)
        } else {
            tail = Array(tail[(tail.count - need)...])
        }
        return try decode(tail: tail, packID: packID, packSize: packSize, place: place)
    }

    /// Where packs live: `packs/<first two hex digits>/<64 hex digits>`.
    public static func key(for id: ChunkID) -> String {
        let h = id.hex
        return "packs/" + h.prefix(2) + "/" + h
    }

    /// The pack id named by a `packs/…` key, or nil for anything else found there.
    public static func id(fromKey key: String) -> ChunkID? {
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "packs", let id = ChunkID(hex: String(parts[2])), parts[1] == id.hex.prefix(2) else { return nil }
        return id
    }
}
