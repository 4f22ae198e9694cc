import CairnCore
import Foundation
import Testing

@testable import CairnStore

/// An object store that refuses pack uploads after `allowedPacks`, to stop a push part-way the way a crash would
/// (the kill -9 test in CairnCLITests does it to a real process).
final class InterruptingStore: ObjectStore, @unchecked Sendable {
    let base: LocalObjectStore
    let allowedPacks: Int
    private let packs = Locked(0)
    init(base: LocalObjectStore, allowedPacks: Int) {
        self.base = base
        self.allowedPacks = allowedPacks
    }
    var location: String { base.location }
    var requestCounts: RequestCounts { base.requestCounts }
    func put(_ key: String, data: [UInt8]) async throws(ObjectStoreError) {
        if key.hasPrefix("packs/") {
            let n = packs.withLock { $0 += 1; return $0 }
            if n > allowedPacks { throw ObjectStoreError(.transport, place: key, message: "interrupted") }
        }
        try await base.put(key, data: data)
    }
    func create(_ key: String, data: [UInt8]) async throws(ObjectStoreError) -> CreateOutcome { try await base.create(key, data: data) }
    func get(_ key: String) async throws(ObjectStoreError) -> [UInt8] { try await base.get(key) }
    func get(_ key: String, offset: UInt64, count: Int) async throws(ObjectStoreError) -> [UInt8] { try await base.get(key, offset: offset, count: count) }
    func head(_ key: String) async throws(ObjectStoreError) -> ObjectInfo? { try await base.head(key) }
    func list(prefix: String) async throws(ObjectStoreError) -> [ObjectInfo] { try await base.list(prefix: prefix) }
    func delete(_ key: String) async throws(ObjectStoreError) { try await base.delete(key) }
    func probeConditionalCreate() async throws(ObjectStoreError) -> Bool { true }
}

@Suite("push, pull, prune and check on a local store")
struct SnapshotStoreTests {
    /// A source tree: random and compressible files, an empty file, a duplicate, a nested directory.
    func makeSource(_ dir: String, seed: UInt64) throws {
        try StoreTestSupport.write(StoreTestSupport.bytes(count: 3_000_000, seed: seed), to: dir + "/random.bin")
        try StoreTestSupport.write(StoreTestSupport.bytes(count: 2_000_000, seed: seed + 1, compressible: true), to: dir + "/state/compressible.bin")
        try StoreTestSupport.write(StoreTestSupport.bytes(count: 2_000_000, seed: seed + 1, compressible: true), to: dir + "/state/copy.bin")
        try StoreTestSupport.write([], to: dir + "/empty")
        try StoreTestSupport.write(StoreTestSupport.bytes(count: 100, seed: seed + 2), to: dir + "/a/b/c/small")
    }

    func openStore(_ dir: String) async throws -> SnapshotStore {
        try await SnapshotStore.open(try LocalObjectStore(root: dir, create: true), create: true, newConfig: StoreTestSupport.smallConfig())
    }

    @Test("pull restores byte for byte; a repeated push stores nothing; a small edit stores little")
    func roundTrip() async throws {
        let src = try StoreTestSupport.temporaryDirectory("src"), storeDir = try StoreTestSupport.temporaryDirectory(), out = try StoreTestSupport.temporaryDirectory("out")
        defer { for d in [src, storeDir, out] { try? FileManager.default.removeItem(atPath: d) } }
        try makeSource(src, seed: 10)
        let store = try await openStore(storeDir)
        // One upload at a time, so uploads back up while chunks keep coming.
        let first = try await Pusher(store: store, options: .init(workers: 8, uploads: 1)).push(try StoreTestSupport.source(src))
        #expect(first.created)
        // Every pack reported was uploaded once, and none is empty.
        let packs = try await store.objects.list(prefix: "packs/")
        #expect(first.packsUploaded == packs.count)
        #expect(packs.allSatisfy { $0.size > UInt64(PackTable.trailerSize) })
        #expect(first.files == 5)
        #expect(first.newChunks < first.chunks)  // copy.bin deduplicates against compressible.bin
        #expect(first.storedBytes < first.newBytes)  // compressible data shrank
        #expect(first.packsUploaded > 1)

        let again = try await Pusher(store: store).push(try StoreTestSupport.source(src))
        #expect(!again.created)
        #expect(again.snapshotID == first.snapshotID)
        #expect(again.newChunks == 0 && again.packsUploaded == 0)
        #expect(again.bytesRead == 0)  // nothing changed: no file was read again

        // Insert 10 bytes in the middle of the random file: content-defined chunking re-stores only nearby chunks.
        var random = Array(try Data(contentsOf: URL(fileURLWithPath: src + "/random.bin")))
        random.insert(contentsOf: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], at: 1_500_000)
        try StoreTestSupport.write(random, to: src + "/random.bin")
        let edited = try await Pusher(store: store).push(try StoreTestSupport.source(src))
        #expect(edited.created)
        #expect(edited.newChunks <= 3)
        #expect(edited.bytesRead == 3_000_010)

