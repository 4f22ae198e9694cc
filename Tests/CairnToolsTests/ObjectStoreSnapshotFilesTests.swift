import CairnCore
import CairnFlink
import CairnModel
import CairnStore
@testable import CairnTools
import Foundation
import Testing

/// `ObjectStoreSnapshotFiles` over a real `LocalObjectStore` standing in for a bucket (the S3 client is tested
/// against real servers in CairnCLITests): paths, locating, request counts and answers equal to the local reader's.
@Suite("Flink checkpoints read in place from an object store")
struct ObjectStoreSnapshotFilesTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/flink/2.3/rocksdb-incremental").path
    static let job = "ed57ef9367947a2619891a87077f6ec7"

    /// The fixture copied as it is (its `_metadata` names paths under /tmp that are gone) into a directory that a
    /// `LocalObjectStore` serves as bucket `bkt`, under `ckpts/`.
    struct Bucket {
        let dir: String
        let store: LocalObjectStore
        let files: ObjectStoreSnapshotFiles

        init() throws {
            dir = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-osf-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: ObjectStoreSnapshotFilesTests.fixture, toPath: dir + "/ckpts")
            let store = try LocalObjectStore(root: dir, create: false)
            self.store = store
            files = ObjectStoreSnapshotFiles(blockSize: 4096, cacheBytes: 64 << 10) { bucket in
                guard bucket == "bkt" else { throw ObjectStoreError(.noSuchStore, place: "s3://\(bucket)", message: "no such bucket") }
                return store
            }
        }

        func remove() { try? FileManager.default.removeItem(atPath: dir) }

        /// New files over the same bucket, with the `_metadata` of `chk-5` fetched as the locator would.
        static func reading(_ bucket: Bucket) throws -> ObjectStoreSnapshotFiles {
            let store = bucket.store
            let files = ObjectStoreSnapshotFiles(blockSize: 4096, cacheBytes: 64 << 10) { _ in store }
            let path = "s3://bkt/ckpts/\(ObjectStoreSnapshotFilesTests.job)/chk-5/_metadata"
            files.preload(path, bytes: [UInt8](try Data(contentsOf: URL(fileURLWithPath: bucket.dir + "/ckpts/\(ObjectStoreSnapshotFilesTests.job)/chk-5/_metadata"))))
            return files
        }
    }

    /// The inspect report as JSON, without what depends on the place it was read from.
    static func report(_ view: any SnapshotView, deep: Bool) throws -> String {
        // `--by state` reads the heads of state files, so only the deep report groups by state.
        let text = try InspectReport.build(source: "x", view: view, grouping: deep ? .state : .operator, top: nil, deep: deep).json.rendered()
        var doc = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        for key in ["storage", "bytesRead", "source"] { doc[key] = nil }
        var snapshot = doc["snapshot"] as? [String: Any]
        var properties = snapshot?["properties"] as? [String: Any]
        properties?["flink.metadataPath"] = nil
        snapshot?["properties"] = properties
        doc["snapshot"] = snapshot
        return String(decoding: try JSONSerialization.data(withJSONObject: doc, options: [.sortedKeys]), as: UTF8.self)
    }

    @Test("s3://, s3a:// and s3p:// name the same object; slashes do not matter")
    func canonicalPaths() {
        #expect(ObjectStoreSnapshotFiles.canonical("s3a://b//x/chk-1/") == "s3://b/x/chk-1")
        #expect(ObjectStoreSnapshotFiles.canonical("s3p://b/x/_metadata") == "s3://b/x/_metadata")
        #expect(ObjectStoreSnapshotFiles.canonical("hdfs://b/x") == nil)
        #expect(ObjectStoreSnapshotFiles.canonical("s3://") == nil)
        #expect(ObjectStoreSnapshotFiles.split("s3://b") ?? ("", "x") == ("b", ""))
    }

    @Test("a job directory resolves to its latest complete chk-N by one LIST; a metadata-only summary makes 1 GET")
    func locateAndSummary() async throws {
        let bucket = try Bucket()
        defer { bucket.remove() }
        let chk = try await ObjectStoreSnapshotLocator.locate("s3://bkt/ckpts/\(Self.job)/chk-5", files: bucket.files)
        #expect(chk.metadataPath == "s3://bkt/ckpts/\(Self.job)/chk-5/_metadata")
        #expect(bucket.store.requestCounts.gets == 1 && bucket.store.requestCounts.lists == 0)
        let view = try await BlockingBridge.offPool { try FlinkSnapshot(location: chk, files: bucket.files) }
        let summary = try await BlockingBridge.offPool { try view.summary() }
        #expect(bucket.store.requestCounts.total == 1, "\(bucket.store.requestCounts)")
        #expect(summary.storage?.filesChecked == false)
        let local = try FlinkSnapshot(source: Self.fixture + "/\(Self.job)/chk-5").summary()
        #expect(try Self.report(view, deep: false) == Self.report(FlinkSnapshot(source: Self.fixture + "/\(Self.job)/chk-5"), deep: false))
        #expect(bucket.store.requestCounts.total == 1, "\(bucket.store.requestCounts)")
        #expect(local.operators.count == summary.operators.count)

        let other = try Bucket()
        defer { other.remove() }
        let job = try await ObjectStoreSnapshotLocator.locate("s3a://bkt/ckpts/\(Self.job)/", files: other.files)
        #expect(job.metadataPath == "s3://bkt/ckpts/\(Self.job)/chk-5/_metadata")
        #expect(job.otherCheckpoints == ["s3://bkt/ckpts/\(Self.job)/chk-3", "s3://bkt/ckpts/\(Self.job)/chk-4"])
        #expect(other.store.requestCounts.lists == 1 && other.store.requestCounts.gets == 1, "\(other.store.requestCounts)")
        // A checkpoint root with one job below it works as locally.
        let root = try await ObjectStoreSnapshotLocator.locate("s3://bkt/ckpts", files: other.files)
        #expect(root.metadataPath == job.metadataPath)
        await #expect(throws: CairnFlinkError.self) { try await ObjectStoreSnapshotLocator.locate("s3://bkt/nothing", files: other.files) }
    }

    @Test("deep scan and validation equal the local answers; paths in _metadata that are gone are found by suffix")
    func deepEqualsLocal() async throws {
        let bucket = try Bucket()
        defer { bucket.remove() }
        let location = try await ObjectStoreSnapshotLocator.locate("s3://bkt/ckpts/\(Self.job)/chk-5", files: bucket.files)
        let view = try await BlockingBridge.offPool { try FlinkSnapshot(location: location, files: bucket.files) }
        let local = try FlinkSnapshot(source: Self.fixture + "/\(Self.job)/chk-5")
        let (deepReport, problems) = try await BlockingBridge.offPool {
            (try Self.report(view, deep: true), SnapshotValidator.validate(source: "s3", view: view, deep: true).problems)
        }
        #expect(deepReport == (try Self.report(local, deep: true)))
        #expect(problems.map(\.code) == SnapshotValidator.validate(source: "local", view: local, deep: true).problems.map(\.code))
        #expect(bucket.files.listingFailure == nil)
        // Files are read in blocks: far fewer GETs than reads, and none of _metadata again.
        let counts = bucket.store.requestCounts
        #expect(counts.gets > 1 && counts.heads == 0 && counts.lists >= 1, "\(counts)")
    }

    @Test("a missing bucket and a deleted object: the error names the object")
    func errors() async throws {
        let bucket = try Bucket()
        defer { bucket.remove() }
        await #expect(throws: ObjectStoreError.self) { try await ObjectStoreSnapshotLocator.locate("s3://other/ckpts/chk-1", files: bucket.files) }
        let location = try await ObjectStoreSnapshotLocator.locate("s3://bkt/ckpts/\(Self.job)/chk-5", files: bucket.files)
        // A shared SST that chk-5 references, found the way the reader finds it.
        let probe = try await BlockingBridge.offPool { try FlinkSnapshot(location: location, files: bucket.files) }
        let victim = try #require(probe.fileReferences.compactMap { probe.resolver.resolve($0.reference).localPath }.first { $0.contains("/shared/") })
        let name = FilePaths.lastComponent(victim)
        try FileManager.default.removeItem(atPath: bucket.dir + "/ckpts/\(Self.job)/shared/" + name)
        // A fresh reader: the first one's listing still shows the object.
        let fresh = try Bucket.reading(bucket)
        let view = try await BlockingBridge.offPool { try FlinkSnapshot(location: location, files: fresh) }
        let report = try await BlockingBridge.offPool { SnapshotValidator.validate(source: "s3", view: view, deep: false) }
        #expect(report.problems.contains { $0.code == "missingFile" && $0.description.contains(name) }, "\(report.problems)")
        let shared = [name]
        #expect(throws: IOError.self) { try fresh.open("s3://bkt/ckpts/\(Self.job)/shared/" + shared[0]) }
    }

    @Test("push of a live checkpoint: unchanged objects are not read again; an object that vanishes mid-push commits nothing")
    func push() async throws {
        let bucket = try Bucket()
        defer { bucket.remove() }
        let storeDir = bucket.dir + "-store"
        defer { try? FileManager.default.removeItem(atPath: storeDir) }
        let store = try await SnapshotStore.open(try LocalObjectStore(root: storeDir, create: true), create: true)
        func source(_ chk: String) async throws -> PushSource {
            let files = try Bucket.reading(bucket)
            let location = try await ObjectStoreSnapshotLocator.locate("s3://bkt/ckpts/\(Self.job)/\(chk)", files: files)
            return try await BlockingBridge.offPool { try PushSourceBuilder.flink(objectStore: "s3://bkt/ckpts/\(Self.job)/\(chk)", location: location, files: files) }
        }
        let four = try await source("chk-4")
        #expect(four.root == "s3://bkt/ckpts/\(Self.job)" && four.attributes["jobId"] == Self.job)
        _ = try await Pusher(store: store).push(four)
        let five = try await source("chk-5")
        let report = try await Pusher(store: store).push(five)
        let reused = Set(four.files.map(\.relativePath))
        let new = five.files.filter { !reused.contains($0.relativePath) }.reduce(UInt64(0)) { $0 + $1.size }
        #expect(report.bytesRead == new && report.bytesSkipped == five.logicalSize - new, "read \(report.bytesRead), new \(new)")

        // chk-3 listed, then one of its objects deleted before it is read (Flink removing an old checkpoint).
        let three = try await source("chk-3")
        let before = try await store.snapshots().count
        let victim = try #require(three.files.first { !reused.contains($0.relativePath) && !$0.relativePath.hasSuffix("_metadata") })
        try FileManager.default.removeItem(atPath: bucket.dir + "/" + victim.absolutePath)
        await #expect { try await Pusher(store: store).push(three) } throws: { error in
            (error as? StoreError)?.kind == .vanished && "\(error)".contains(victim.relativePath)
        }
        #expect(try await store.snapshots().count == before)
    }
}
