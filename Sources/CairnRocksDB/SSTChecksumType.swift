import CairnCore

/// The checksum a table's block trailers (and, from format_version 6, its footer) carry; chosen per file in the footer.
public enum SSTChecksumType: UInt8, Sendable, CaseIterable {
    case none = 0
    case crc32c = 1
    case xxHash = 2
    case xxHash64 = 3
    case xxh3 = 4

    public var name: String {
        switch self {
        case .none: "kNoChecksum"
        case .crc32c: "kCRC32c"
        case .xxHash: "kxxHash"
        case .xxHash64: "kxxHash64"
        case .xxh3: "kXXH3"
        }
    }

    /// RocksDB's `ComputeBuiltinChecksum` over `data`, whose last byte is the block's compression type (or the
    /// footer's last byte): CRC32C masked, XXH32, low half of XXH64, or for XXH3 the low half of the hash of all but
    /// the last byte, xor the last byte times 0x6b9083d9.
    public func checksum(_ data: UnsafeRawBufferPointer) -> UInt32 {
        switch self {
        case .none: return 0
        case .crc32c:
            let c = CRC32C.checksum(data)
            return ((c >> 15) | (c << 17)) &+ 0xA282_EAD8
        case .xxHash: return XXHash.xxh32(data)
        case .xxHash64: return UInt32(truncatingIfNeeded: XXHash.xxh64(data))
        case .xxh3:
            guard let last = data.last else { return 0 }
            let v = UInt32(truncatingIfNeeded: XXH3.hash64(UnsafeRawBufferPointer(rebasing: data.dropLast())))
            return v ^ (UInt32(last) &* 0x6B90_83D9)
        }
    }

    /// format_version 6's per-position modifier added to stored checksums, so a block copied to another offset fails.
    static func contextModifier(base: UInt32, offset: UInt64) -> UInt32 {
        guard base != 0 else { return 0 }
        return base ^ (UInt32(truncatingIfNeeded: offset) &+ UInt32(truncatingIfNeeded: offset >> 32))
    }
}