        let manifest = try await store.resolve(String(edited.snapshotID.prefix(8)))
        let report = try await Puller(store: store).pull(manifest, to: out + "/latest")
        #expect(report.bytesWritten == manifest.logicalSize)
        #expect(try StoreTestSupport.files(below: out + "/latest") == StoreTestSupport.files(below: src))
        let old = try await Puller(store: store).pull(try await store.resolve(first.snapshotID), to: out + "/first")
        #expect(old.files == 5)
        #expect(try StoreTestSupport.files(below: out + "/first")["random.bin"] == StoreTestSupport.bytes(count: 3_000_000, seed: 10))
        // Pull never overwrites.
        await #expect(throws: StoreError.self) { try await Puller(store: store).pull(manifest, to: out + "/latest") }
        #expect(try await StoreChecker(store: store).check(readData: true).problems.isEmpty)
    }

    @Test("files with format boundaries are cut there: a change inside one unit stores one chunk")
    func boundaries() async throws {
        let src = try StoreTestSupport.temporaryDirectory("src"), storeDir = try StoreTestSupport.temporaryDirectory()
        defer { for d in [src, storeDir] { try? FileManager.default.removeItem(atPath: d) } }
        // Units of irregular sizes (some below the 16 KiB minimum, one above the 256 KiB maximum).
        let sizes = [40_000, 5_000, 6_000, 90_000, 300_000, 70_000, 20_000, 150_000]
        var bytes: [UInt8] = []
        var cuts: [UInt64] = []
        for (n, size) in sizes.enumerated() {
            if n > 0 { cuts.append(UInt64(bytes.count)) }
            bytes += StoreTestSupport.bytes(count: size, seed: 900 + UInt64(n))
        }
        let path = src + "/snapshot.bin"
        try StoreTestSupport.write(bytes, to: path)
        func source() throws -> PushSource {
            var s = try StoreTestSupport.source(src)
            s.files[0].boundaries = cuts
            return s
        }
        let store = try await openStore(storeDir)
        let first = try await Pusher(store: store, options: .init(forceRead: true)).push(try source())
        // Chunks start only at unit boundaries, except inside the unit larger than the maximum.
        #expect(first.chunks >= sizes.count - 1 && first.chunks <= sizes.count + 2)
        // Change 100 bytes inside the 90,000-byte unit: exactly one new chunk.
        for i in 60_000..<60_100 { bytes[i] ^= 0xFF }
        try StoreTestSupport.write(bytes, to: path)
        let second = try await Pusher(store: store, options: .init(forceRead: true)).push(try source())
        #expect(second.newChunks == 1)
        #expect(second.newBytes == 90_000)
        let out = try StoreTestSupport.temporaryDirectory("out")
        defer { try? FileManager.default.removeItem(atPath: out) }
        _ = try await Puller(store: store).pull(try await store.resolve("latest"), to: out)
        #expect(try StoreTestSupport.files(below: out)["snapshot.bin"] == bytes)
    }

    @Test("an interrupted push leaves no snapshot; the next push reuses its packs and completes")
    func resume() async throws {
        let src = try StoreTestSupport.temporaryDirectory("src"), storeDir = try StoreTestSupport.temporaryDirectory()
        defer { for d in [src, storeDir] { try? FileManager.default.removeItem(atPath: d) } }
        try makeSource(src, seed: 20)
        let local = try LocalObjectStore(root: storeDir, create: true)
        let config = StoreTestSupport.smallConfig()
        let interrupted = try await SnapshotStore.open(InterruptingStore(base: local, allowedPacks: 2), create: true, newConfig: config)
        await #expect(throws: ObjectStoreError.self) { try await Pusher(store: interrupted).push(try StoreTestSupport.source(src)) }
        let store = try await SnapshotStore.open(local, create: false)
        #expect(try await store.snapshots().isEmpty)
        let packsLeft = try await local.list(prefix: "packs/").count
        #expect(packsLeft >= 1)

        let report = try await Pusher(store: store).push(try StoreTestSupport.source(src))
        #expect(report.created)
        #expect(report.packsRecovered == packsLeft)
        #expect(report.reusedChunks > 0)
        let check = try await StoreChecker(store: store).check(readData: true)
        #expect(check.problems.isEmpty)
        #expect(check.unindexedPacks == 0)
    }

    @Test("two concurrent pushes of different snapshots are both committed")
    func concurrentPushes() async throws {
        let a = try StoreTestSupport.temporaryDirectory("a"), b = try StoreTestSupport.temporaryDirectory("b"), storeDir = try StoreTestSupport.temporaryDirectory()
        defer { for d in [a, b, storeDir] { try? FileManager.default.removeItem(atPath: d) } }
        try makeSource(a, seed: 30)
        try makeSource(b, seed: 40)
        let store = try await openStore(storeDir)
        async let ra = Pusher(store: store).push(try StoreTestSupport.source(a, group: "a"))
        async let rb = Pusher(store: store).push(try StoreTestSupport.source(b, group: "b"))
        let (x, y) = try await (ra, rb)
        #expect(x.created && y.created && x.snapshotID != y.snapshotID)
        #expect(try await store.snapshots().count == 2)
        #expect(try await StoreChecker(store: store).check(readData: true).problems.isEmpty)
    }

    @Test("prune keeps the newest per group, frees the rest, and what is kept still pulls byte for byte")
    func prune() async throws {
        let src = try StoreTestSupport.temporaryDirectory("src"), storeDir = try StoreTestSupport.temporaryDirectory(), out = try StoreTestSupport.temporaryDirectory("out")
        defer { for d in [src, storeDir, out] { try? FileManager.default.removeItem(atPath: d) } }
        let store = try await openStore(storeDir)
        var ids: [String] = []
        for version in 0..<3 {
            try? FileManager.default.removeItem(atPath: src)
            try makeSource(src, seed: 100 + UInt64(version) * 10)
            ids.append(try await Pusher(store: store).push(try StoreTestSupport.source(src)).snapshotID)
        }
        let objectsBefore = try await store.objects.list(prefix: "").map(\.key)
        let dry = try await Pruner(store: store, options: .init(dryRun: true, grace: 0)).prune(policy: .init(keepLast: 1, keepWithin: nil))
        #expect(dry.removed.map(\.id).sorted() == Array(ids.prefix(2)).sorted())
        #expect(try await store.objects.list(prefix: "").map(\.key) == objectsBefore)

        // A pack younger than the grace period survives even when nothing references it.
        let graced = try await Pruner(store: store, options: .init(grace: 3600)).prune(policy: .init(keepLast: 3, keepWithin: nil))
        #expect(graced.removed.isEmpty && graced.packsDeleted == 0)

        let report = try await Pruner(store: store, options: .init(grace: 0)).prune(policy: .init(keepLast: 1, keepWithin: nil))
        #expect(report.removed.count == 2)
        #expect(report.packsDeleted + report.packsRepacked > 0)
        #expect(report.bytesAfter < report.bytesBefore)
        #expect(try await store.snapshots().map(\.id) == [ids[2]])
        let check = try await StoreChecker(store: store).check(readData: true)
        #expect(check.problems.isEmpty)
        #expect(check.indexObjects == 1)
        _ = try await Puller(store: store).pull(try await store.resolve("latest"), to: out)
        #expect(try StoreTestSupport.files(below: out) == StoreTestSupport.files(below: src))
    }

    @Test("prune refuses while a push holds its lock; a dead process's lock does not block")
    func pruneLock() async throws {
        let storeDir = try StoreTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: storeDir) }
        let store = try await openStore(storeDir)
        let held = try await StoreLock.acquire(in: store.objects, exclusive: false, operation: "push test", wait: 0)
        let error = await #expect(throws: StoreError.self) {
            try await Pruner(store: store, options: .init(grace: 0)).prune(policy: .init(keepLast: 1, keepWithin: nil))
        }
        #expect(error?.kind == .locked)
        #expect(error?.message.contains("push test") == true)
        await held.release()
        // A lock left by a process that no longer exists (pid far above any running one) is stale.
        let dead = StoreLock(exclusive: false, operation: "push killed", host: ProcessInfo.processInfo.hostName, pid: 4_000_000,
                             createdAt: Date().timeIntervalSince1970, refreshedAt: Date().timeIntervalSince1970)
        try await store.objects.put("locks/dead", data: Array(try JSONEncoder().encode(dead)))
        _ = try await Pruner(store: store, options: .init(grace: 0)).prune(policy: .init(keepLast: 1, keepWithin: nil))
        #expect(try await store.objects.head("locks/dead") == nil)
    }

    @Test("a corrupted pack: check names it and the snapshot; pull refuses and writes nothing")
    func corruptedPack() async throws {
        let src = try StoreTestSupport.temporaryDirectory("src"), storeDir = try StoreTestSupport.temporaryDirectory(), out = try StoreTestSupport.temporaryDirectory("out")
        defer { for d in [src, storeDir, out] { try? FileManager.default.removeItem(atPath: d) } }
        try StoreTestSupport.write(StoreTestSupport.bytes(count: 600_000, seed: 7), to: src + "/only.bin")
        let store = try await openStore(storeDir)
        let pushed = try await Pusher(store: store).push(try StoreTestSupport.source(src))
        let pack = try #require(try await store.objects.list(prefix: "packs/").first)
        var bytes = try await store.objects.get(pack.key)
        bytes[1000] ^= 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: storeDir + "/" + pack.key))

        #expect(try await StoreChecker(store: store).check(readData: false).problems.isEmpty)  // sizes still match
        let check = try await StoreChecker(store: store).check(readData: true)
        #expect(!check.problems.isEmpty)
        #expect(check.problems.allSatisfy { $0.place.contains(pack.key) })
        #expect(check.problems.contains { $0.affectedSnapshots == [String(pushed.snapshotID.prefix(12))] })

        let error = await #expect(throws: StoreError.self) { try await Puller(store: store).pull(try await store.resolve("latest"), to: out) }
        #expect(error?.kind == .corrupt)
        #expect(!FileManager.default.fileExists(atPath: out + "/only.bin"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: out).isEmpty)
    }

    @Test("a missing pack: check names it and the snapshots that need it")
    func missingPack() async throws {
        let src = try StoreTestSupport.temporaryDirectory("src"), storeDir = try StoreTestSupport.temporaryDirectory()
        defer { for d in [src, storeDir] { try? FileManager.default.removeItem(atPath: d) } }
        try makeSource(src, seed: 50)
        let store = try await openStore(storeDir)
        let pushed = try await Pusher(store: store).push(try StoreTestSupport.source(src))
        let pack = try #require(try await store.objects.list(prefix: "packs/").first)
        try await store.objects.delete(pack.key)
        let check = try await StoreChecker(store: store).check(readData: false)
        #expect(check.problems.count == 1)
        #expect(check.problems.first?.message.contains("missing") == true)
        #expect(check.problems.first?.affectedSnapshots == [String(pushed.snapshotID.prefix(12))])
    }

    @Test("unknown and ambiguous snapshot ids are clear errors")
    func resolveErrors() async throws {
        let storeDir = try StoreTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: storeDir) }
        let store = try await openStore(storeDir)
        for ref in ["latest", "abcd", "zz", "../../etc"] {
            let e = await #expect(throws: StoreError.self) { try await store.resolve(ref) }
            #expect(e?.kind == .unknownSnapshot)
        }
        let notStore = try StoreTestSupport.temporaryDirectory("other")
        defer { try? FileManager.default.removeItem(atPath: notStore) }
        try StoreTestSupport.write([1], to: notStore + "/data.txt")
        await #expect(throws: StoreError.self) { try await SnapshotStore.open(try LocalObjectStore(root: notStore, create: false), create: true) }
        #expect(try StoreTestSupport.files(below: notStore).keys.sorted() == ["data.txt"])
    }
}
