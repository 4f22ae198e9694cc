import Foundation
import Testing

/// Incremental native snapshots (format spec §13) as a user meets them: generate a chain, inspect, validate,
/// compact, and keep it in a store through prune.
@Suite("cairn with delta chains")
struct DeltaCLITests {
    static func json(_ r: CLI.Result) throws -> [String: Any] {
        try #require(r.json as? [String: Any], "not JSON: \(r.stdout) \(r.stderr)")
    }

    static func totals(_ r: CLI.Result) throws -> [String: Any] {
        try #require(try json(r)["totals"] as? [String: Any])
    }

    @Test("generate --incremental writes deltas that read, validate and compact to the very bytes of a full checkpoint")
    func chain() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let chain = dir.appendingPathComponent("chain").path, full = dir.appendingPathComponent("full").path
        let gen = try CLI.run(["generate", chain, "--preset", "small", "--checkpoints", "3", "--seed", "5", "--incremental", "--json"])
        #expect(gen.status == 0, "\(gen.stderr)")
        let written = try #require(gen.json as? [[String: Any]])
        #expect(written.map { $0["base"] as? String } == [nil, "chk-1.cairn", "chk-2.cairn"])
        #expect(try CLI.run(["generate", full, "--preset", "small", "--checkpoints", "3", "--seed", "5"]).status == 0)
        let delta = chain + "/chk-3.cairn"

        // inspect: stateSize is the chain's, checkpointedSize this delta's; a full checkpoint has them equal.
        let d = try Self.totals(try CLI.run(["inspect", delta, "--json"]))
        let f = try Self.totals(try CLI.run(["inspect", full + "/chk-3.cairn", "--json"]))
        let stateSize = try #require(d["stateSize"] as? Int), checkpointed = try #require(d["checkpointedSize"] as? Int)
        #expect(checkpointed < stateSize)
        #expect(f["stateSize"] as? Int == f["checkpointedSize"] as? Int)
        let ownSize = try #require(FileManager.default.attributesOfItem(atPath: delta)[.size] as? Int)
        #expect(checkpointed < ownSize, "the delta's checkpointed size is its own state, below its file size")

        // validate --deep checks every link; the merged keys are the full checkpoint's.
        let v = try CLI.run(["validate", delta, "--deep", "--json"])
        #expect(v.status == 0, "\(v.stdout)\(v.stderr)")
        let checks = try #require(try Self.json(v)["checks"] as? [String])
        #expect(checks.contains("baseIdentity") && checks.contains("everyLinkOfTheChain"))
        let diff = try CLI.run(["diff", full + "/chk-3.cairn", delta, "--keys", "totals", "--json"])
        #expect(diff.status == 0, "\(diff.stderr)")
        let keys = try #require(try Self.json(diff)["keys"] as? [String: Any])
        #expect(keys["added"] as? Int == 0 && keys["removed"] as? Int == 0 && keys["changed"] as? Int == 0, "\(keys)")
        #expect((keys["unchanged"] as? Int ?? 0) > 0)

        // rewrite --compact folds the chain: the result is byte for byte the full checkpoint 3.
        let compacted = dir.appendingPathComponent("compacted.cairn").path
        let rw = try CLI.run(["rewrite", delta, compacted, "--compact", "--compression", "zstd:1"])
        #expect(rw.status == 0, "\(rw.stdout)\(rw.stderr)")
        #expect(rw.stdout.contains("folded a chain of 3 snapshots (chk-3.cairn on chk-2.cairn on chk-1.cairn)"), "\(rw.stdout)")
        #expect(FileManager.default.contents(atPath: compacted) == FileManager.default.contents(atPath: full + "/chk-3.cairn"))
        // Other rewrites of a delta are refused with what to do.
        let refused = try CLI.run(["rewrite", delta, dir.appendingPathComponent("x.cairn").path, "--drop-operator", "rules-enricher"])
        #expect(refused.status != 0 && refused.stderr.contains("--compact"), "\(refused.stderr)")
    }

    @Test("a missing or replaced base is an error naming both files")
    func brokenChain() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let chain = dir.appendingPathComponent("chain").path, other = dir.appendingPathComponent("other").path
        #expect(try CLI.run(["generate", chain, "--preset", "tiny", "--checkpoints", "3", "--incremental"]).status == 0)
        #expect(try CLI.run(["generate", other, "--preset", "tiny", "--checkpoints", "2", "--seed", "8"]).status == 0)
        // Another job's chk-2 under the base's name.
        try FileManager.default.removeItem(atPath: chain + "/chk-2.cairn")
        try FileManager.default.copyItem(atPath: other + "/chk-2.cairn", toPath: chain + "/chk-2.cairn")
        let replaced = try CLI.run(["validate", chain + "/chk-3.cairn"])
        #expect(replaced.status != 0)
        #expect(replaced.stdout.contains("chk-2.cairn is not the base") && replaced.stdout.contains("chk-3.cairn"), "\(replaced.stdout)\(replaced.stderr)")
        try FileManager.default.removeItem(atPath: chain + "/chk-2.cairn")
        let missing = try CLI.run(["inspect", chain + "/chk-3.cairn"])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("chk-2.cairn") && missing.stderr.contains("chk-3.cairn") && missing.stderr.contains("missing"), "\(missing.stderr)")
    }

    @Test("the store keeps a kept delta's bases through prune, and a pulled chain reads")
    func store() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let chain = dir.appendingPathComponent("chain").path, store = dir.appendingPathComponent("store").path
        #expect(try CLI.run(["generate", chain, "--preset", "tiny", "--checkpoints", "3", "--incremental"]).status == 0)
        for c in 1...3 { #expect(try CLI.run(["push", chain + "/chk-\(c).cairn", store]).status == 0) }
        let listing = try #require(try CLI.run(["snapshots", store, "--json"]).json as? [[String: Any]])
        #expect(listing.count == 3)
        let prune = try CLI.run(["prune", store, "--keep-last", "1", "--grace", "0", "--json"])
        #expect(prune.status == 0, "\(prune.stderr)")
        #expect((try Self.json(prune)["removed"] as? [Any])?.count == 0, "chk-3 needs chk-2 and chk-1: nothing may go")
        #expect(try CLI.run(["check", store, "--read-data"]).status == 0)
        // Pull restores each file; the chain reads once its links are side by side.
        let out = dir.appendingPathComponent("restored").path
        for s in listing {
            let id = try #require(s["id"] as? String)
            #expect(try CLI.run(["pull", store, String(id.prefix(12)), out]).status == 0)
        }
        for c in 1...3 {
            #expect(FileManager.default.contents(atPath: out + "/chk-\(c).cairn") == FileManager.default.contents(atPath: chain + "/chk-\(c).cairn"))
        }
        #expect(try CLI.run(["validate", out + "/chk-3.cairn", "--deep"]).status == 0)
    }
}
