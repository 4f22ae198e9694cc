import Foundation
import Testing

/// `cairn rewrite` on native snapshots: every option, read back with inspect, diff --keys and validate --deep.
@Suite("cairn rewrite (native)", .serialized)
struct NativeRewriteCLITests {
    /// A generated unaligned checkpoint (typed state with TTL, Kafka splits, in-flight buffers) in a fresh directory.
    static func generated() throws -> (URL, String) {
        let dir = try CLI.temporaryDirectory()
        let r = try CLI.run(["generate", dir.appendingPathComponent("g").path, "--preset", "tiny", "--checkpoints", "1", "--seed", "3"])
        #expect(r.status == 0, "\(r.stderr)")
        return (dir, dir.appendingPathComponent("g/chk-1.cairn").path)
    }

    static func inspect(_ path: String, deep: Bool = false) throws -> [String: Any] {
        let r = try CLI.run(["inspect", path, "--json"] + (deep ? ["--deep"] : []))
        return try #require(r.json as? [String: Any], "\(r.stderr)")
    }

    static func operators(_ doc: [String: Any]) -> [[String: Any]] { (doc["operators"] as? [[String: Any]]) ?? [] }

    static func entries(_ doc: [String: Any], _ state: String) -> Int? {
        ((doc["states"] as? [[String: Any]]) ?? []).first { $0["name"] as? String == state }?["entries"] as? Int
    }

    static func valid(_ path: String) throws {
        let r = try CLI.run(["validate", path, "--deep"])
        #expect(r.status == 0, "\(path): \(r.stdout)\(r.stderr)")
    }

