import CairnCore
import Crypto

/// The SHA-256 of a chunk's raw bytes; also names packs (SHA-256 of the pack) and snapshots (of the manifest's
/// content). Four words, so the in-memory index hashes and compares without touching the heap.
public struct ChunkID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var a: UInt64, b: UInt64, c: UInt64, d: UInt64

    public init(a: UInt64, b: UInt64, c: UInt64, d: UInt64) {
        self.a = a; self.b = b; self.c = c; self.d = d
    }

    /// From exactly 32 bytes; nil otherwise.
    public init?<C: Collection>(bytes: C) where C.Element == UInt8 {
        guard bytes.count == 32 else { return nil }
        var words: [UInt64] = [0, 0, 0, 0]
        for (i, byte) in bytes.enumerated() { words[i / 8] = words[i / 8] << 8 | UInt64(byte) }
        self.init(a: words[0], b: words[1], c: words[2], d: words[3])
    }

    /// From 64 lowercase or uppercase hex digits; nil otherwise.
    public init?(hex: String) {
        guard hex.utf8.count == 64, let bytes = Hex.decode(hex) else { return nil }
        self.init(bytes: bytes)
    }

    /// SHA-256 of `data`.
    public static func hash(_ data: UnsafeRawBufferPointer) -> ChunkID {
        SHA256.hash(data: data).withUnsafeBytes { d in
            // A SHA-256 digest is 32 bytes: four big-endian words.
            func word(_ i: Int) -> UInt64 { UInt64(bigEndian: d.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)) }
            return ChunkID(a: word(0), b: word(1), c: word(2), d: word(3))
        }
    }

    public static func hash(_ data: [UInt8]) -> ChunkID {
        data.withUnsafeBytes { hash($0) }
    }

    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(32)
        for w in [a, b, c, d] {
            for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: w >> UInt64(shift))) }
        }
        return out
    }

    public var hex: String { Hex.encode(bytes) }
    /// The first 12 hex digits, as people type and read them.
    public var short: String { String(hex.prefix(12)) }
    public var description: String { hex }

    public static func < (l: ChunkID, r: ChunkID) -> Bool {
        (l.a, l.b, l.c, l.d) < (r.a, r.b, r.c, r.d)
    }
}
