extension Murmur3 {
    /// MurmurHash3 x64 128-bit (Appleby's `MurmurHash3_x64_128`) as Guava's `Hashing.murmur3_128(seed)` returns it:
    /// `h1` then `h2`, each little-endian. Flink derives an operator's id from its uid with this hash and seed 0.
    public static func hash128x64(_ data: [UInt8], seed: UInt32 = 0) -> [UInt8] {
        let c1: UInt64 = 0x87c3_7b91_1142_53d5
        let c2: UInt64 = 0x4cf5_ad43_2745_937f
        var h1 = UInt64(seed), h2 = UInt64(seed)
        func rotl(_ x: UInt64, _ r: UInt64) -> UInt64 { (x << r) | (x >> (64 - r)) }
        func fmix(_ k: UInt64) -> UInt64 {
            var k = k
            k ^= k >> 33
            k = k &* 0xff51_afd7_ed55_8ccd
            k ^= k >> 33
            k = k &* 0xc4ce_b9fe_1a85_ec53
            k ^= k >> 33
            return k
        }
        func word(_ at: Int, _ count: Int) -> UInt64 {
            var v: UInt64 = 0
            for i in 0..<count { v |= UInt64(data[at + i]) << (8 * UInt64(i)) }
            return v
        }
        let blocks = data.count / 16
        for i in 0..<blocks {
            var k1 = word(i * 16, 8), k2 = word(i * 16 + 8, 8)
            k1 = rotl(k1 &* c1, 31) &* c2
            h1 ^= k1
            h1 = rotl(h1, 27) &+ h2
            h1 = h1 &* 5 &+ 0x52dc_e729
            k2 = rotl(k2 &* c2, 33) &* c1
            h2 ^= k2
            h2 = rotl(h2, 31) &+ h1
            h2 = h2 &* 5 &+ 0x3849_5ab5
        }
        let tail = blocks * 16, rest = data.count & 15
        if rest > 8 {
            let k2 = rotl(word(tail + 8, rest - 8) &* c2, 33) &* c1
            h2 ^= k2
        }
        if rest > 0 {
            let k1 = rotl(word(tail, min(rest, 8)) &* c1, 31) &* c2
            h1 ^= k1
        }
        h1 ^= UInt64(data.count)
        h2 ^= UInt64(data.count)
        h1 = h1 &+ h2
        h2 = h2 &+ h1
        h1 = fmix(h1)
        h2 = fmix(h2)
        h1 = h1 &+ h2
        h2 = h2 &+ h1
        var out: [UInt8] = []
        out.reserveCapacity(16)
        for h in [h1, h2] { for i in 0..<8 { out.append(UInt8(truncatingIfNeeded: h >> (8 * UInt64(i)))) } }
        return out
    }
}
