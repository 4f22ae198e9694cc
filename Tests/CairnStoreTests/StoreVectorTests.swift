import CairnTestProcesses
import CairnCore
import Foundation
import Testing

@testable import CairnStore

/// format-spec/vectors/store: a small store made by Cairn (with small chunks, so files span several chunks and
/// packs), the files its snapshots hold (`expected/<snapshot id>/…`), and damaged copies under `bad/`.
/// `CAIRN_UPDATE_VECTORS=1` rewrites them; otherwise the committed store must read back exactly, and the
/// independent Python reader (format-spec/reader/store_reader.py) must agree.
@Suite("store test vectors")
struct StoreVectorTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static var vectors: String { root.appendingPathComponent("format-spec/vectors/store").path }

    /// The source trees of the two snapshots: compressible and random files, an empty file, a duplicate, and an
    /// edit between the two versions.
    static func writeSources(_ dir: String) throws -> [String] {
        let v1 = dir + "/v1", v2 = dir + "/v2"
        for v in [v1, v2] {
            try StoreTestSupport.write(StoreTestSupport.bytes(count: 90_000, seed: 1, compressible: true), to: v + "/state/keyed.bin")
            try StoreTestSupport.write(StoreTestSupport.bytes(count: 90_000, seed: 1, compressible: true), to: v + "/state/copy.bin")
            try StoreTestSupport.write([], to: v + "/empty")
        }
        var random = StoreTestSupport.bytes(count: 120_000, seed: 2)
        try StoreTestSupport.write(random, to: v1 + "/random.bin")
        random.replaceSubrange(60_000..<60_010, with: [UInt8](repeating: 7, count: 10))
        try StoreTestSupport.write(random, to: v2 + "/random.bin")
        return [v1, v2]
    }

    static func config() -> StoreConfig {
        var c = StoreConfig(parameters: FastCDC.Parameters(minSize: 4 << 10, averageSize: 16 << 10, maxSize: 64 << 10), packTargetSize: 1 << 20, zstdLevel: 3)
        c.packTargetSize = 1 << 20
        return c
    }

    @Test("the committed store reads back file for file")
    func readBack() async throws {
        if ProcessInfo.processInfo.environment["CAIRN_UPDATE_VECTORS"] == "1" { try await regenerate() }
        let store = try await SnapshotStore.open(try LocalObjectStore(root: Self.vectors + "/store", create: false), create: false)
        let snapshots = try await store.snapshots()
        #expect(snapshots.count == 2)
        for m in snapshots {
            let out = try StoreTestSupport.temporaryDirectory("vector")
            defer { try? FileManager.default.removeItem(atPath: out) }
            _ = try await Puller(store: store).pull(m, to: out)
            #expect(try StoreTestSupport.files(below: out) == StoreTestSupport.files(below: Self.vectors + "/expected/" + m.id))
        }
        #expect(try await StoreChecker(store: store).check(readData: true).problems.isEmpty)
        // The damaged copies: each has exactly the problem its name says.
        for bad in try FileManager.default.contentsOfDirectory(atPath: Self.vectors + "/bad").sorted() {
            let damaged = try await SnapshotStore.open(try LocalObjectStore(root: Self.vectors + "/bad/" + bad, create: false), create: false)
            var found: [StoreChecker.Problem] = []
            do { found = try await StoreChecker(store: damaged).check(readData: true).problems } catch let e as StoreError {
                found = [.init(place: e.place, message: e.message, affectedSnapshots: [])]
            }
            #expect(!found.isEmpty, "bad/\(bad) checked clean")
        }
    }

    @Test("the independent Python reader extracts and checks the same store")
    func pythonReader() throws {
        let run = try TestProcess.run(command: "python3", [Self.root.appendingPathComponent("format-spec/reader/store_reader.py").path, "check", Self.vectors],
                                      mergeOutput: true)
        let output = run.stdout
        #expect(run.status == 0, "store reader failed:\n\(output)")
        #expect(output.contains(" passed, 0 failed"), "\(output)")
    }

    func regenerate() async throws {
        let fm = FileManager.default
        try? fm.removeItem(atPath: Self.vectors)
        let work = try StoreTestSupport.temporaryDirectory("vector-src")
        defer { try? fm.removeItem(atPath: work) }
        let sources = try Self.writeSources(work)
        // Fixed roots and times so the vectors do not depend on where they were made.
        let store = try await SnapshotStore.open(try LocalObjectStore(root: Self.vectors + "/store", create: true), create: true, newConfig: Self.config())
        for (n, dir) in sources.enumerated() {
            var source = try StoreTestSupport.source(dir, group: "vectors")
            source.root = "/data/v\(n + 1)"
            source.source = "/data/v\(n + 1)"
            for i in source.files.indices { source.files[i].mtimeNs = 1_700_000_000_000_000_000 + Int64(n) }
            let report = try await Pusher(store: store).push(source)
            try StoreTestSupport.copyTree(dir, to: Self.vectors + "/expected/" + report.snapshotID)
        }
        // Damaged copies.
        let packs = try await store.objects.list(prefix: "packs/")
        let index = try await store.objects.list(prefix: "index/")
        let snaps = try await store.objects.list(prefix: "snapshots/")
        func damaged(_ name: String, _ change: (String) throws -> Void) throws {
            let dir = Self.vectors + "/bad/" + name
            try StoreTestSupport.copyTree(Self.vectors + "/store", to: dir)
            try change(dir)
        }
        try damaged("chunk-byte-flipped") { dir in try StoreTestSupport.flip(dir + "/" + packs[0].key, at: 100) }
        try damaged("pack-table-flipped") { dir in try StoreTestSupport.flip(dir + "/" + packs[0].key, at: Int(packs[0].size) - 30) }
        try damaged("pack-missing") { dir in try fm.removeItem(atPath: dir + "/" + packs[0].key) }
        try damaged("index-flipped") { dir in try StoreTestSupport.flip(dir + "/" + index[0].key, at: 20) }
        try damaged("manifest-path-traversal") { dir in
            let path = dir + "/" + snaps[0].key
            let text = try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(of: "\"path\":\"random.bin\"", with: "\"path\":\"..\\/..\\/random.bin\"")
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        }
        // A control character in a path, under a matching id: only the path rule can refuse it.
        try damaged("manifest-path-control") { dir in
            let path = dir + "/" + snaps[0].key
            var m = try JSONDecoder().decode(SnapshotManifest.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
            let i = try #require(m.files.firstIndex { $0.path == "random.bin" })
            m.files[i].path = "random\u{1b}[2J.bin"
            m.id = m.contentID.hex
            try fm.removeItem(atPath: path)
            try Data(m.encoded()).write(to: URL(fileURLWithPath: dir + "/" + m.key))
        }
    }
}

extension StoreTestSupport {
    static func copyTree(_ from: String, to: String) throws {
        let fm = FileManager.default
        try fm.createDirectory(atPath: (to as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try? fm.removeItem(atPath: to)
        try fm.copyItem(atPath: from, toPath: to)
    }

    static func flip(_ path: String, at offset: Int) throws {
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[offset] ^= 0x5A
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }
}
