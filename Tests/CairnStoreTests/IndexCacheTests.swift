import CairnCore
import Foundation
import Testing

@testable import CairnStore

/// A local store that records the key of every whole-object GET, to count what a push fetches.
final class RecordingStore: ObjectStore, @unchecked Sendable {
    let base: LocalObjectStore
    private let fetched = Locked<[String]>([])
    init(base: LocalObjectStore) { self.base = base }
    var location: String { base.location }
    var requestCounts: RequestCounts { base.requestCounts }
    func indexGets() -> Int { gets(under: "index/") }
    func gets(under prefix: String) -> Int { fetched.withLock { $0.filter { $0.hasPrefix(prefix) }.count } }
    func put(_ key: String, data: [UInt8]) async throws(ObjectStoreError) { try await base.put(key, data: data) }
    func create(_ key: String, data: [UInt8]) async throws(ObjectStoreError) -> CreateOutcome { try await base.create(key, data: data) }
    func get(_ key: String) async throws(ObjectStoreError) -> [UInt8] {
        fetched.withLock { $0.append(key) }
        return try await base.get(key)
    }
    func get(_ key: String, offset: UInt64, count: Int) async throws(ObjectStoreError) -> [UInt8] { try await base.get(key, offset: offset, count: count) }
    func head(_ key: String) async throws(ObjectStoreError) -> ObjectInfo? { try await base.head(key) }
    func list(prefix: String) async throws(ObjectStoreError) -> [ObjectInfo] { try await base.list(prefix: prefix) }
    func delete(_ key: String) async throws(ObjectStoreError) { try await base.delete(key) }
    func probeConditionalCreate() async throws(ObjectStoreError) -> Bool { true }
}

@Suite("the local index cache")
struct IndexCacheTests {
    /// Pushes a new version of a small tree through `store` and returns how many index objects the push fetched.
    func push(_ store: SnapshotStore, recording: RecordingStore, src: String, version: UInt64, under prefix: String = "index/") async throws -> Int {
        try StoreTestSupport.write(StoreTestSupport.bytes(count: 300_000, seed: 500 + version), to: src + "/v\(version).bin")
        let before = recording.gets(under: prefix)
        _ = try await Pusher(store: store).push(try StoreTestSupport.source(src))
        return recording.gets(under: prefix) - before
    }

    @Test("over a series a cached pusher fetches no index object it has seen; another writer's new one is fetched once")
    func series() async throws {
        let src = try StoreTestSupport.temporaryDirectory("src"), storeDir = try StoreTestSupport.temporaryDirectory()
        let cacheDir = try StoreTestSupport.temporaryDirectory("cache")
        defer { for d in [src, storeDir, cacheDir] { try? FileManager.default.removeItem(atPath: d) } }
        let recording = RecordingStore(base: try LocalObjectStore(root: storeDir, create: true))
        var store = try await SnapshotStore.open(recording, create: true, newConfig: StoreTestSupport.smallConfig())
        let uncached = store
        store.indexCache = IndexCache(directory: cacheDir)

        // Without the cache every push fetches every index object: 0, 1, 2, ...
        var plain: [Int] = []
        for v: UInt64 in 0..<4 { plain.append(try await push(uncached, recording: recording, src: src, version: v)) }
        #expect(plain == [0, 1, 2, 3])
        // With it: the first cached push fetches the four, later ones none (their own index went into the cache).
        var cached: [Int] = []
        for v: UInt64 in 4..<8 { cached.append(try await push(store, recording: recording, src: src, version: v)) }
        #expect(cached == [4, 0, 0, 0])
        // A push by another host (no cache here) adds one index object: the cached pusher fetches exactly that one.
        _ = try await push(uncached, recording: recording, src: src, version: 8)
        #expect(try await push(store, recording: recording, src: src, version: 9) == 1)

        // Manifests likewise: a cached pusher fetches only the one another host wrote.
        _ = try await push(uncached, recording: recording, src: src, version: 10)
        #expect(try await push(store, recording: recording, src: src, version: 11, under: "snapshots/") == 1)
        #expect(try await push(store, recording: recording, src: src, version: 12, under: "snapshots/") == 0)

        let listed = Set(try await recording.list(prefix: "index/").map(\.key))
        let files = Set(try FileManager.default.contentsOfDirectory(atPath: cacheDir + "/index").map { "index/" + $0 })
        #expect(files == listed)
    }

