import CairnCore
import Foundation
import Testing

@testable import CairnStore

@Suite("content-defined grouping of format units")
struct UnitGrouperTests {
    /// A file of `sizes.count` random units and its unit boundaries.
    static func units(_ sizes: [Int], seed: UInt64) -> (bytes: [UInt8], cuts: [UInt64]) {
        var bytes: [UInt8] = []
        var cuts: [UInt64] = []
        for (n, size) in sizes.enumerated() {
            if n > 0 { cuts.append(UInt64(bytes.count)) }
            bytes += StoreTestSupport.bytes(count: size, seed: seed &+ UInt64(n) &* 7919)
        }
        return (bytes, cuts)
    }

    /// Unit sizes between 200 B and 3 KB: all below the group maximum, so grouping decides every chunk.
    static func smallSizes(_ count: Int, seed: UInt64) -> [Int] {
        var x = seed | 1
        return (0..<count).map { _ in
            x ^= x << 13; x ^= x >> 7; x ^= x << 17
            return 200 + Int(x % 2_800)
        }
    }

    /// The chunks `unitCut` makes of a whole file held in memory, as (offset, length).
    static func cut(_ bytes: [UInt8], boundaries: [UInt64], grouper: UnitGrouper, maxChunk: Int) -> [(UInt64, Int)] {
        let file = PushSource.File(relativePath: "f", absolutePath: "/f", size: UInt64(bytes.count), mtimeNs: 0, mode: 0o644, boundaries: boundaries)
        var out: [(UInt64, Int)] = []
        var here = 0, next = 0
        bytes.withUnsafeBytes { all in
            while here < all.count {
                let (limit, exact) = Pusher.unitCut(file, at: UInt64(here), window: UnsafeRawBufferPointer(rebasing: all[here...]), next: &next,
                                                    grouper: grouper, maxChunk: maxChunk)
                #expect(exact, "every unit here is below the maximum chunk")
                out.append((UInt64(here), limit))
                here += limit
            }
        }
        return out
    }

    @Test("groups end at unit boundaries, hold at most the maximum, and large units stand alone")
    func shape() {
        var sizes = Self.smallSizes(300, seed: 5)
        sizes[100] = 40_000
        sizes[101] = 16_384
        let (bytes, cuts) = Self.units(sizes, seed: 11)
        let grouper = UnitGrouper(maxGroup: 16_384)
        let chunks = Self.cut(bytes, boundaries: cuts, grouper: grouper, maxChunk: 256 << 10)
        let unitEnds = Set(cuts + [UInt64(bytes.count)])
        #expect(chunks.reduce(0) { $0 + $1.1 } == bytes.count)
        for (offset, length) in chunks {
            #expect(unitEnds.contains(offset + UInt64(length)))
            #expect(length <= 16_384 || (length == 40_000))
        }
        #expect(chunks.contains { $0.0 == cuts[99] && $0.1 == 40_000 })
        #expect(chunks.contains { $0.0 == cuts[100] && $0.1 == 16_384 })
        // About one cut per 1 KiB past the 1 KiB minimum: groups of a few units, far fewer chunks than units.
        #expect(chunks.count > 300 / 8 && chunks.count < 300)
    }

