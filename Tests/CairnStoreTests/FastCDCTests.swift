import CairnStore
import Testing

@Suite("FastCDC")
struct FastCDCTests {
    static func noise(_ n: Int, seed: UInt64) -> [UInt8] {
        var x = seed
        return (0..<n).map { _ in
            x ^= x << 13; x ^= x >> 7; x ^= x << 17
            return UInt8(truncatingIfNeeded: x >> 24)
        }
    }

    static let small = FastCDC.Parameters(minSize: 2 << 10, averageSize: 8 << 10, maxSize: 32 << 10)

    @Test("chunks respect the bounds, average near the target, and are deterministic")
    func bounds() throws {
        let cdc = try FastCDC(Self.small)
        let data = Self.noise(4 << 20, seed: 1)
        let lengths = data.withUnsafeBytes { cdc.chunkLengths($0) }
        #expect(lengths.reduce(0, +) == data.count)
        #expect(lengths.dropLast().allSatisfy { $0 >= Self.small.minSize && $0 <= Self.small.maxSize })
        let mean = Double(data.count) / Double(lengths.count)
        #expect(mean > 0.7 * Double(Self.small.averageSize) && mean < 1.5 * Double(Self.small.averageSize), "mean chunk \(mean)")
        #expect(lengths == data.withUnsafeBytes { cdc.chunkLengths($0) })
    }

    @Test("an insertion changes only the chunks around it")
    func shiftResistance() throws {
        let cdc = try FastCDC(Self.small)
        let a = Self.noise(4 << 20, seed: 2)
        var b = a
        b.insert(contentsOf: Self.noise(137, seed: 3), at: 2 << 20)
        func chunks(_ d: [UInt8]) -> Set<[UInt8]> {
            var out = Set<[UInt8]>()
            var start = 0
            for len in d.withUnsafeBytes({ cdc.chunkLengths($0) }) {
                out.insert(Array(d[start..<(start + len)]))
                start += len
            }
            return out
        }
        let ca = chunks(a), cb = chunks(b)
        let changed = cb.subtracting(ca).count
        #expect(changed >= 1 && changed <= 3, "\(changed) of \(cb.count) chunks changed")
    }

    @Test("another seed cuts elsewhere; unusable parameters are refused")
    func parameters() throws {
        let data = Self.noise(1 << 20, seed: 4)
        var other = Self.small
        other.gearSeed = 99
        let first = try FastCDC(Self.small), second = try FastCDC(other)
        let x = data.withUnsafeBytes { first.chunkLengths($0) }
        let y = data.withUnsafeBytes { second.chunkLengths($0) }
        #expect(x != y)
        #expect(throws: ChunkerError.self) { try FastCDC(.init(minSize: 10, averageSize: 8, maxSize: 4)) }
        #expect(throws: ChunkerError.self) { try FastCDC(.init(minSize: 1024, averageSize: 3000, maxSize: 9000)) }
    }
}
