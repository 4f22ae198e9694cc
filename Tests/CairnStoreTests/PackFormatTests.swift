import CairnCore
import Testing

@testable import CairnStore

@Suite("packs and index objects")
struct PackFormatTests {
    func samplePack() -> (bytes: [UInt8], table: PackTable) {
        var w = PackWriter(capacity: 1 << 16)
        for i in 0..<5 {
            let raw = StoreTestSupport.bytes(count: 1000 + i * 10, seed: UInt64(i))
            w.append(id: ChunkID.hash(raw), stored: raw, rawLength: raw.count, codec: .raw)
        }
        return w.finish()
    }

    @Test("a pack's table decodes from its tail, and its name is the hash of that tail")
    func roundTrip() throws {
        let (bytes, table) = samplePack()
        let tailLength = table.entries.count * PackTable.entrySize + PackTable.trailerSize
        #expect(table.packID == ChunkID.hash(Array(bytes[(bytes.count - tailLength)...])))
        #expect(table.packID != ChunkID.hash(bytes))
        let decoded = try PackTable.decode(tail: Array(bytes[(bytes.count - tailLength)...]), packID: table.packID, packSize: UInt64(bytes.count), place: "p")
        #expect(decoded == table)
        #expect(PackTable.id(fromKey: PackTable.key(for: table.packID)) == table.packID)
        #expect(PackTable.id(fromKey: "packs/00/" + table.packID.hex) == nil || table.packID.hex.hasPrefix("00"))
    }

    @Test("every flipped byte of a pack tail is caught, and every truncation")
    func tailCorruption() throws {
        let (bytes, table) = samplePack()
        let tailLength = table.entries.count * PackTable.entrySize + PackTable.trailerSize
        let tail = Array(bytes[(bytes.count - tailLength)...])
        for i in 0..<tail.count {
            var bad = tail
            bad[i] ^= 0x40
            #expect(throws: StoreError.self) {
                try PackTable.decode(tail: bad, packID: table.packID, packSize: UInt64(bytes.count), place: "p")
            }
        }
        for n in 0..<tail.count {
            #expect(throws: StoreError.self) {
                try PackTable.decode(tail: Array(tail[n...].dropLast(n == 0 ? 1 : 0)), packID: table.packID, packSize: UInt64(bytes.count), place: "p")
            }
        }
    }

    @Test("an index object round-trips; flips and truncations are refused with the object named")
    func indexFile() throws {
        let (_, table) = samplePack()
        let file = IndexFile(packs: [table, PackTable(packID: ChunkID.hash([1, 2, 3]), packSize: 20, entries: [])])
        let bytes = file.encoded()
        #expect(try IndexFile.decode(bytes, place: "index/x") == file)
        for i in stride(from: 0, to: bytes.count, by: 7) {
            var bad = bytes
            bad[i] ^= 0x01
            let error = #expect(throws: StoreError.self) { try IndexFile.decode(bad, place: "index/x") }
            #expect(error?.place.hasPrefix("index/x") == true)
        }
        for n in 0..<bytes.count {
            #expect(throws: StoreError.self) { try IndexFile.decode(Array(bytes[0..<n]), place: "index/x") }
        }
    }

    @Test("manifests refuse unsafe paths, bad chunk ids and a content that does not match the id")
    func manifestChecks() throws {
        let chunk = ChunkID.hash([1]).hex
        func manifest(_ path: String, chunks: [String] = [chunk]) -> SnapshotManifest {
            SnapshotManifest(kind: "directory", source: "s", root: "/r", host: "h", createdAt: .init(timeIntervalSince1970: 0), attributes: [:],
                             files: [.init(path: path, size: 1, mtimeNs: 0, mode: 0o644, chunks: chunks)],
                             stats: .init(chunks: 1, newChunks: 1, newBytes: 1, storedBytes: 1, durationSeconds: 0))
        }
        let good = manifest("a/b")
        #expect(try SnapshotManifest.decode(good.encoded(), key: good.key, place: "m") == good)
        for path in ["../etc/passwd", "/etc/passwd", "a/../../b", "a//b", "", "./a"] {
            let m = manifest(path)
            #expect(throws: StoreError.self) { try SnapshotManifest.decode(m.encoded(), key: m.key, place: "m") }
        }
        for files in [["a", "a"], ["a", "a/b"]] {
            var m = manifest(files[0])
            m.files.append(.init(path: files[1], size: 1, mtimeNs: 0, mode: 0o644, chunks: [chunk]))
            m.logicalSize = 2
            m.id = m.contentID.hex
            #expect(throws: StoreError.self) { try SnapshotManifest.decode(m.encoded(), key: m.key, place: "m") }
        }
        let badChunk = manifest("a", chunks: ["zz"])
        #expect(throws: StoreError.self) { try SnapshotManifest.decode(badChunk.encoded(), key: badChunk.key, place: "m") }
        var tampered = good
        tampered.files[0].size = 2
        #expect(throws: StoreError.self) { try SnapshotManifest.decode(tampered.encoded(), key: good.key, place: "m") }
        #expect(throws: StoreError.self) { try SnapshotManifest.decode(good.encoded(), key: "snapshots/other", place: "m") }
    }

    @Test("store keys with traversal are refused by the local store")
    func keyValidation() async throws {
        let dir = try StoreTestSupport.temporaryDirectory()
        let store = try LocalObjectStore(root: dir, create: true)
        for key in ["../x", "/x", "a/../../x", "a//b", "", "a\u{0}b", "packs/a\nb", "index/\u{1b}[2J", "snapshots/x\u{7f}", "x\u{85}", "."] {
            let e = await #expect(throws: ObjectStoreError.self) { try await store.put(key, data: [1]) }
            #expect(e?.kind == .configuration)
            #expect(e?.message.contains("refusing unsafe object key") == true)
            #expect(e?.description.unicodeScalars.contains { RelativePath.isControl($0) } == false, "\(e?.description.debugDescription ?? "")")
            await #expect(throws: ObjectStoreError.self) { try await store.get(key) }
            await #expect(throws: ObjectStoreError.self) { try await store.delete(key) }
            await #expect(throws: ObjectStoreError.self) { _ = try await store.create(key, data: [1]) }
        }
        #expect(try StoreTestSupport.files(below: dir).isEmpty)
        for path in ["a\nb", "tab\t", "esc\u{1b}"] {
            let chunk = ChunkID.hash([1]).hex
            let m = SnapshotManifest(kind: "directory", source: "s", root: "/r", host: "h", createdAt: .init(timeIntervalSince1970: 0), attributes: [:],
                                     files: [.init(path: path, size: 1, mtimeNs: 0, mode: 0o644, chunks: [chunk])],
                                     stats: .init(chunks: 1, newChunks: 1, newBytes: 1, storedBytes: 1, durationSeconds: 0))
            let e = #expect(throws: StoreError.self) { try SnapshotManifest.decode(m.encoded(), key: m.key, place: "m") }
            #expect(e?.message.contains("control character") == true, "\(e?.message ?? "")")
        }
    }
}