    @Test("one unit changed in size and content in the middle changes at most three groups (its own, and the minimum re-aligning after it); every other group is the same")
    func resynchronises() {
        let grouper = UnitGrouper(maxGroup: 16_384)
        var sizes = Self.smallSizes(600, seed: 21)
        let (before, cutsBefore) = Self.units(sizes, seed: 3)
        sizes[300] += 777
        var (after, cutsAfter) = Self.units(sizes, seed: 3)
        // Only unit 300 differs: same bytes before it, its own new bytes, and the later units shifted by 777.
        let changed = Int(cutsAfter[299])..<Int(cutsAfter[300])
        for i in changed { after[i] ^= 0x5A }
        #expect(Array(after[..<changed.lowerBound]) == Array(before[..<changed.lowerBound]))
        #expect(Array(after[changed.upperBound...]) == Array(before[Int(cutsBefore[300])...]))

        func pieces(_ bytes: [UInt8], _ cuts: [UInt64]) -> [[UInt8]] {
            Self.cut(bytes, boundaries: cuts, grouper: grouper, maxChunk: 256 << 10).map { Array(bytes[Int($0.0)..<(Int($0.0) + $0.1)]) }
        }
        let old = pieces(before, cutsBefore), new = pieces(after, cutsAfter)
        let oldSet = Set(old)
        let fresh = new.filter { !oldSet.contains($0) }
        #expect(old.count > 50)
        #expect(fresh.count >= 1 && fresh.count <= 3)
        #expect(fresh.reduce(0) { $0 + $1.count } <= 3 * 16_384)
    }

    @Test("an inserted unit and a removed unit change at most three groups each")
    func insertRemove() {
        let grouper = UnitGrouper(maxGroup: 16_384)
        let sizes = Self.smallSizes(500, seed: 77)
        func file(_ order: [Int]) -> ([UInt8], [UInt64]) {
            var bytes: [UInt8] = [], cuts: [UInt64] = []
            for (n, unit) in order.enumerated() {
                if n > 0 { cuts.append(UInt64(bytes.count)) }
                bytes += StoreTestSupport.bytes(count: unit < sizes.count ? sizes[unit] : 1_500, seed: 40_000 + UInt64(unit))
            }
            return (bytes, cuts)
        }
        func pieces(_ f: ([UInt8], [UInt64])) -> [[UInt8]] {
            Self.cut(f.0, boundaries: f.1, grouper: grouper, maxChunk: 256 << 10).map { Array(f.0[Int($0.0)..<(Int($0.0) + $0.1)]) }
        }
        let base = Set(pieces(file(Array(0..<500))))
        var inserted = Array(0..<500)
        inserted.insert(999, at: 250)
        var removed = Array(0..<500)
        removed.remove(at: 250)
        for order in [inserted, removed] {
            let fresh = pieces(file(order)).filter { !base.contains($0) }
            #expect(fresh.count >= 1 && fresh.count <= 3)
        }
    }

    @Test("a push after one changed unit uploads about that unit's group, not the rest of the file")
    func pushUploadsLittle() async throws {
        let src = try StoreTestSupport.temporaryDirectory("src"), storeDir = try StoreTestSupport.temporaryDirectory()
        defer { for d in [src, storeDir] { try? FileManager.default.removeItem(atPath: d) } }
        var sizes = Self.smallSizes(800, seed: 9)
        let (first, firstCuts) = Self.units(sizes, seed: 17)
        let path = src + "/chk.cairn"
        try StoreTestSupport.write(first, to: path)
        let store = try await SnapshotStore.open(try LocalObjectStore(root: storeDir, create: true), create: true,
                                                 newConfig: StoreTestSupport.smallConfig())
        var source = try StoreTestSupport.source(src)
        source.files[0].boundaries = firstCuts
        let one = try await Pusher(store: store, options: .init(forceRead: true)).push(source)
        #expect(one.chunks > 100)

        sizes[400] -= 150
        let (second, secondCuts) = Self.units(sizes, seed: 17)
        try StoreTestSupport.write(second, to: path)
        source = try StoreTestSupport.source(src)
        source.files[0].boundaries = secondCuts
        let two = try await Pusher(store: store, options: .init(forceRead: true)).push(source)
        #expect(two.newChunks >= 1 && two.newChunks <= 3)
        #expect(two.newBytes <= 3 * 16_384)

        let out = try StoreTestSupport.temporaryDirectory("out")
        defer { try? FileManager.default.removeItem(atPath: out) }
        _ = try await Puller(store: store).pull(try await store.resolve("latest"), to: out)
        #expect(try StoreTestSupport.files(below: out)["chk.cairn"] == second)
    }
}