    @Test("drop, rename (the id follows the uid as Flink hashes it) and set an offset; the rest is unchanged key by key")
    func dropRenameOffset() throws {
        let (dir, src) = try Self.generated()
        defer { try? FileManager.default.removeItem(at: dir) }
        let before = try Self.inspect(src)
        let split = try #require((before["offsets"] as? [[String: Any]])?.first { $0["operator"] as? String == "Source: orders (Kafka)" })
        let splitId = try #require(split["splitId"] as? String)
        let out = dir.appendingPathComponent("out.cairn").path
        let r = try CLI.run(["rewrite", src, out, "--drop-operator", "rules-enricher", "--rename-uid", "user-totals=user-totals-v2",
                             "--set-offset", "orders-source:\(splitId)=42", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(((r.json as? [String: Any])?["changes"] as? [String])?.count == 3)
        try Self.valid(out)
        let after = try Self.inspect(out)
        let uids = Self.operators(after).compactMap { $0["uid"] as? String }
        #expect(!uids.contains("rules-enricher") && uids.contains("user-totals-v2") && !uids.contains("user-totals"))
        #expect(Self.operators(after).count == Self.operators(before).count - 1)
        // Guava's murmur3_128("user-totals-v2"), the id Flink would give the renamed operator.
        let renamed = try #require(Self.operators(after).first { $0["uid"] as? String == "user-totals-v2" })
        let cross = try CLI.run(["diff", src, out, "--json"])
        let diffOps = try #require((cross.json as? [String: Any])?["operators"] as? [[String: Any]])
        #expect(diffOps.contains { $0["id"] as? String == renamed["id"] as? String && $0["status"] as? String == "added" })
        let moved = try #require((after["offsets"] as? [[String: Any]])?.first { $0["splitId"] as? String == splitId })
        #expect(moved["nextOffset"] as? Int == 42)
        let keys = try #require((try CLI.run(["diff", src, out, "--keys", "window-counts/window-contents", "--json"]).json as? [String: Any])?["keys"] as? [String: Any])
        #expect(keys["added"] as? Int == 0 && keys["removed"] as? Int == 0 && keys["changed"] as? Int == 0, "untouched state is unchanged")
        #expect(try CLI.run(["rewrite", src, dir.appendingPathComponent("x.cairn").path, "--drop-operator", "no-such-op"]).status == 2)
    }

    @Test("--expire-ttl drops exactly the entries whose TTL ran out, then keeps the rest")
    func expireTTL() throws {
        let (dir, src) = try Self.generated()
        defer { try? FileManager.default.removeItem(at: dir) }
        let before = try #require(Self.entries(try Self.inspect(src, deep: true), "totals"))
        let never = dir.appendingPathComponent("never.cairn").path, all = dir.appendingPathComponent("all.cairn").path
        #expect(try CLI.run(["rewrite", src, never, "--expire-ttl", "--now", "0"]).status == 0)
        #expect(Self.entries(try Self.inspect(never, deep: true), "totals") == before, "nothing expires at the epoch")
        #expect(try CLI.run(["rewrite", src, all, "--expire-ttl", "--now", "2100-01-01T00:00:00Z"]).status == 0)
        #expect((Self.entries(try Self.inspect(all, deep: true), "totals") ?? 0) == 0, "everything expires in 2100")
        #expect(Self.entries(try Self.inspect(all, deep: true), "recent-events") == Self.entries(try Self.inspect(src, deep: true), "recent-events"),
                "state without TTL is kept")
        try Self.valid(all)
    }

    @Test("--parallelism refuses to lose in-flight buffers unless told; entries are conserved; --max-parallelism re-hashes")
    func rescale() throws {
        let (dir, src) = try Self.generated()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("p.cairn").path
        let refused = try CLI.run(["rewrite", src, out, "--parallelism", "user-totals=4"])
        #expect(refused.status != 0 && refused.stderr.contains("--drop-inflight"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
        #expect(try CLI.run(["rewrite", src, out, "--parallelism", "user-totals=4", "--drop-inflight"]).status == 0)
        try Self.valid(out)
        let a = try Self.inspect(src, deep: true), b = try Self.inspect(out, deep: true)
        #expect(Self.operators(b).first { $0["uid"] as? String == "user-totals" }?["parallelism"] as? Int == 4)
        #expect(Self.entries(a, "totals") == Self.entries(b, "totals") && Self.entries(a, "recent-events") == Self.entries(b, "recent-events"))
        let keys = try #require((try CLI.run(["diff", src, out, "--keys", "totals", "--json"]).json as? [String: Any])?["keys"] as? [String: Any])
        #expect(keys["unchanged"] as? Int == (keys["keys"] as? [String: Any])?["before"] as? Int, "every key kept with its value")

        let rehashed = dir.appendingPathComponent("m.cairn").path
        #expect(try CLI.run(["rewrite", src, rehashed, "--max-parallelism", "32", "--compression", "lz4"]).status == 0)
        try Self.valid(rehashed)  // --deep checks the key group of every key
        let c = try Self.inspect(rehashed, deep: true)
        #expect(Self.operators(c).allSatisfy { ($0["maxParallelism"] as? Int) == 32 || ($0["keyedSize"] as? Int) == 0 })
        #expect(Self.entries(a, "totals") == Self.entries(c, "totals"))
        let same = try #require((try CLI.run(["diff", src, rehashed, "--keys", "totals", "--json"]).json as? [String: Any])?["keys"] as? [String: Any])
        #expect(same["changed"] as? Int == 0 && same["added"] as? Int == 0 && same["removed"] as? Int == 0)
    }

    static let plan = """
        migrations:
          - operator: user-totals
            state: totals
            from: 2
            to: 3
            schema:
              record: UserTotals
              fields:
                - {name: count, type: int64}
                - {name: amount, type: float64}
                - {name: lastSeen, type: int64}
                - {name: currency, type: optional<string>}
                - {name: discount, type: float32, default: 0.0}
            rename: {sum: amount}
        """

    @Test("--migrate across two schema versions: rename, new defaulted field, widening; lossy and unknown plans refused")
    func migrate() throws {
        let (dir, src) = try Self.generated()
        defer { try? FileManager.default.removeItem(at: dir) }
        func write(_ text: String, _ name: String) throws -> String {
            let p = dir.appendingPathComponent(name).path
            try text.write(toFile: p, atomically: true, encoding: .utf8)
            return p
        }
        let out = dir.appendingPathComponent("v3.cairn").path
        let r = try CLI.run(["rewrite", src, out, "--migrate", try write(Self.plan, "plan.yaml")])
        #expect(r.status == 0, "\(r.stderr)")
        try Self.valid(out)  // every value decodes with the v3 schema
        let doc = try Self.inspect(out)
        let totals = try #require((doc["states"] as? [[String: Any]])?.first { $0["name"] as? String == "totals" })
        let serializer = try #require(totals["valueSerializer"] as? [String: Any])
        #expect(serializer["version"] as? Int == 3)
        #expect("\(serializer["schema"] ?? "")".contains("discount"))
        let diff = try #require(try CLI.run(["diff", src, out, "--json"]).json as? [String: Any])
        let states = (diff["operators"] as? [[String: Any]] ?? []).flatMap { ($0["states"] as? [[String: Any]]) ?? [] }
        #expect(states.first { $0["name"] as? String == "totals" }?["serializerChanged"] as? Bool == true)

        let lossy = try CLI.run(["rewrite", src, dir.appendingPathComponent("l.cairn").path, "--migrate",
                                 try write(Self.plan.replacingOccurrences(of: "    rename: {sum: amount}", with: ""), "lossy.yaml")])
        #expect(lossy.status == 2 && lossy.stderr.contains("sum"), "\(lossy.stderr)")
        let narrow = try CLI.run(["rewrite", src, dir.appendingPathComponent("n.cairn").path, "--migrate",
                                  try write(Self.plan.replacingOccurrences(of: "{name: count, type: int64}", with: "{name: count, type: int32}"), "narrow.yaml")])
        #expect(narrow.status == 2 && narrow.stderr.contains("count"), "\(narrow.stderr)")
        let unknown = try CLI.run(["rewrite", src, dir.appendingPathComponent("u.cairn").path, "--migrate",
                                   try write(Self.plan.replacingOccurrences(of: "rename:", with: "renam:"), "unknown.yaml")])
        #expect(unknown.status == 2 && unknown.stderr.contains("renam"), "\(unknown.stderr)")
        for name in ["l", "n", "u"] { #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("\(name).cairn").path)) }
        let wrongVersion = try CLI.run(["rewrite", out, dir.appendingPathComponent("w.cairn").path, "--migrate", dir.appendingPathComponent("plan.yaml").path])
        #expect(wrongVersion.status != 0, "the plan says from: 2, the state is at 3 now")
    }

    @Test("a corrupted input fails before anything is written")
    func corrupted() throws {
        let (dir, src) = try Self.generated()
        defer { try? FileManager.default.removeItem(at: dir) }
        var bytes = try Data(contentsOf: URL(fileURLWithPath: src))
        bytes[100] ^= 0xFF  // inside the first data block
        let bad = dir.appendingPathComponent("bad.cairn")
        try bytes.write(to: bad)
        let out = dir.appendingPathComponent("out.cairn").path
        let r = try CLI.run(["rewrite", bad.path, out, "--expire-ttl", "--now", "0"])
        #expect(r.status == 1, "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        #expect(names.allSatisfy { !$0.hasPrefix("out.cairn") }, "no temp file left: \(names)")
    }
}
