/// MurmurHash3 x86 32-bit (Austin Appleby), the hash behind Cairn's key-group assignment.
public enum Murmur3 {
    @inline(__always)
    private static func mix(_ k: UInt32) -> UInt32 {
        var k = k &* 0xcc9e_2d51
        k = (k << 15) | (k >> 17)
        return k &* 0x1b87_3593
    }

    public static func hash32(_ data: UnsafeRawBufferPointer, seed: UInt32 = 0) -> UInt32 {
        var h = seed
        let n = data.count
        let blocks = n / 4
        for i in 0..<blocks {
            let k = data.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self).littleEndian
            h ^= mix(k)
            h = (h << 13) | (h >> 19)
            h = h &* 5 &+ 0xe654_6b64
        }
        var k: UInt32 = 0
        let tail = blocks * 4
        switch n & 3 {
        case 3:
            k ^= UInt32(data[tail + 2]) << 16
            fallthrough
        case 2:
            k ^= UInt32(data[tail + 1]) << 8
            fallthrough
        case 1:
            k ^= UInt32(data[tail])
            h ^= mix(k)
        default:
            break
        }
        h ^= UInt32(truncatingIfNeeded: n)
        h ^= h >> 16
        h = h &* 0x85eb_ca6b
        h ^= h >> 13
        h = h &* 0xc2b2_ae35
        h ^= h >> 16
        return h
    }

    public static func hash32<C: ContiguousBytes>(_ data: C, seed: UInt32 = 0) -> UInt32 {
        data.withUnsafeBytes { hash32($0, seed: seed) }
    }
}
