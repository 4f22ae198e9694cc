/// XXH3_64bits with seed 0 and the default secret (xxHash v0.8), one-shot: RocksDB's block checksum type kXXH3 (4),
/// the default of FRocksDB 8.10 and so of every Flink 2.x SST. Pure Swift, scalar; every length class (0–16,
/// 17–128, 129–240, longer with stripes and accumulators) is checked against xxHash's published vectors.
public enum XXH3 {
    static let secret: [UInt8] = [
        0xb8, 0xfe, 0x6c, 0x39, 0x23, 0xa4, 0x4b, 0xbe, 0x7c, 0x01, 0x81, 0x2c, 0xf7, 0x21, 0xad, 0x1c,
        0xde, 0xd4, 0x6d, 0xe9, 0x83, 0x90, 0x97, 0xdb, 0x72, 0x40, 0xa4, 0xa4, 0xb7, 0xb3, 0x67, 0x1f,
        0xcb, 0x79, 0xe6, 0x4e, 0xcc, 0xc0, 0xe5, 0x78, 0x82, 0x5a, 0xd0, 0x7d, 0xcc, 0xff, 0x72, 0x21,
        0xb8, 0x08, 0x46, 0x74, 0xf7, 0x43, 0x24, 0x8e, 0xe0, 0x35, 0x90, 0xe6, 0x81, 0x3a, 0x26, 0x4c,
        0x3c, 0x28, 0x52, 0xbb, 0x91, 0xc3, 0x00, 0xcb, 0x88, 0xd0, 0x65, 0x8b, 0x1b, 0x53, 0x2e, 0xa3,
        0x71, 0x64, 0x48, 0x97, 0xa2, 0x0d, 0xf9, 0x4e, 0x38, 0x19, 0xef, 0x46, 0xa9, 0xde, 0xac, 0xd8,
        0xa8, 0xfa, 0x76, 0x3f, 0xe3, 0x9c, 0x34, 0x3f, 0xf9, 0xdc, 0xbb, 0xc7, 0xc7, 0x0b, 0x4f, 0x1d,
        0x8a, 0x51, 0xe0, 0x4b, 0xcd, 0xb4, 0x59, 0x31, 0xc8, 0x9f, 0x7e, 0xc9, 0xd9, 0x78, 0x73, 0x64,
        0xea, 0xc5, 0xac, 0x83, 0x34, 0xd3, 0xeb, 0xc3, 0xc5, 0x81, 0xa0, 0xff, 0xfa, 0x13, 0x63, 0xeb,
        0x17, 0x0d, 0xdd, 0x51, 0xb7, 0xf0, 0xda, 0x49, 0xd3, 0x16, 0x55, 0x26, 0x29, 0xd4, 0x68, 0x9e,
        0x2b, 0x16, 0xbe, 0x58, 0x7d, 0x47, 0xa1, 0xfc, 0x8f, 0xf8, 0xb8, 0xd1, 0x7a, 0xd0, 0x31, 0xce,
        0x45, 0xcb, 0x3a, 0x8f, 0x95, 0x16, 0x04, 0x28, 0xaf, 0xd7, 0xfb, 0xca, 0xbb, 0x4b, 0x40, 0x7e,
    ]
    static let mx1: UInt64 = 0x1656_6791_9E37_79F9
    static let mx2: UInt64 = 0x9FB2_1C65_1E98_DF25

    public static func hash64<C: ContiguousBytes>(_ bytes: C) -> UInt64 { bytes.withUnsafeBytes { hash64($0) } }

    /// XXH3_64bits(data) with seed 0.
    public static func hash64(_ data: UnsafeRawBufferPointer) -> UInt64 {
        secret.withUnsafeBytes { s in
            let n = data.count
            if n <= 16 { return short(data, s) }
            if n <= 128 { return mid(data, s) }
            if n <= 240 { return upTo240(data, s) }
            return long(data, s)
        }
    }

    @inline(__always) static func r64(_ p: UnsafeRawBufferPointer, _ i: Int) -> UInt64 {
        UInt64(littleEndian: p.loadUnaligned(fromByteOffset: i, as: UInt64.self))
    }
    @inline(__always) static func r32(_ p: UnsafeRawBufferPointer, _ i: Int) -> UInt32 {
        UInt32(littleEndian: p.loadUnaligned(fromByteOffset: i, as: UInt32.self))
    }
    @inline(__always) static func rotl(_ x: UInt64, _ r: UInt64) -> UInt64 { (x << r) | (x >> (64 - r)) }

    @inline(__always) static func mulFold(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let (high, low) = a.multipliedFullWidth(by: b)
        return high ^ low
    }

    @inline(__always) static func avalanche(_ x: UInt64) -> UInt64 {
        var h = x ^ (x >> 37)
        h = h &* mx1
        return h ^ (h >> 32)
    }

    static func rrmxmx(_ x: UInt64, _ len: UInt64) -> UInt64 {
        var h = x ^ rotl(x, 49) ^ rotl(x, 24)
        h = h &* mx2
        h ^= (h >> 35) &+ len
        h = h &* mx2
        return h ^ (h >> 28)
    }