    @Test("a corrupt or truncated cache file is ignored and fetched again; keys no longer listed are dropped")
    func corruptAndDropped() async throws {
        let src = try StoreTestSupport.temporaryDirectory("src"), storeDir = try StoreTestSupport.temporaryDirectory()
        let cacheDir = try StoreTestSupport.temporaryDirectory("cache")
        defer { for d in [src, storeDir, cacheDir] { try? FileManager.default.removeItem(atPath: d) } }
        let recording = RecordingStore(base: try LocalObjectStore(root: storeDir, create: true))
        var store = try await SnapshotStore.open(recording, create: true, newConfig: StoreTestSupport.smallConfig())
        store.indexCache = IndexCache(directory: cacheDir)
        for v: UInt64 in 0..<3 { _ = try await push(store, recording: recording, src: src, version: v) }
        let names = try FileManager.default.contentsOfDirectory(atPath: cacheDir + "/index").sorted()
        #expect(names.count == 3)

        // One file flipped, one cut short: both are fetched again, and the cache holds good copies afterwards.
        var flipped = [UInt8](FileManager.default.contents(atPath: cacheDir + "/index/" + names[0])!)
        flipped[flipped.count / 2] ^= 0x01
        try Data(flipped).write(to: URL(fileURLWithPath: cacheDir + "/index/" + names[0]))
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: cacheDir + "/index/" + names[1]))
        let before = recording.indexGets()
        let (index, _) = try await store.loadIndex(recoverPacks: false)
        #expect(recording.indexGets() - before == 2)
        #expect(index.sources.count == 3)
        for name in names {
            let bytes = [UInt8](FileManager.default.contents(atPath: cacheDir + "/index/" + name)!)
            #expect(IndexFile.key(for: bytes) == "index/" + name)
        }
        // The chunks are all found: a pull from the cached index restores the files.
        let out = try StoreTestSupport.temporaryDirectory("out")
        defer { try? FileManager.default.removeItem(atPath: out) }
        _ = try await Puller(store: store).pull(try await store.resolve("latest"), to: out)
        #expect(try StoreTestSupport.files(below: out) == StoreTestSupport.files(below: src))

        // An index object replaced in the store (as prune does): its cached copy goes at the next load.
        try await recording.delete("index/" + names[2])
        _ = try await store.loadIndex(recoverPacks: false)
        #expect(!FileManager.default.fileExists(atPath: cacheDir + "/index/" + names[2]))
        #expect(FileManager.default.fileExists(atPath: cacheDir + "/index/" + names[0]))
    }

    @Test("the cache lives under XDG_CACHE_HOME or ~/.cache and CAIRN_NO_CACHE turns it off")
    func location() {
        let id = String(repeating: "ab", count: 16)
        #expect(IndexCache.standard(storeID: id, environment: ["HOME": "/home/u"])?.directory == "/home/u/.cache/cairn/" + id)
        #expect(IndexCache.standard(storeID: id, environment: ["HOME": "/home/u", "XDG_CACHE_HOME": "/var/c"])?.directory == "/var/c/cairn/" + id)
        #expect(IndexCache.standard(storeID: id, environment: ["HOME": "/home/u", "CAIRN_NO_CACHE": "1"]) == nil)
        #expect(IndexCache.standard(storeID: id, environment: ["HOME": "/home/u", "CAIRN_NO_CACHE": "0"]) != nil)
        #expect(IndexCache.standard(storeID: "../x", environment: ["HOME": "/home/u"]) == nil)
    }
}
