import CairnCore
@testable import CairnStore
import Foundation
import Testing

/// Issue 14, item 4: locks of live processes on other hosts, writers whose clocks disagree by an hour, and a push
/// paused past its lock while a prune runs (STORE.md §6). Local stores, whose objects' modification times are the
/// store's clock, so a test can age a lock or a pack by setting its file's mtime.
@Suite struct LockClockTests {
    func openStore(_ dir: String, clockOffset: Double = 0) async throws -> SnapshotStore {
        var store = try await SnapshotStore.open(try LocalObjectStore(root: dir, create: true), create: true,
                                                 newConfig: StoreTestSupport.smallConfig())
        store.clock = StoreClock(offset: clockOffset)
        return store
    }

    func writeLock(_ store: SnapshotStore, key: String, host: String, refreshedAt: Double, exclusive: Bool = false) async throws {
        let lock = StoreLock(exclusive: exclusive, operation: "push on \(host)", host: host, pid: 4242,
                             createdAt: refreshedAt, refreshedAt: refreshedAt)
        try await store.objects.put(key, data: Array(try JSONEncoder().encode(lock)))
    }

    /// Sets the modification time the local store reports for `key`: how old the store thinks the object is.
    func age(_ dir: String, key: String, seconds: Double) throws {
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -seconds)], ofItemAtPath: dir + "/" + key)
    }

    /// Two snapshots of one group; prune --keep-last 1 would forget the first and delete its packs.
    func twoSnapshots(_ store: SnapshotStore, src: String) async throws -> [String] {
        var ids: [String] = []
        for seed in [1, 2] as [UInt64] {
            try StoreTestSupport.write(StoreTestSupport.bytes(count: 1_500_000, seed: seed), to: src + "/data.bin")
            ids.append(try await Pusher(store: store).push(try StoreTestSupport.source(src)).snapshotID)
        }
        return ids
    }

    @Test("a lock of a process on another host counts while the store saw it written recently, whatever its own clock says")
    func liveLockOnAnotherHost() async throws {
        let src = try StoreTestSupport.temporaryDirectory("src"), dir = try StoreTestSupport.temporaryDirectory()
        defer { for d in [src, dir] { try? FileManager.default.removeItem(atPath: d) } }
        let store = try await openStore(dir)
        let ids = try await twoSnapshots(store, src: src)
        // Its holder's clock is two hours behind: by its own fields the lock looks long stale.
        try await writeLock(store, key: "locks/otherhost", host: "other-host.invalid", refreshedAt: Date().timeIntervalSince1970 - 7200)
        let error = await #expect(throws: StoreError.self) {
            try await Pruner(store: store, options: .init(grace: 0)).prune(policy: .init(keepLast: 1, keepWithin: nil))
        }
        #expect(error?.kind == .locked)
        #expect(error?.message.contains("other-host.invalid") == true)
        #expect(try await store.snapshots().map(\.id).sorted() == ids.sorted())
        #expect(try await store.objects.head("locks/otherhost") != nil)
    }

    @Test("a lock the store has not seen rewritten for 30 minutes is stale even if its own clock says fresh: prune removes it and runs")
    func staleLockOnAnotherHost() async throws {
        let src = try StoreTestSupport.temporaryDirectory("src"), dir = try StoreTestSupport.temporaryDirectory()
        defer { for d in [src, dir] { try? FileManager.default.removeItem(atPath: d) } }
        let store = try await openStore(dir)
        let ids = try await twoSnapshots(store, src: src)
        // Its holder's clock runs ahead, so its refreshedAt is "now"; but the store last wrote it 31 minutes ago.
        try await writeLock(store, key: "locks/otherhost", host: "other-host.invalid", refreshedAt: Date().timeIntervalSince1970 + 600)
        try age(dir, key: "locks/otherhost", seconds: StoreLock.staleAfter + 60)
        let report = try await Pruner(store: store, options: .init(grace: 0)).prune(policy: .init(keepLast: 1, keepWithin: nil))
        #expect(report.removed.map(\.id) == [ids[0]])
        #expect(try await store.objects.head("locks/otherhost") == nil)
        #expect(try await StoreChecker(store: store).check(readData: true).problems.isEmpty)
    }

    @Test("a lock object that does not decode counts, as exclusive, until the store has not seen it rewritten for 30 minutes")
    func unreadableLock() async throws {
        let src = try StoreTestSupport.temporaryDirectory("src"), dir = try StoreTestSupport.temporaryDirectory()
        defer { for d in [src, dir] { try? FileManager.default.removeItem(atPath: d) } }
        let store = try await openStore(dir)
        let ids = try await twoSnapshots(store, src: src)
        try await store.objects.put("locks/garbled", data: Array("{\"exclusive\": fal".utf8))
        let error = await #expect(throws: StoreError.self) {
            try await Pruner(store: store, options: .init(grace: 0)).prune(policy: .init(keepLast: 1, keepWithin: nil))
        }
        #expect(error?.kind == .locked)
        #expect(error?.message.contains("unreadable lock object (locks/garbled)") == true)
        let pushError = await #expect(throws: StoreError.self) {
            try await StoreLock.acquire(in: store.objects, exclusive: false, operation: "push", wait: 0)
        }
        #expect(pushError?.kind == .locked)
        #expect(try await store.snapshots().count == ids.count)
        try age(dir, key: "locks/garbled", seconds: StoreLock.staleAfter + 60)
        let report = try await Pruner(store: store, options: .init(grace: 0)).prune(policy: .init(keepLast: 1, keepWithin: nil))
        #expect(report.removed.map(\.id) == [ids[0]])
        #expect(try await store.objects.head("locks/garbled") == nil)
    }

    @Test("clock skew of ±1 h: a prune never deletes a young unindexed pack, and a skewed writer's fresh lock still counts", arguments: [3700.0, -3700.0])
    func clockSkew(_ offset: Double) async throws {
        let src = try StoreTestSupport.temporaryDirectory("src"), dir = try StoreTestSupport.temporaryDirectory()
        defer { for d in [src, dir] { try? FileManager.default.removeItem(atPath: d) } }
        let ids = try await twoSnapshots(try await openStore(dir), src: src)
        // A pack an interrupted push left, uploaded just now (the next push would reuse it).
        let raw = StoreTestSupport.bytes(count: 50_000, seed: 99)
        var writer = PackWriter(capacity: 60_000)
        writer.append(id: ChunkID.hash(raw), stored: raw, rawLength: raw.count, codec: .raw)
        let (bytes, table) = writer.finish()
        let orphan = PackTable.key(for: table.packID)
        let writerStore = try await openStore(dir, clockOffset: -offset)
        try await writerStore.objects.put(orphan, data: bytes)

        // A writer whose clock is off the other way holds a shared lock: the prune, an hour (and more) away on its
        // own clock, must still see it as held.
        let held = try await StoreLock.acquire(in: writerStore.objects, exclusive: false, operation: "push skewed", wait: 0, clock: writerStore.clock)
        let pruning = try await openStore(dir, clockOffset: offset)
        let error = await #expect(throws: StoreError.self) {
            try await Pruner(store: pruning, options: .init(grace: 3600)).prune(policy: .init(keepLast: 1, keepWithin: nil))
        }
        #expect(error?.kind == .locked)
        await held.release()

        // The grace period is one hour and the prune's clock is more than an hour off: the pack's age is still the
        // store's, seconds.
        let report = try await Pruner(store: pruning, options: .init(grace: 3600)).prune(policy: .init(keepLast: 1, keepWithin: nil))
        #expect(report.removed.map(\.id) == [ids[0]])
        #expect(report.packsInGrace == 1)
        #expect(try await pruning.objects.head(orphan) != nil)
        #expect(try await StoreChecker(store: pruning).check(readData: true).problems.isEmpty)
    }

    @Test("a skewed clock only stamps: the manifest's createdAt moves with CAIRN_CLOCK_OFFSET's value")
    func clockStamps() async throws {
        let src = try StoreTestSupport.temporaryDirectory("src"), dir = try StoreTestSupport.temporaryDirectory()
        defer { for d in [src, dir] { try? FileManager.default.removeItem(atPath: d) } }
        #expect(StoreClock.fromEnvironment(["CAIRN_CLOCK_OFFSET": "-3600"]).offset == -3600)
        #expect(StoreClock.fromEnvironment([:]).offset == 0)
        let store = try await openStore(dir, clockOffset: StoreClock.fromEnvironment(["CAIRN_CLOCK_OFFSET": "-3600"]).offset)
        try StoreTestSupport.write(StoreTestSupport.bytes(count: 1000, seed: 3), to: src + "/f")
        let before = Date().timeIntervalSince1970
        _ = try await Pusher(store: store).push(try StoreTestSupport.source(src))
        let created = try #require(try await store.snapshots().first?.createdDate).timeIntervalSince1970
        #expect(created < before - 3000 && created > before - 3700)
    }

    /// A push paused between uploading its packs and creating its manifest, long enough that a prune judged its
    /// lock stale (here: the store last saw the lock written two hours ago) and deleted its packs.
    func pausedPush(prunesOnRetryToo: Bool) async throws -> (store: SnapshotStore, dir: String, src: String, result: Result<PushReport, any Error>, pauses: Int) {
        let src = try StoreTestSupport.temporaryDirectory("src"), dir = try StoreTestSupport.temporaryDirectory()
        let store = try await openStore(dir)
        try StoreTestSupport.write(StoreTestSupport.bytes(count: 1_500_000, seed: 1), to: src + "/data.bin")
        _ = try await Pusher(store: store).push(try StoreTestSupport.source(src))
        try StoreTestSupport.write(StoreTestSupport.bytes(count: 2_500_000, seed: 2), to: src + "/data.bin")
        let pauses = Locked(0)
        var options = Pusher.Options()
        options.beforeManifest = {
            let n = pauses.withLock { $0 += 1; return $0 }
            guard n == 1 || prunesOnRetryToo else { return }
            for info in try await store.objects.list(prefix: "locks/") {
                try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -7200)], ofItemAtPath: dir + "/" + info.key)
            }
            let report = try await Pruner(store: store, options: .init(grace: 0)).prune(policy: .init(keepLast: 1, keepWithin: nil))
            #expect(report.packsDeleted > 0)
        }
        let result: Result<PushReport, any Error>
        do { result = .success(try await Pusher(store: store, options: options).push(try StoreTestSupport.source(src))) } catch { result = .failure(error) }
        return (store, dir, src, result, pauses.withLock { $0 })
    }

    @Test("a push paused past its lock while a prune deletes its packs uploads them again; the snapshot pulls byte-identical")
    func pausedPushReuploads() async throws {
        let (store, dir, src, result, pauses) = try await pausedPush(prunesOnRetryToo: false)
        let out = try StoreTestSupport.temporaryDirectory("out")
        defer { for d in [src, dir, out] { try? FileManager.default.removeItem(atPath: d) } }
        let report = try result.get()
        #expect(pauses == 2)
        #expect(report.created)
        #expect(report.packsUploaded > 0)
        #expect(try await StoreChecker(store: store).check(readData: true).problems.isEmpty)
        _ = try await Puller(store: store).pull(try await store.resolve(report.snapshotID), to: out)
        #expect(try StoreTestSupport.files(below: out) == StoreTestSupport.files(below: src))
    }

    @Test("a push that loses its packs to a prune twice fails clearly and commits nothing")
    func pausedPushFailsClearly() async throws {
        let (store, dir, src, result, pauses) = try await pausedPush(prunesOnRetryToo: true)
        defer { for d in [src, dir] { try? FileManager.default.removeItem(atPath: d) } }
        #expect(pauses == 2)
        guard case .failure(let error) = result else {
            Issue.record("the push succeeded although its packs were deleted twice")
            return
        }
        let storeError = try #require(error as? StoreError)
        #expect(storeError.kind == .missing)
        #expect(storeError.message.contains("nothing was committed"))
        #expect(try await store.snapshots().count == 1)
        #expect(try await StoreChecker(store: store).check(readData: true).problems.isEmpty)
    }

    @Test("a push whose lock stayed intact commits without re-reading the store")
    func intactPushCommits() async throws {
        let src = try StoreTestSupport.temporaryDirectory("src"), dir = try StoreTestSupport.temporaryDirectory()
        defer { for d in [src, dir] { try? FileManager.default.removeItem(atPath: d) } }
        let store = try await openStore(dir)
        try StoreTestSupport.write(StoreTestSupport.bytes(count: 1_000_000, seed: 5), to: src + "/data.bin")
        let report = try await Pusher(store: store).push(try StoreTestSupport.source(src))
        #expect(report.created)
        // Reading the index and listing packs happen once, in stage (1); the lock check is one LIST of locks/.
        #expect(report.requests.lists <= 5)
    }
}
