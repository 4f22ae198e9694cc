import Foundation
import Testing

/// `cairn history` as a user runs it: a Flink job directory, the same checkpoints as a store series, generated
/// series with and without a leak, and bad input.
@Suite("cairn history")
struct HistoryCLITests {
    static let job = StoreCLITests.job

    static func checkpoints(_ r: CLI.Result) throws -> [[String: Any]] {
        let doc = try #require(r.json as? [String: Any], "not JSON: \(r.stdout) \(r.stderr)")
        return try #require(doc["checkpoints"] as? [[String: Any]])
    }

    @Test("a job directory: every retained chk-N in order, each with inspect's sizes")
    func jobDirectory() throws {
        let r = try CLI.run(["history", Self.job, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let cps = try Self.checkpoints(r)
        #expect(cps.map { $0["id"] as? String } == ["3", "4", "5"])
        for c in cps {
            let id = try #require(c["id"] as? String)
            let inspect = try #require(try CLI.run(["inspect", Self.job + "/chk-" + id, "--json"]).json as? [String: Any])
            let totals = try #require(inspect["totals"] as? [String: Any])
            #expect(c["stateSize"] as? Int == totals["stateSize"] as? Int)
            let ops = try #require(c["operators"] as? [[String: Any]])
            #expect(ops.count == (inspect["operators"] as? [[String: Any]])?.count)
        }
        let text = try CLI.run(["history", Self.job])
        #expect(text.status == 0 && text.stdout.contains("Full size per operator") && text.stdout.contains("keyed-state"))
    }

    @Test("the same checkpoints pushed to a store read back as the same series")
    func storeSeries() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = dir.appendingPathComponent("store").path
        for chk in ["chk-3", "chk-4", "chk-5"] { #expect(try CLI.run(["push", Self.job + "/" + chk, store]).status == 0) }
        let fromStore = try Self.checkpoints(try CLI.run(["history", store, "--json"]))
        let fromDisk = try Self.checkpoints(try CLI.run(["history", Self.job, "--json"]))
        #expect(fromStore.map { $0["id"] as? String } == ["3", "4", "5"])
        #expect(fromStore.map { $0["stateSize"] as? Int } == fromDisk.map { $0["stateSize"] as? Int })
        #expect(fromStore.map { $0["recordsAdvanced"] as? Int } == fromDisk.map { $0["recordsAdvanced"] as? Int })
        // By series name (the job id), and a series that is not there.
        #expect(try Self.checkpoints(try CLI.run(["history", store, "--series", "ed57ef9367947a2619891a87077f6ec7", "--json"])).count == 3)
        let wrong = try CLI.run(["history", store, "--series", "nope"])
        #expect(wrong.status == 2 && wrong.stderr.contains("no series \"nope\"") && wrong.stderr.contains("flink-job:ed57ef"))
        // A list of snapshots: STORE#SNAPSHOT and a local checkpoint together.
        let mixed = try Self.checkpoints(try CLI.run(["history", store + "#latest", Self.job + "/chk-3", "--json"]))
        #expect(mixed.map { $0["id"] as? String } == ["3", "5"])
        // A second series in the same store: without --series the choice is the user's.
        let gen = dir.appendingPathComponent("gen").path
        #expect(try CLI.run(["generate", gen, "--preset", "tiny", "--checkpoints", "2"]).status == 0)
        for c in [1, 2] { #expect(try CLI.run(["push", "\(gen)/chk-\(c).cairn", store]).status == 0) }
        let ambiguous = try CLI.run(["history", store])
        #expect(ambiguous.status == 2 && ambiguous.stderr.contains("2 series") && ambiguous.stderr.contains("--series"), "\(ambiguous.stderr)")
        let native = try Self.checkpoints(try CLI.run(["history", store, "--series", "native:" + gen, "--json"]))
        #expect(native.map { $0["id"] as? String } == ["1", "2"])
    }

    @Test("a generated leak is flagged with its rate; the same job with expiring keys is not")
    func leak() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let options = ["--growth-min-bytes", "0", "--growth-min-ratio", "0.25", "--json"]
        for leak in [true, false] {
            let gen = dir.appendingPathComponent(leak ? "leak" : "steady").path
            #expect(try CLI.run(["generate", gen, "--preset", "small", "--checkpoints", "8", "--change-rate", "0.2"] + (leak ? ["--leak"] : [])).status == 0)
            let doc = try #require(try CLI.run(["history", gen] + options).json as? [String: Any])
            let growth = (doc["flags"] as? [[String: Any]] ?? []).filter { $0["kind"] as? String == "growth" }
            if leak {
                let totals = try #require(growth.first { $0["state"] as? String == "totals" })
                #expect(totals["operator"] as? String == "Aggregate: per-user totals" && totals["from"] as? String == "1" && totals["to"] as? String == "8")
                #expect((totals["ratePerHour"] as? Double ?? 0) > 0)
            } else {
                #expect(growth.isEmpty, "\(growth)")
            }
        }
    }

    @Test("a split pinned by rewrite --set-offset while the others advance is flagged stalled, with where it stopped")
    func stalledSplit() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let gen = dir.appendingPathComponent("gen").path, pinned = dir.appendingPathComponent("pinned").path
        #expect(try CLI.run(["generate", gen, "--preset", "tiny", "--checkpoints", "3"]).status == 0)
        try FileManager.default.createDirectory(atPath: pinned, withIntermediateDirectories: true)
        for c in 1...3 {
            let r = try CLI.run(["rewrite", "\(gen)/chk-\(c).cairn", "\(pinned)/chk-\(c).cairn", "--set-offset", "orders-source:orders-0=5"])
            #expect(r.status == 0, "\(r.stderr)")
        }
        let flags = { (args: [String]) throws -> [[String: Any]] in
            try #require((try CLI.run(["history"] + args + ["--json"]).json as? [String: Any])?["flags"] as? [[String: Any]])
        }
        let stalled = try flags([pinned, "--stall-intervals", "2"]).filter { $0["kind"] as? String == "stalled-split" }
        #expect(stalled.count == 1 && stalled.first?["split"] as? String == "orders-0" && stalled.first?["from"] as? String == "1" && stalled.first?["to"] as? String == "3")
        let message = stalled.first?["message"] as? String ?? ""
        #expect(message.contains("orders/0@5"))
        #expect(try flags([pinned, "--stall-intervals", "3"]).isEmpty, "two intervals are under three")
        #expect(try flags([gen, "--stall-intervals", "1"]).filter { $0["kind"] as? String == "stalled-split" }.isEmpty, "every split advances")
    }

    @Test("bad input: a missing path and bad options exit 2, a damaged _metadata exits 1, each naming the place")
    func badInput() throws {
        let missing = try CLI.run(["history", "/nonexistent/job"])
        #expect(missing.status == 2 && missing.stderr.contains("/nonexistent/job"))
        #expect(try CLI.run(["history", Self.job, "--growth-min-bytes", "lots"]).status == 2)
        #expect(try CLI.run(["history", Self.job, "--top", "0"]).status == 2)
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let broken = dir.appendingPathComponent("chk-9")
        try FileManager.default.createDirectory(at: broken, withIntermediateDirectories: true)
        let metadata = try Data(contentsOf: URL(fileURLWithPath: Self.job + "/chk-5/_metadata"))
        try metadata.prefix(metadata.count / 2).write(to: broken.appendingPathComponent("_metadata"))
        let r = try CLI.run(["history", dir.path])
        #expect(r.status == 1 && r.stderr.contains("chk-9/_metadata"), "\(r.status) \(r.stderr)")
    }
}
