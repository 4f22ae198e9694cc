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

@Suite("cairn diff: states, splits, files and keys")
struct DiffDetailCLITests {
    static let job = StoreCLITests.job
    static let flinkRoot = CLI.root.appendingPathComponent("Fixtures/flink")

    /// The savepoint directories of a scenario whose oracle says they have `format`.
    static func savepoints(_ scenario: String, format: String) throws -> [String] {
        let dir = flinkRoot.appendingPathComponent(scenario)
        return try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix("savepoint-") }.sorted().compactMap { name in
            let oracle = try Data(contentsOf: dir.appendingPathComponent(name).appendingPathComponent("oracle.json"))
            let doc = try JSONSerialization.jsonObject(with: oracle) as? [String: Any]
            return doc?["savepointFormat"] as? String == format ? dir.appendingPathComponent(name).path : nil
        }
    }

    func splits(_ doc: [String: Any]) -> [[String: Any]] {
        ((doc["operators"] as? [[String: Any]]) ?? []).flatMap { ($0["splits"] as? [[String: Any]]) ?? [] }
    }

    @Test("consecutive checkpoints: the live source split advances, shared files are counted; reversed, the split goes backward")
    func splitsAndFiles() throws {
        let a = Self.job + "/chk-3", b = Self.job + "/chk-5"
        let forward = try #require(try CLI.run(["diff", a, b, "--json"]).json as? [String: Any])
        let both = splits(forward).filter { $0["status"] as? String == "changed" }
        #expect(!both.isEmpty, "the endless number-source split is in both checkpoints")
        for s in both {
            let before = try #require((s["before"] as? [String: Any])?["next"] as? Int)
            let after = try #require((s["after"] as? [String: Any])?["next"] as? Int)
            #expect(s["advanced"] as? Int == after - before)
            #expect(s["backward"] as? Bool == false)
        }
        #expect(forward["backwardSplits"] as? Int == 0)
        let files = try #require(forward["files"] as? [String: Any])
        let shared = try #require(files["shared"] as? [String: Any]), new = try #require(files["new"] as? [String: Any])
        #expect((shared["files"] as? Int ?? 0) > 0, "retained incremental checkpoints reuse shared/ SSTs")
        #expect((new["files"] as? Int ?? 0) > 0)

        let reversed = try CLI.run(["diff", b, a])
        #expect(reversed.stdout.contains("BACKWARD"), "\(reversed.stdout)")
        let doc = try #require(try CLI.run(["diff", b, a, "--json"]).json as? [String: Any])
        #expect(doc["backwardSplits"] as? Int == both.count)
    }

    @Test("--deep gives per-state sizes of Flink keyed state that add up to the operator's keyed size")
    func deepStates() throws {
        let canonical = try #require(try Self.savepoints("2.3/rocksdb-incremental", format: "CANONICAL").first)
        let hashmap = try #require(try Self.savepoints("2.3/hashmap", format: "CANONICAL").first)
        let doc = try #require(try CLI.run(["diff", hashmap, canonical, "--deep", "--json"]).json as? [String: Any])
        let keyed = try #require((doc["operators"] as? [[String: Any]])?.first { ($0["after"] as? [String: Any])?["uid"] as? String == "keyed-state" })
        let names = Set(((keyed["states"] as? [[String: Any]]) ?? []).compactMap { $0["name"] as? String })
        #expect(names.isSuperset(of: ["count", "last-seen", "recent", "attributes"]), "\(names)")
    }

    @Test("Flink states carry the serializer snapshots their backends registered, on every backend and version")
    func flinkSerializers() throws {
        let a = try #require(try FileManager.default.contentsOfDirectory(atPath: Self.flinkRoot.appendingPathComponent("1.15/rocksdb-full").path).first)
        let doc = try #require(try CLI.run(["diff", Self.flinkRoot.appendingPathComponent("1.15/rocksdb-full/\(a)/chk-4").path, Self.job + "/chk-5", "--json"]).json as? [String: Any])
        let keyed = try #require((doc["operators"] as? [[String: Any]])?.first { $0["id"] as? String == "826c38023c4272520855c3219fef4f3f" })
        let states = try #require(keyed["states"] as? [[String: Any]])
        // The fixture job's keyed operator: ValueState<Long> with TTL, MapState<Integer, String>, Long keys.
        let count = try #require(states.first { $0["name"] as? String == "count" })
        for side in ["before", "after"] {
            let value = try #require((count["valueSerializer"] as? [String: Any])?[side] as? [String: Any], "count \(side)")
            #expect((value["name"] as? String)?.hasPrefix("TtlSerializer") == true)
            let key = try #require((count["keySerializer"] as? [String: Any])?[side] as? [String: Any])
            #expect(key["name"] as? String == "LongSerializer")
        }
        let attributes = try #require(states.first { $0["name"] as? String == "attributes" })
        let value = try #require((attributes["valueSerializer"] as? [String: Any])?["after"] as? [String: Any])
        #expect(value["name"] as? String == "MapSerializer<IntSerializer, StringSerializer>")
        #expect(count["serializerChanged"] as? Bool == false)
    }

    @Test("--keys on canonical savepoints: itself is all unchanged with one key per value-state entry; another run's counts changed")
    func flinkKeys() throws {
        let hashmap = try #require(try Self.savepoints("2.3/hashmap", format: "CANONICAL").first)
        let rocks = try #require(try Self.savepoints("2.3/rocksdb-incremental", format: "CANONICAL").first)
        let inspect = try #require(try CLI.run(["inspect", hashmap, "--deep", "--by", "state", "--json"]).json as? [String: Any])
        let same = try CLI.run(["diff", hashmap, hashmap, "--keys", "count", "--json", "--exit-code"])
        #expect(same.status == 0, "\(same.stderr)")
        let keys = try #require((same.json as? [String: Any])?["keys"] as? [String: Any])
        let count = try #require(keys["unchanged"] as? Int)
        #expect(count > 0 && keys["added"] as? Int == 0 && keys["removed"] as? Int == 0 && keys["changed"] as? Int == 0)
        let entries = try #require((inspect["states"] as? [[String: Any]])?.first { $0["name"] as? String == "count" }?["entries"] as? Int)
        #expect(count == entries, "a value state holds one entry per key")

        let other = try CLI.run(["diff", hashmap, rocks, "--keys", "keyed-state/count", "--json", "--exit-code", "--samples", "2"])
        #expect(other.status == 1)
        let k = try #require((other.json as? [String: Any])?["keys"] as? [String: Any])
        let total = (k["added"] as? Int ?? 0) + (k["changed"] as? Int ?? 0) + (k["unchanged"] as? Int ?? 0)
        #expect(total == (k["keys"] as? [String: Any])?["after"] as? Int)
        #expect(((k["samples"] as? [String: Any])?["changed"] as? [Any])?.count ?? 0 <= 2)
    }

    @Test("--keys reads native RocksDB savepoints too, and refuses an unknown state naming what it can")
    func keyErrors() throws {
        let native = try #require(try Self.savepoints("2.3/rocksdb-incremental", format: "NATIVE").first)
        let hashmap = try #require(try Self.savepoints("2.3/hashmap", format: "CANONICAL").first)
        let r = try CLI.run(["diff", hashmap, native, "--keys", "count", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let k = try #require((r.json as? [String: Any])?["keys"] as? [String: Any])
        #expect((k["keys"] as? [String: Any])?["after"] as? Int == 600, "\(k)")
        let unknown = try CLI.run(["diff", hashmap, hashmap, "--keys", "no-such-state"])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("keyed-state/count"), "\(unknown.stderr)")
    }
}
