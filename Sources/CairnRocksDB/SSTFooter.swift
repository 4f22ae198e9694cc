/// The fixed-size end of a block-based table: which checksum the file uses, its format_version, and where the
/// metaindex and index blocks are (`table/format.cc`).
///
/// Three layouts: legacy (48 bytes, magic 0xdb4775248b80fb57, format_version 0, CRC32C); versions 1–5 (53 bytes:
/// checksum type, two handles, padding, version, magic); version 6 (53 bytes with an extended magic, a footer
/// checksum, the base of the context checksums and the metaindex size; the index handle moves to the metaindex).
public struct SSTFooter: Sendable, Equatable {
    public static let magic: UInt64 = 0x88E2_41B7_85F4_CFF7
    public static let legacyMagic: UInt64 = 0xDB47_7524_8B80_FB57
    static let legacyLength = 48
    static let length = 53
    static let extendedMagic: [UInt8] = [0x3E, 0x00, 0x7A, 0x00]
    /// The newest layout this reader knows; 7 adds data-block features Flink's FRocksDB never writes.
    public static let newestFormatVersion: UInt32 = 6

    public var formatVersion: UInt32
    public var checksumType: SSTChecksumType
    public var metaindexHandle: BlockHandle
    /// The top-level index block; nil from format_version 6 on, where the metaindex's `rocksdb.index` says it.
    public var indexHandle: BlockHandle?
    /// format_version 6: the base of the per-offset checksum modifiers (0 before).
    public var baseContextChecksum: UInt32
    /// Where the footer starts in the file.
    public var offset: UInt64

    /// Decodes the footer from the file's last bytes (`tail`, at most 53, ending at `fileSize`).
    static func decode(_ tail: [UInt8], fileSize: UInt64, file: String) throws(RocksDBError) -> SSTFooter {
        func fail(_ code: RocksDBError.Code, _ message: String, at offset: UInt64? = nil) -> RocksDBError {
            RocksDBError(code, message, file: file, offset: offset ?? fileSize - UInt64(min(tail.count, length)), block: "footer")
        }
        guard tail.count >= legacyLength else {
            throw fail(.truncated, "a \(fileSize)-byte file is too short to hold a table footer (48 or 53 bytes)", at: 0)
        }
        let magic = le64(tail, tail.count - 8)
        if magic == legacyMagic {
            let start = tail.count - legacyLength
            var r = FieldReader(tail, from: start, to: tail.count - 8)
            let at = fileSize - UInt64(legacyLength)
            guard let meta = r.handle(), let index = r.handle() else { throw fail(.corruptBlock, "bad block handles in the legacy footer", at: at) }
            return SSTFooter(formatVersion: 0, checksumType: .crc32c, metaindexHandle: meta, indexHandle: index, baseContextChecksum: 0, offset: at)
        }
        guard magic == Self.magic else {
            let known: [UInt64: String] = [
                0x8242_2296_63BF_9564: "a plain table", 0x4F34_18EB_7A8F_13B8: "a legacy plain table", 0x9267_89D0_C5F1_7873: "a cuckoo table",
            ]
            let what = known[magic].map { "this is \($0), not a block-based table" } ?? "no block-based table magic number at the end"
            throw fail(.badMagic, "\(what) (found 0x\(String(magic, radix: 16)))", at: fileSize - 8)
        }
        guard tail.count >= length else { throw fail(.truncated, "the file is too short for a 53-byte footer", at: 0) }
        let f = tail.count - length
        let at = fileSize - UInt64(length)
        let version = le32(tail, f + 41)
        guard version <= newestFormatVersion else {
            throw fail(.unsupportedFormatVersion, "format_version \(version) is newer than the \(newestFormatVersion) Cairn reads")
        }
        guard let checksumType = SSTChecksumType(rawValue: tail[f]) else {
            throw fail(.unknownChecksumType, "unknown checksum type \(tail[f]) in the footer")
        }
        if version < 6 {
            var r = FieldReader(tail, from: f + 1, to: f + 41)
            guard let meta = r.handle(), let index = r.handle() else { throw fail(.corruptBlock, "bad block handles in the footer") }
            return SSTFooter(formatVersion: version, checksumType: checksumType, metaindexHandle: meta, indexHandle: index,
                             baseContextChecksum: 0, offset: at)
        }
        guard Array(tail[(f + 1)..<(f + 5)]) == extendedMagic else {
            throw fail(.badMagic, "format_version \(version) footer without its extended magic 3E 00 7A 00")
        }
        let stored = le32(tail, f + 5)
        let base = le32(tail, f + 9)
        let metaSize = UInt64(le32(tail, f + 13))
        guard SSTChecksumType.contextModifier(base: base, offset: 0) != 0 else {
            throw fail(.corruptBlock, "invalid base context checksum 0x\(String(base, radix: 16))")
        }
        var copy = Array(tail[f..<(f + length)])
        for i in 5..<9 { copy[i] = 0 }
        let computed = copy.withUnsafeBytes { checksumType.checksum($0) } &+ SSTChecksumType.contextModifier(base: base, offset: at)
        guard computed == stored else {
            throw fail(.checksumMismatch, "footer checksum mismatch: stored 0x\(String(stored, radix: 16)), computed 0x\(String(computed, radix: 16)) (\(checksumType.name))")
        }
        guard le64(tail, f + 33) == 0 else {
            throw fail(.unsupportedFeature, "the footer's reserved bytes are set: a RocksDB feature newer than format_version 6")
        }
        guard metaSize + BlockHandle.trailerSize <= at else { throw fail(.corruptBlock, "metaindex of \(metaSize) bytes does not fit before the footer") }
        let meta = BlockHandle(offset: at - BlockHandle.trailerSize - metaSize, size: metaSize)
        return SSTFooter(formatVersion: version, checksumType: checksumType, metaindexHandle: meta, indexHandle: nil,
                         baseContextChecksum: base, offset: at)
    }
}

@inline(__always) func le32(_ b: [UInt8], _ i: Int) -> UInt32 {
    UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24
}

@inline(__always) func le64(_ b: [UInt8], _ i: Int) -> UInt64 {
    UInt64(le32(b, i)) | UInt64(le32(b, i + 4)) << 32
}
