import CairnCore
import CairnSources
import Foundation
import Testing

@Suite("SOURCE and STORE arguments are classified once")
struct SnapshotSourceTests {
    @Test("paths, STORE#SNAPSHOT and object-store URLs")
    func classification() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-source-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        // A local directory is a store only when it holds a store's config object.
        try Data("{}".utf8).write(to: dir.appendingPathComponent("config"))

        #expect(SnapshotSource("demo/chk-3.cairn") == .path("demo/chk-3.cairn"))
        #expect(SnapshotSource("\(dir.path)#latest") == .stored(store: .directory(dir.path), snapshot: "latest"))
        #expect(SnapshotSource("s3://b/cairn#3f9c") == .stored(store: .s3("s3://b/cairn"), snapshot: "3f9c"))
        // A '#' in an ordinary path stays part of the path.
        #expect(SnapshotSource("/tmp/no-store#1/chk-2") == .path("/tmp/no-store#1/chk-2"))
        #expect(SnapshotSource("\(dir.path)#") == .path("\(dir.path)#"))
        for url in ["s3://b/ckpts/chk-1", "s3a://b/ckpts/chk-1", "s3p://b/ckpts"] {
            #expect(SnapshotSource(url) == .objectStore(url))
            #expect(SnapshotSource(url).description == url)
        }
        #expect(SnapshotSource("s3://b/cairn#3f9c").description == "s3://b/cairn#3f9c")
    }

    @Test("store locations: directories and s3:// only")
    func storeLocation() throws {
        #expect(try StoreLocation("/var/cairn") == .directory("/var/cairn"))
        #expect(try StoreLocation("s3://bucket/prefix") == .s3("s3://bucket/prefix"))
        #expect(throws: UsageError.self) { try StoreLocation("gs://bucket/prefix") }
    }

    @Test("a stored snapshot's store is closed after withView, also when the body throws")
    func scopedOpen() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-source-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        struct Boom: Error {}
        // No store there: opening fails with the store's own error, naming the place.
        await #expect(throws: (any Error).self) {
            try await SnapshotSource.path(dir.path + "/missing.cairn").withView { _ in 1 }
        }
        await #expect(throws: Boom.self) {
            try await StoreLocation.directory(dir.path).withStore(create: true) { _ in throw Boom() }
        }
        // The store made by the first call is usable again: nothing was left locked or half-open.
        let count = try await StoreLocation.directory(dir.path).withStore { try await $0.snapshots().count }
        #expect(count == 0)
    }
}
