import Foundation
import Testing

@Suite("cairn diff")
struct DiffCLITests {
    static let job = StoreCLITests.job

    /// Per operator id, the stateSize `inspect --json` reports.
    func sizes(_ source: String) throws -> [String: Int] {
        let r = try CLI.run(["inspect", source, "--json"])
        let doc = try #require(r.json as? [String: Any], "\(r.stderr)")
        let ops = try #require(doc["operators"] as? [[String: Any]])
        var out: [String: Int] = [:]
        for op in ops { if let id = op["id"] as? String { out[id] = op["stateSize"] as? Int } }
        return out
    }

    @Test("two checkpoints of a Flink job: every operator matched, deltas equal inspect's sizes, --exit-code 1")
    func flink() throws {
        let a = Self.job + "/chk-3", b = Self.job + "/chk-5"
        let r = try CLI.run(["diff", a, b, "--json", "--exit-code"])
        #expect(r.status == 1, "\(r.stderr)")
        let doc = try #require(r.json as? [String: Any])
        #expect(doc["differs"] as? Bool == true)
        let ops = try #require(doc["operators"] as? [[String: Any]])
        let before = try sizes(a), after = try sizes(b)
        #expect(Set(ops.compactMap { $0["id"] as? String }) == Set(before.keys).union(after.keys))
        for op in ops {
            let id = try #require(op["id"] as? String)
            let size = try #require(op["stateSize"] as? [String: Any])
            #expect(size["before"] as? Int == before[id] ?? 0)
            #expect(size["after"] as? Int == after[id] ?? 0)
            #expect(size["delta"] as? Int == (after[id] ?? 0) - (before[id] ?? 0))
            let changed = (before[id] ?? 0) != (after[id] ?? 0)
            if changed { #expect(op["status"] as? String == "changed") }
        }
    }

    @Test("a snapshot against itself (also read from a store) does not differ")
    func same() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = dir.appendingPathComponent("store").path
        #expect(try CLI.run(["push", Self.job + "/chk-5", store]).status == 0)
        let r = try CLI.run(["diff", Self.job + "/chk-5", store + "#latest", "--exit-code", "--json"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        let doc = try #require(r.json as? [String: Any])
        #expect(doc["differs"] as? Bool == false)
        #expect((doc["operators"] as? [[String: Any]])?.allSatisfy { $0["status"] as? String == "unchanged" } == true)
    }

    @Test("operators only on one side are added or removed")
    func addedRemoved() throws {
        let native = CLI.root.appendingPathComponent("Fixtures/cairn/small-seed7-aligned.cairn").path
        let tiny = CLI.root.appendingPathComponent("Fixtures/cairn/tiny-seed1-chk1.cairn").path
        let flink = Self.job + "/chk-5"
        let r = try CLI.run(["diff", native, flink, "--json"])
        let ops = try #require((r.json as? [String: Any])?["operators"] as? [[String: Any]], "\(r.stderr)")
        let nativeIDs = Set(try sizes(native).keys), flinkIDs = Set(try sizes(flink).keys)
        for op in ops {
            let id = try #require(op["id"] as? String)
            let expected = nativeIDs.contains(id) && flinkIDs.contains(id) ? nil : nativeIDs.contains(id) ? "removed" : "added"
            if let expected { #expect(op["status"] as? String == expected) }
        }
        #expect(try CLI.run(["diff", tiny, "/nonexistent/x"]).status == 2)
    }
}
