import CairnCore
import Foundation
import Testing

@testable import CairnStore

@Suite("the pull read plan")
struct PullPlanTests {
    static func id(_ n: Int) -> ChunkID { ChunkID.hash(Array("chunk-\(n)".utf8)) }

    /// An index of `packs` packs; pack `p` holds the chunks `layout[p]` back to back, each `size` bytes.
    static func index(_ layout: [[Int]], size: UInt32 = 100_000) -> ChunkIndex {
        var index = ChunkIndex()
        for (p, chunks) in layout.enumerated() {
            var offset: UInt64 = 0
            var entries: [PackEntry] = []
            for c in chunks {
                entries.append(PackEntry(id: id(c), offset: offset, storedLength: size, rawLength: size, codec: .raw))
                offset += UInt64(size)
            }
            index.add(PackTable(packID: ChunkID.hash(Array("pack-\(p)".utf8)), packSize: offset + 20 + 49 * UInt64(chunks.count), entries: entries))
        }
        return index
    }

    @Test("chunks packed out of file order and files sharing packs take one read per pack")
    func onePerPack() {
        // Two packs; the files' chunks lie in them locally shuffled, and file 2 continues in pack 1.
        let index = Self.index([[1, 0, 3, 2, 5, 4], [7, 6, 9, 8, 10]])
        let files = [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10]].map { $0.map(Self.id) }
        let plan = PullPlan(files: files, index: index)
        #expect(plan.reads.count == 2)
        #expect(plan.refs.count == 11)
        #expect(Set(plan.reads.flatMap { $0.parts.map(\.ref) }) == Set(0..<11))
        #expect(plan.fetchedBytes == plan.neededBytes)
        // The old per-file rule (a read per back-to-back run in file order) needed one per chunk here.
        for read in plan.reads {
            for part in read.parts {
                #expect(part.location.offset >= read.offset && part.location.offset + UInt64(part.location.storedLength) <= read.offset + UInt64(read.length))
            }
        }
    }

    @Test("a sparse pack is read in runs split at large holes; a chunk used twice is fetched in one read")
    func sparse() {
        // Pack 0 holds 40 chunks of 100 kB; the snapshot needs chunks 0, 1 and 39 and chunk 1 twice.
        let index = Self.index([Array(0..<40)])
        let files = [[0, 1], [39, 1]].map { $0.map(Self.id) }
        let plan = PullPlan(files: files, index: index, gap: 1 << 20)
        #expect(plan.reads.count == 2)
        #expect(plan.reads[0].parts.map(\.ref).sorted() == [0, 1, 3])
        #expect(plan.reads[0].length == 200_000)
        #expect(plan.reads[1].parts.map(\.ref) == [2])
        #expect(plan.fetchedBytes == 300_000)
    }

    @Test("references beyond the window wait for a later read, so memory stays bounded")
    func window() {
        let index = Self.index([Array(0..<20), Array(20..<40)])
        // Output order alternates packs in long runs: pack 0's second half comes after all of pack 1.
        let order = Array(0..<10) + Array(20..<40) + Array(10..<20)
        let plan = PullPlan(files: [order.map(Self.id)], index: index, window: 2_000_000)
        #expect(plan.reads.count == 3)
        #expect(plan.reads.map { $0.parts.count } == [10, 20, 10])
    }
}