    static func short(_ d: UnsafeRawBufferPointer, _ s: UnsafeRawBufferPointer) -> UInt64 {
        let n = d.count
        if n > 8 {
            let lo = r64(d, 0) ^ (r64(s, 24) ^ r64(s, 32))
            let hi = r64(d, n - 8) ^ (r64(s, 40) ^ r64(s, 48))
            let acc = UInt64(n) &+ lo.byteSwapped &+ hi &+ mulFold(lo, hi)
            return avalanche(acc)
        }
        if n >= 4 {
            let in1 = UInt64(r32(d, 0)), in2 = UInt64(r32(d, n - 4))
            let keyed = (in2 &+ (in1 << 32)) ^ (r64(s, 8) ^ r64(s, 16))
            return rrmxmx(keyed, UInt64(n))
        }
        if n > 0 {
            let c1 = UInt32(d[0]), c2 = UInt32(d[n >> 1]), c3 = UInt32(d[n - 1])
            let combined = (c1 << 16) | (c2 << 24) | c3 | (UInt32(n) << 8)
            let keyed = UInt64(combined) ^ UInt64(r32(s, 0) ^ r32(s, 4))
            return XXHash.avalanche64(keyed)
        }
        return XXHash.avalanche64(r64(s, 56) ^ r64(s, 64))
    }

    @inline(__always) static func mix16(_ d: UnsafeRawBufferPointer, _ i: Int, _ s: UnsafeRawBufferPointer, _ j: Int) -> UInt64 {
        mulFold(r64(d, i) ^ r64(s, j), r64(d, i + 8) ^ r64(s, j + 8))
    }

    static func mid(_ d: UnsafeRawBufferPointer, _ s: UnsafeRawBufferPointer) -> UInt64 {
        let n = d.count
        var acc = UInt64(n) &* XXHash.p64_1
        if n > 32 {
            if n > 64 {
                if n > 96 {
                    acc = acc &+ mix16(d, 48, s, 96) &+ mix16(d, n - 64, s, 112)
                }
                acc = acc &+ mix16(d, 32, s, 64) &+ mix16(d, n - 48, s, 80)
            }
            acc = acc &+ mix16(d, 16, s, 32) &+ mix16(d, n - 32, s, 48)
        }
        acc = acc &+ mix16(d, 0, s, 0) &+ mix16(d, n - 16, s, 16)
        return avalanche(acc)
    }

    static func upTo240(_ d: UnsafeRawBufferPointer, _ s: UnsafeRawBufferPointer) -> UInt64 {
        let n = d.count
        var acc = UInt64(n) &* XXHash.p64_1
        for i in 0..<8 { acc = acc &+ mix16(d, 16 * i, s, 16 * i) }
        var accEnd = mix16(d, n - 16, s, 136 - 17)
        acc = avalanche(acc)
        for i in 8..<(n / 16) { accEnd = accEnd &+ mix16(d, 16 * i, s, 16 * (i - 8) + 3) }
        return avalanche(acc &+ accEnd)
    }

    @inline(__always) static func accumulate512(
        _ acc: UnsafeMutablePointer<UInt64>, _ d: UnsafeRawBufferPointer, _ i: Int, _ s: UnsafeRawBufferPointer, _ j: Int
    ) {
        for lane in 0..<8 {
            let value = r64(d, i + 8 * lane)
            let key = value ^ r64(s, j + 8 * lane)
            acc[lane ^ 1] = acc[lane ^ 1] &+ value
            acc[lane] = acc[lane] &+ (key & 0xFFFF_FFFF) &* (key >> 32)
        }
    }

    static func long(_ d: UnsafeRawBufferPointer, _ s: UnsafeRawBufferPointer) -> UInt64 {
        let n = d.count
        let stripesPerBlock = (s.count - 64) / 8
        let blockLength = 64 * stripesPerBlock
        let blocks = (n - 1) / blockLength
        return withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 8) { buffer -> UInt64 in
            guard let acc = buffer.baseAddress else { return 0 }
            acc[0] = UInt64(XXHash.p32_3); acc[1] = XXHash.p64_1; acc[2] = XXHash.p64_2; acc[3] = XXHash.p64_3
            acc[4] = XXHash.p64_4; acc[5] = UInt64(XXHash.p32_2); acc[6] = XXHash.p64_5; acc[7] = UInt64(XXHash.p32_1)
            for b in 0..<blocks {
                for stripe in 0..<stripesPerBlock { accumulate512(acc, d, b * blockLength + 64 * stripe, s, 8 * stripe) }
                let k = s.count - 64
                for lane in 0..<8 {
                    var a = acc[lane]
                    a ^= a >> 47
                    a ^= r64(s, k + 8 * lane)
                    acc[lane] = a &* UInt64(XXHash.p32_1)
                }
            }
            let stripes = ((n - 1) - blockLength * blocks) / 64
            for stripe in 0..<stripes { accumulate512(acc, d, blocks * blockLength + 64 * stripe, s, 8 * stripe) }
            accumulate512(acc, d, n - 64, s, s.count - 64 - 7)
            var result = UInt64(n) &* XXHash.p64_1
            for i in 0..<4 {
                result = result &+ mulFold(acc[2 * i] ^ r64(s, 11 + 16 * i), acc[2 * i + 1] ^ r64(s, 11 + 16 * i + 8))
            }
            return avalanche(result)
        }
    }
}
