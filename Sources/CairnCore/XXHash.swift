/// XXH32 and XXH64 (xxHash by Yann Collet), one-shot over a buffer: RocksDB's block checksum types kxxHash (2) and
/// kxxHash64 (3). Pure Swift so Cairn needs no libxxhash; checked against xxHash's published sanity vectors.
public enum XXHash {
    static let p32_1: UInt32 = 0x9E37_79B1, p32_2: UInt32 = 0x85EB_CA77, p32_3: UInt32 = 0xC2B2_AE3D
    static let p32_4: UInt32 = 0x27D4_EB2F, p32_5: UInt32 = 0x1656_67B1
    static let p64_1: UInt64 = 0x9E37_79B1_85EB_CA87, p64_2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
    static let p64_3: UInt64 = 0x1656_67B1_9E37_79F9, p64_4: UInt64 = 0x85EB_CA77_C2B2_AE63
    static let p64_5: UInt64 = 0x27D4_EB2F_1656_67C5

    @inline(__always) static func rotl(_ x: UInt32, _ r: UInt32) -> UInt32 { (x << r) | (x >> (32 - r)) }
    @inline(__always) static func rotl(_ x: UInt64, _ r: UInt64) -> UInt64 { (x << r) | (x >> (64 - r)) }
    @inline(__always) static func read32(_ p: UnsafeRawBufferPointer, _ i: Int) -> UInt32 {
        UInt32(littleEndian: p.loadUnaligned(fromByteOffset: i, as: UInt32.self))
    }
    @inline(__always) static func read64(_ p: UnsafeRawBufferPointer, _ i: Int) -> UInt64 {
        UInt64(littleEndian: p.loadUnaligned(fromByteOffset: i, as: UInt64.self))
    }

    /// XXH32 of `data` with `seed`.
    public static func xxh32(_ data: UnsafeRawBufferPointer, seed: UInt32 = 0) -> UInt32 {
        @inline(__always) func round(_ acc: UInt32, _ input: UInt32) -> UInt32 { rotl(acc &+ input &* p32_2, 13) &* p32_1 }
        let n = data.count
        var i = 0
        var h: UInt32
        if n >= 16 {
            var v1 = seed &+ p32_1 &+ p32_2, v2 = seed &+ p32_2, v3 = seed, v4 = seed &- p32_1
            while i + 16 <= n {
                v1 = round(v1, read32(data, i))
                v2 = round(v2, read32(data, i + 4))
                v3 = round(v3, read32(data, i + 8))
                v4 = round(v4, read32(data, i + 12))
                i += 16
            }
            h = rotl(v1, 1) &+ rotl(v2, 7) &+ rotl(v3, 12) &+ rotl(v4, 18)
        } else {
            h = seed &+ p32_5
        }
        h = h &+ UInt32(truncatingIfNeeded: n)
        while i + 4 <= n {
            h = rotl(h &+ read32(data, i) &* p32_3, 17) &* p32_4
            i += 4
        }
        while i < n {
            h = rotl(h &+ UInt32(data[i]) &* p32_5, 11) &* p32_1
            i += 1
        }
        h ^= h >> 15
        h = h &* p32_2
        h ^= h >> 13
        h = h &* p32_3
        h ^= h >> 16
        return h
    }

    /// XXH64 of `data` with `seed`.
    public static func xxh64(_ data: UnsafeRawBufferPointer, seed: UInt64 = 0) -> UInt64 {
        @inline(__always) func round(_ acc: UInt64, _ input: UInt64) -> UInt64 { rotl(acc &+ input &* p64_2, 31) &* p64_1 }
        @inline(__always) func merge(_ h: UInt64, _ v: UInt64) -> UInt64 { (h ^ round(0, v)) &* p64_1 &+ p64_4 }
        let n = data.count
        var i = 0
        var h: UInt64
        if n >= 32 {
            var v1 = seed &+ p64_1 &+ p64_2, v2 = seed &+ p64_2, v3 = seed, v4 = seed &- p64_1
            while i + 32 <= n {
                v1 = round(v1, read64(data, i))
                v2 = round(v2, read64(data, i + 8))
                v3 = round(v3, read64(data, i + 16))
                v4 = round(v4, read64(data, i + 24))
                i += 32
            }
            h = rotl(v1, 1) &+ rotl(v2, 7) &+ rotl(v3, 12) &+ rotl(v4, 18)
            h = merge(merge(merge(merge(h, v1), v2), v3), v4)
        } else {
            h = seed &+ p64_5
        }
        h = h &+ UInt64(n)
        while i + 8 <= n {
            h = rotl(h ^ round(0, read64(data, i)), 27) &* p64_1 &+ p64_4
            i += 8
        }
        if i + 4 <= n {
            h = rotl(h ^ (UInt64(read32(data, i)) &* p64_1), 23) &* p64_2 &+ p64_3
            i += 4
        }
        while i < n {
            h = rotl(h ^ (UInt64(data[i]) &* p64_5), 11) &* p64_1
            i += 1
        }
        return avalanche64(h)
    }

    @inline(__always) static func avalanche64(_ x: UInt64) -> UInt64 {
        var h = x
        h ^= h >> 33
        h = h &* p64_2
        h ^= h >> 29
        h = h &* p64_3
        h ^= h >> 32
        return h
    }

    public static func xxh32<C: ContiguousBytes>(_ bytes: C, seed: UInt32 = 0) -> UInt32 { bytes.withUnsafeBytes { xxh32($0, seed: seed) } }
    public static func xxh64<C: ContiguousBytes>(_ bytes: C, seed: UInt64 = 0) -> UInt64 { bytes.withUnsafeBytes { xxh64($0, seed: seed) } }
}
