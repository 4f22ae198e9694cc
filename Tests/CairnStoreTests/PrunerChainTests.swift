import Foundation
import Testing

@testable import CairnStore

/// Prune's selection keeps the bases of kept native deltas (format spec §13, STORE.md §8).
@Suite("prune keeps delta chains whole")
struct PrunerChainTests {
    static func manifest(_ file: String, id: String, crc: String, at seconds: Double, base: (file: String, id: String, crc: String)? = nil,
                         group: String = "native:/ckpt") -> SnapshotManifest {
        var attributes = ["group": group, "snapshotFile": file, "snapshotId": id, "indexCRC": crc]
        if let base {
            attributes["baseFile"] = base.file
            attributes["baseSnapshotId"] = base.id
            attributes["baseIndexCRC"] = base.crc
        }
        let f = SnapshotManifest.File(path: file, size: UInt64(seconds), mtimeNs: 0, mode: 0o644, chunks: [])
        return SnapshotManifest(kind: "native", source: "/ckpt/" + file, root: "/ckpt", host: "h", createdAt: Date(timeIntervalSince1970: seconds),
                                attributes: attributes, files: [f], stats: .init(chunks: 0, newChunks: 0, newBytes: 0, storedBytes: 0, durationSeconds: 0))
    }

    @Test("keep-last 1 of a chain keeps every base down to the full snapshot, and nothing else")
    func chain() {
        let full = Self.manifest("chk-1.cairn", id: "1", crc: "a1", at: 100)
        let older = Self.manifest("chk-0.cairn", id: "0", crc: "a0", at: 50)
        let d2 = Self.manifest("chk-2.cairn", id: "2", crc: "a2", at: 200, base: ("chk-1.cairn", "1", "a1"))
        let d3 = Self.manifest("chk-3.cairn", id: "3", crc: "a3", at: 300, base: ("chk-2.cairn", "2", "a2"))
        let (keep, remove) = Pruner.select([older, full, d2, d3], policy: .init(keepLast: 1, keepWithin: nil), now: Date(timeIntervalSince1970: 400))
        #expect(Set(keep.map(\.id)) == Set([full.id, d2.id, d3.id]))
        #expect(remove.map(\.id) == [older.id])
    }

    @Test("a file of the base's name with another index CRC, or in another group, is not the base")
    func identity() {
        // chk-1 pushed twice: the delta was written on the second version.
        let first = Self.manifest("chk-1.cairn", id: "1", crc: "aa", at: 100)
        let second = Self.manifest("chk-1.cairn", id: "1", crc: "bb", at: 150)
        let elsewhere = Self.manifest("chk-1.cairn", id: "1", crc: "bb", at: 160, group: "native:/other")
        let delta = Self.manifest("chk-2.cairn", id: "2", crc: "cc", at: 200, base: ("chk-1.cairn", "1", "bb"))
        let (keep, _) = Pruner.select([first, second, elsewhere, delta], policy: .init(keepLast: 1, keepWithin: nil, groups: ["native:/ckpt"]),
                                      now: Date(timeIntervalSince1970: 400))
        #expect(Set(keep.map(\.id)) == Set([second.id, delta.id, elsewhere.id]), "elsewhere is kept only because its group is not pruned")
        #expect(!keep.contains { $0.id == first.id })
    }
}
