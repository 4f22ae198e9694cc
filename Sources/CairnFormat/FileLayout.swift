import CairnCore
import CairnModel

/// Fixed sizes, magics and limits of the container (format spec §2).
public enum FileLayout {
    public static let headerMagic: [UInt8] = Array("CAIRNSNP".utf8)
    public static let footerMagic: [UInt8] = Array("CAIRNEND".utf8)
    public static let headerSize = 16
    public static let footerSize = 32
    public static let blockHeaderSize = 16
    public static let majorVersion: UInt16 = 1
    public static let minorVersion: UInt16 = 0
    /// The minor version of a delta snapshot (format spec §13): full snapshots stay 1.0, so their bytes do not change.
    public static let deltaMinorVersion: UInt16 = 1
    /// Header flag bit of a delta snapshot. A 1.0 reader refuses any flag (`unknownFlags`), so it never misreads a
    /// delta as a full snapshot.
    public static let deltaFlag: UInt32 = 1
    /// Longest chain of deltas a reader follows (format spec §13.1).
    public static let maxChainDepth = 1024
    /// Largest raw length of a data block.
    public static let maxDataBlockRawLength = 64 << 20
    /// Largest raw length of the index block.
    public static let maxIndexRawLength = 1 << 30

    public static func header(delta: Bool = false) -> [UInt8] {
        var w = ByteWriter(capacity: headerSize)
        w.writeRaw(headerMagic)
        w.writeU16(majorVersion)
        w.writeU16(delta ? deltaMinorVersion : minorVersion)
        w.writeU32(delta ? deltaFlag : 0)
        return w.bytes
    }

    public static func footer(indexOffset: UInt64, indexLength: UInt64, delta: Bool = false) -> [UInt8] {
        var w = ByteWriter(capacity: footerSize)
        w.writeU64(indexOffset)
        w.writeU64(indexLength)
        w.writeU16(majorVersion)
        w.writeU16(delta ? deltaMinorVersion : minorVersion)
        w.writeU32(CRC32C.checksum(w.bytes))
        w.writeRaw(footerMagic)
        return w.bytes
    }
}

/// The 16-byte frame in front of every block (format spec §2.3).
public struct BlockHeader: Sendable, Equatable {
    public var kind: BlockKind
    public var codec: UInt8
    public var rawLength: UInt32
    public var storedLength: UInt32
    public var crc: UInt32

    public init(kind: BlockKind, codec: UInt8, rawLength: UInt32, storedLength: UInt32, crc: UInt32) {
        self.kind = kind
        self.codec = codec
        self.rawLength = rawLength
        self.storedLength = storedLength
        self.crc = crc
    }

    /// The first 12 bytes, which the CRC covers along with the stored bytes.
    public func prefixBytes() -> [UInt8] {
        var w = ByteWriter(capacity: 12)
        w.writeU8(kind.rawValue)
        w.writeU8(codec)
        w.writeU16(0)
        w.writeU32(rawLength)
        w.writeU32(storedLength)
        return w.bytes
    }

    public func bytes() -> [UInt8] {
        var b = prefixBytes()
        b += [UInt8(crc >> 24), UInt8(truncatingIfNeeded: crc >> 16), UInt8(truncatingIfNeeded: crc >> 8), UInt8(truncatingIfNeeded: crc)]
        return b
    }

    /// Parses a header; `reserved` must be zero.
    public static func parse(_ bytes: [UInt8]) throws(DecodeError) -> BlockHeader {
        var r = ByteReader(bytes)
        let kind = BlockKind(rawValue: try r.readU8("block kind"))
        let codec = try r.readU8("block codec")
        let reserved = try r.readU16("block reserved field")
        guard reserved == 0 else {
            throw DecodeError(.unknownFlags, "block header reserved field is 0x\(String(reserved, radix: 16)), must be 0", at: 2)
        }
        let raw = try r.readU32("rawLength")
        let stored = try r.readU32("storedLength")
        let crc = try r.readU32("block crc")
        return BlockHeader(kind: kind, codec: codec, rawLength: raw, storedLength: stored, crc: crc)
    }

    /// CRC32C over the header prefix and the stored bytes.
    public static func checksum(prefix: [UInt8], stored: UnsafeRawBufferPointer) -> UInt32 {
        var c = CRC32C()
        c.update(prefix)
        c.update(stored)
        return c.value
    }
}

/// Chooses and applies a block codec.
public struct CompressionSetting: Sendable, Equatable, CustomStringConvertible {
    public var codec: BlockCodec
    public var level: Int32

    public init(codec: BlockCodec, level: Int32 = Zstd.defaultLevel) {
        self.codec = codec
        self.level = level
    }

    public static let none = CompressionSetting(codec: .none)
    public static let lz4 = CompressionSetting(codec: .lz4)
    public static func zstd(level: Int32 = 1) -> CompressionSetting { CompressionSetting(codec: .zstd, level: level) }
    /// The default: zstd at level 1, which compresses state well at several hundred MB/s per core.
    public static let `default` = zstd(level: 1)

    /// Parses `zstd`, `zstd:L`, `lz4` or `none`.
    public init?(parsing text: String) {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        switch parts.first {
        case "none" where parts.count == 1: self = .none
        case "lz4" where parts.count == 1: self = .lz4
        case "zstd":
            if parts.count == 2 {
                guard let l = Int32(parts[1]), (1...22).contains(l) else { return nil }
                self = .zstd(level: l)
            } else {
                self = .default
            }
        default: return nil
        }
    }

    public var description: String { codec == .zstd ? "zstd:\(level)" : codec.description }
}

/// Compresses blocks with one reusable context; not thread-safe.
final class BlockCompressor {
    let setting: CompressionSetting
    private let zstd: Zstd.Compressor?
    private var scratch: [UInt8] = []

    init(_ setting: CompressionSetting) {
        self.setting = setting
        self.zstd = setting.codec == .zstd ? Zstd.Compressor(level: setting.level) : nil
    }

    /// Returns the codec used and the stored bytes; falls back to `.none` when compression does not shrink.
    func compress(_ raw: [UInt8]) -> (BlockCodec, [UInt8]) {
        let shrunk: Bool = raw.withUnsafeBytes { input in
            switch setting.codec {
            case .none: return false
            case .lz4: return LZ4.compress(input, into: &scratch)
            case .zstd: return zstd?.compress(input, into: &scratch) ?? false
            }
        }
        return shrunk ? (setting.codec, scratch) : (.none, raw)
    }
}

enum BlockDecoder {
    /// Decodes stored bytes to exactly `rawLength` bytes.
    static func decode(codec: UInt8, stored: [UInt8], rawLength: Int) throws(DecodeError) -> [UInt8] {
        guard let known = BlockCodec(rawValue: codec) else {
            throw DecodeError(.unknownKind, "unknown codec \(codec)", at: 1)
        }
        switch known {
        case .none:
            guard stored.count == rawLength else {
                throw DecodeError(.invalidValue, "uncompressed block has storedLength \(stored.count) ≠ rawLength \(rawLength)", at: 0)
            }
            return stored
        case .lz4:
            let result = stored.withUnsafeBytes { b in Result { () throws(DecodeError) in try LZ4.decompress(b, rawLength: rawLength) } }
            return try result.get()
        case .zstd:
            let result = stored.withUnsafeBytes { b in Result { () throws(DecodeError) in try Zstd.decompress(b, rawLength: rawLength) } }
            return try result.get()
        }
    }
}
