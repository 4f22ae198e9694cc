import Foundation
import Testing

@testable import CairnStore

@Suite("local object store")
struct LocalObjectStoreTests {
    @Test("put, get, ranged get, head, list by prefix and delete")
    func basics() async throws {
        let dir = try StoreTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try LocalObjectStore(root: dir, create: true)
        let data = StoreTestSupport.bytes(count: 5000, seed: 1)
        try await store.put("packs/ab/one", data: data)
        try await store.put("packs/cd/two", data: [1, 2, 3])
        try await store.put("index/x", data: [9])
        #expect(try await store.get("packs/ab/one") == data)
        #expect(try await store.get("packs/ab/one", offset: 100, count: 50) == Array(data[100..<150]))
        await #expect(throws: ObjectStoreError.self) { try await store.get("packs/ab/one", offset: 4990, count: 20) }
        #expect(try await store.head("packs/cd/two")?.size == 3)
        #expect(try await store.head("packs/cd/three") == nil)
        #expect(try await store.list(prefix: "packs/").map(\.key) == ["packs/ab/one", "packs/cd/two"])
        #expect(try await store.list(prefix: "packs/a").map(\.key) == ["packs/ab/one"])
        #expect(try await store.list(prefix: "").count == 3)
        try await store.delete("packs/ab/one")
        try await store.delete("packs/ab/one")
        #expect(try await store.list(prefix: "packs/").map(\.key) == ["packs/cd/two"])
        let missing = await #expect(throws: ObjectStoreError.self) { try await store.get("nothing") }
        #expect(missing?.kind == .notFound)
    }

    @Test("create refuses to replace; of many racing creators exactly one wins")
    func createIfAbsent() async throws {
        let dir = try StoreTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try LocalObjectStore(root: dir, create: true)
        #expect(try await store.create("snapshots/a", data: [1]) == .created)
        #expect(try await store.create("snapshots/a", data: [2]) == .alreadyExists)
        #expect(try await store.get("snapshots/a") == [1])
        let outcomes = try await withThrowingTaskGroup(of: CreateOutcome.self) { group in
            for i in 0..<16 { group.addTask { try await store.create("snapshots/race", data: [UInt8(i)]) } }
            var all: [CreateOutcome] = []
            for try await o in group { all.append(o) }
            return all
        }
        #expect(outcomes.filter { $0 == .created }.count == 1)
        #expect(try await store.probeConditionalCreate())
        // No temporary file survives.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir + "/snapshots").filter { $0.hasPrefix(".tmp-") }
        #expect(leftovers.isEmpty)
    }

    @Test("opening a missing directory without create names it")
    func missing() throws {
        let error = #expect(throws: ObjectStoreError.self) { try LocalObjectStore(root: "/nonexistent/cairn-store", create: false) }
        #expect(error?.kind == .noSuchStore)
        #expect(error?.description.contains("/nonexistent/cairn-store") == true)
    }
}
