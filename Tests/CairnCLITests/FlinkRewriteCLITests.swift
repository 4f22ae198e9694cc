import CairnTestProcesses
import CairnTestSupport
import Foundation
import Testing

/// `cairn rewrite` on real Flink fixtures, as a user runs it: options, report, exit status, nothing left on failure.
@Suite("cairn rewrite (Flink)", .serialized)
struct FlinkRewriteCLITests {
    static let flink = CLI.root.appendingPathComponent("Fixtures/flink")

    static func savepoint(_ version: String) throws -> String {
        let dir = flink.appendingPathComponent("\(version)/hashmap")
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: dir.path).first { $0.hasPrefix("savepoint-") })
        return dir.appendingPathComponent(name).path
    }

    static func inspect(_ path: String) throws -> [String: Any] {
        let r = try CLI.run(["inspect", path, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        return try #require(r.json as? [String: Any])
    }

    @Test("drop, rename and set offset in one run; the output validates and inspect shows each change")
    func combined() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let sp = try Self.savepoint("2.3")
        let offsets = try #require(Self.inspect(sp)["offsets"] as? [[String: Any]])
        let split = try #require(offsets.first { $0["type"] as? String == "numberSequence" })
        let splitId = try #require(split["splitId"] as? String)
        let next = try #require(split["next"] as? Int)
        let dest = dir.appendingPathComponent("sp-v2").path
        let r = try CLI.run(["rewrite", sp, dest, "--drop-operator", "union-sink", "--rename-uid", "throttle=throttle-v2",
                             "--set-offset", "number-source:\(splitId)=\(next + 7)", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let report = try #require(r.json as? [String: Any])
        #expect((report["changes"] as? [String])?.count == 3)
        let v = try CLI.run(["validate", dest])
        #expect(v.status == 0, "\(v.stdout)\(v.stderr)")
        let out = try Self.inspect(dest)
        let ops = try #require(out["operators"] as? [[String: Any]])
        #expect(!ops.contains { $0["uid"] as? String == "union-sink" })
        #expect(ops.contains { $0["uid"] as? String == "throttle-v2" })
        let moved = try #require(out["offsets"] as? [[String: Any]])
        #expect(moved.contains { $0["splitId"] as? String == splitId && $0["next"] as? Int == next + 7 })
        #expect(out["format"] as? String == "flink _metadata v6")
    }

    @Test("an unknown operator exits 2 and lists the operators; DEST is not created")
    func unknownOperator() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let dest = dir.appendingPathComponent("out").path
        let r = try CLI.run(["rewrite", try Self.savepoint("1.20"), dest, "--drop-operator", "nope"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("\"nope\""))
        #expect(r.stderr.contains("8ad0a339064fd18ef5b9c94282a00e10"))  // throttle's id (v4 has no uids)
        #expect(!FileManager.default.fileExists(atPath: dest))
    }

    @Test("a corrupted _metadata exits 1 and writes nothing")
    func corrupted() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let copy = dir.appendingPathComponent("sp").path
        try FileManager.default.copyItem(atPath: try Self.savepoint("1.15"), toPath: copy)
        let meta = URL(fileURLWithPath: copy + "/_metadata")
        let bytes = try Data(contentsOf: meta)
        try bytes.prefix(bytes.count / 2).write(to: meta)
        let dest = dir.appendingPathComponent("out").path
        let r = try CLI.run(["rewrite", copy, dest, "--rename-uid", "throttle=t2"])
        #expect(r.status == 1, "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dest))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["sp"])
    }

    @Test("--relocate with --copy-files moves a retained checkpoint to a new base")
    func relocateCopy() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let scenario = Self.flink.appendingPathComponent("1.20/rocksdb-incremental").path
        let job = try #require(try FileManager.default.contentsOfDirectory(atPath: scenario).first { $0.count == 32 })
        let chk = try #require(try FileManager.default.contentsOfDirectory(atPath: scenario + "/" + job).filter { $0.hasPrefix("chk-") }.sorted().last)
        let base = dir.appendingPathComponent("restore").path
        let dest = "\(base)/\(job)/\(chk)"
        let r = try CLI.run(["rewrite", "\(scenario)/\(job)/\(chk)", dest, "--relocate", base, "--copy-files"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("relocated"))
        #expect(FileManager.default.fileExists(atPath: "\(base)/\(job)/shared"))
        let v = try CLI.run(["validate", dest, "--json"])
        #expect(v.status == 0, "\(v.stdout)")
        // Without --relocate the same checkpoint is refused with the --relocate that would work.
        let again = try CLI.run(["rewrite", "\(scenario)/\(job)/\(chk)", dir.appendingPathComponent("x").path])
        #expect(again.status == 2)
        #expect(again.stderr.contains("--relocate \(scenario)"))
    }

    @Test("--migrate on the typed savepoint: dump --state shows the migrated POJO and Row values; a bad plan exits 2 naming its key path and writes nothing")
    func migrate() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let scenario = Self.flink.appendingPathComponent("2.3/typed-hashmap").path
        let sp = scenario + "/" + (try #require(try FileManager.default.contentsOfDirectory(atPath: scenario).first { $0.hasPrefix("savepoint-") }))
        let plan = dir.appendingPathComponent("plan.yaml")
        try """
            migrations:
              - operator: typed-state
                state: pojo
                from: TypedPojo
                widen: {count: long}
                rename: {ratio: score}
                drop: [payload]
                add: [{field: priority, type: long, default: 7}]
              - operator: typed-state
                state: row
                from: Row
                widen: {f0: long}
                add: [{field: extra, type: string, default: none}]
            """.write(to: plan, atomically: true, encoding: .utf8)
        let dest = dir.appendingPathComponent("sp-v2").path
        let r = try CLI.run(["rewrite", sp, dest, "--migrate", plan.path, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let changes = try #require((r.json as? [String: Any])?["changes"] as? [String])
        #expect(changes.contains { $0.hasPrefix("typed-state/pojo: migrated CairnFixtureJob$TypedPojo: ") && $0.contains("renamed ratio → score") }, "\(changes)")
        func dump(_ source: String, _ state: String) throws -> [String: [String: Any]] {
            let d = try CLI.run(["dump", source, "--state", "typed-state/" + state])
            #expect(d.status == 0, "\(d.stderr)")
            var out: [String: [String: Any]] = [:]
            for line in d.stdout.split(separator: "\n") {
                let o = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                let key = try #require(o["key"] as? [String: Any])
                out["\(key["f1"] ?? "")"] = o
            }
            return out
        }
        let before = try dump(sp, "pojo"), after = try dump(dest, "pojo")
        #expect(before.count == 40 && Set(after.keys) == Set(before.keys))
        for (k, o) in before {
            let ov = try #require(o["value"] as? [String: Any]), nv = try #require(after[k]?["value"] as? [String: Any])
            #expect(nv["count"] as? Int == ov["count"] as? Int && nv["score"] as? Double == ov["ratio"] as? Double)
            #expect(nv["priority"] as? Int == 7 && nv["payload"] == nil && nv["ratio"] == nil && ov["payload"] != nil)
            #expect(nv["name"] as? String == ov["name"] as? String)
        }
        let rows = try dump(dest, "row")
        let fields = try #require((rows["3"]?["value"] as? [String: Any])?["fields"] as? [Any])
        #expect(fields.count == 5 && fields.last as? String == "none" && fields.first as? Int == 3)

        // A narrowing plan: exit 2, the plan's key path, state and field named, DEST not created.
        try "migrations:\n  - {operator: typed-state, state: pojo, from: TypedPojo, widen: {total: int}}\n".write(to: plan, atomically: true, encoding: .utf8)
        let bad = try CLI.run(["rewrite", sp, dir.appendingPathComponent("bad").path, "--migrate", plan.path])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("migrations[0]") && bad.stderr.contains("typed-state/pojo") && bad.stderr.contains("field total") && bad.stderr.contains("narrows"), "\(bad.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("bad").path))
    }

    static let flinkRuntime = TestPrerequisite.flink(repository: CLI.root)

    @Test("real Flink 2.3 restores every rewrite, metadata and state level, the last checkpoint backup --watch kept, and a --migrate read by the v2 job (Fixtures/flink/restore-check.sh, about 4 min)", .enabled(if: flinkRuntime.wanted, flinkRuntime.skipComment),
          .timeLimit(.minutes(10)))
    func restoreCheck() async throws {
        let base = try #require(Self.flinkRuntime.location, Comment(rawValue: Self.flinkRuntime.missingMessage))
        let r = try await TestProcess.runDetached(command: "bash", [CLI.root.appendingPathComponent("Fixtures/flink/restore-check.sh").path],
                                    environment: ["CAIRN": CLI.binary.path, "FLINK_BASE": base])
        let text = r.stdout
        #expect(r.status == 0, "\(text)\n\(r.stderr.suffix(4000))")
        for c in ["baseline", "drop", "rename", "offset", "relocate-reference", "relocate-copy", "expire-ttl", "drop-state", "max-parallelism", "parallelism", "backup", "migrate"] {
            #expect(text.contains("PASS \(c) "), "\(text)")
        }
    }
}
