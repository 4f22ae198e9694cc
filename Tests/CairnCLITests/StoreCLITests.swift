import CairnTestProcesses
import Foundation
import Testing

/// The store commands as a user runs them, against a local directory store. (The same against real S3 servers:
/// StoreS3CLITests.)
@Suite("cairn push, pull, snapshots, prune and check")
struct StoreCLITests {
    static let job = CLI.root.appendingPathComponent("Fixtures/flink/2.3/rocksdb-incremental/ed57ef9367947a2619891a87077f6ec7").path

    static func json(_ r: CLI.Result) throws -> [String: Any] {
        try #require(r.json as? [String: Any], "not JSON: \(r.stdout) \(r.stderr)")
    }

    /// Every regular file below `dir`, by relative path.
    static func tree(_ dir: String) throws -> [String: Data] {
        var out: [String: Data] = [:]
        let e = FileManager.default.enumerator(atPath: dir)
        while let p = e?.nextObject() as? String {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: dir + "/" + p, isDirectory: &isDir), !isDir.boolValue {
                out[p] = try Data(contentsOf: URL(fileURLWithPath: dir + "/" + p))
            }
        }
        return out
    }

    @Test("CAIRN_CLOCK_OFFSET (test-only) moves the stamps a writer writes, never a deletion: prune an hour ahead keeps young packs")
    func skewedClocks() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = dir.appendingPathComponent("store").path, src = dir.appendingPathComponent("src").path
        try FileManager.default.createDirectory(atPath: src, withIntermediateDirectories: true)
        var seed: UInt64 = 7
        func fill(_ count: Int) -> Data {
            Data((0..<count).map { _ in seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17; return UInt8(truncatingIfNeeded: seed) })
        }
        try fill(3_000_000).write(to: URL(fileURLWithPath: src + "/a.bin"))
        let behind = try CLI.run(["push", src, store, "--json"], environment: ["CAIRN_CLOCK_OFFSET": "-3600"])
        #expect(behind.status == 0, "\(behind.stderr)")
        try fill(3_000_000).write(to: URL(fileURLWithPath: src + "/a.bin"))
        #expect(try CLI.run(["push", src, store]).status == 0)
        let listed = try #require(try CLI.run(["snapshots", store, "--json"]).json as? [[String: Any]])
        let times = listed.compactMap { ($0["createdAt"] as? String).flatMap { ISO8601DateFormatter.withFractions.date(from: $0) } }
        #expect(times.count == 2)
        if times.count == 2 { #expect(abs(times[1].timeIntervalSince(times[0])) > 3000) }
        // The first snapshot is forgotten; its packs are seconds old on the store's clock, so a one-hour grace keeps
        // them although the prune's own clock says two hours have passed.
        let prune = try CLI.run(["prune", store, "--keep-last", "1", "--grace", "1h", "--json"], environment: ["CAIRN_CLOCK_OFFSET": "7200"])
        #expect(prune.status == 0, "\(prune.stderr)")
        let report = try Self.json(prune)
        #expect((report["removed"] as? [String])?.count == 1)
        #expect((report["packs"] as? [String: Any])?["deleted"] as? Int == 0)
        #expect(try CLI.run(["check", store, "--read-data"]).status == 0)
    }

    @Test("a Flink checkpoint series: shared files are stored once, pull restores a checkpoint Cairn validates")
    func flinkSeries() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = dir.appendingPathComponent("store").path
        var reports: [[String: Any]] = []
        for chk in ["chk-3", "chk-4", "chk-5"] {
            let r = try CLI.run(["push", Self.job + "/" + chk, store, "--json"])
            #expect(r.status == 0, "\(r.stderr)")
            reports.append(try Self.json(r))
        }
        #expect(reports.map { $0["kind"] as? String } == ["flink-checkpoint", "flink-checkpoint", "flink-checkpoint"])
        // chk-4 and chk-5 share RocksDB files with their predecessors: those are neither read nor stored again.
        for r in reports.dropFirst() {
            #expect((r["bytesSkipped"] as? Int ?? 0) > 0)
            #expect(((r["chunks"] as? [String: Any])?["reused"] as? Int ?? 0) > 0)
        }
        let listing = try CLI.run(["snapshots", store, "--json"])
        let snapshots = try #require(listing.json as? [[String: Any]])
        #expect(snapshots.map { $0["checkpointId"] as? String } == ["3", "4", "5"])

        let out = dir.appendingPathComponent("restored").path
        let pull = try CLI.run(["pull", store, "latest", out, "--json"])
        #expect(pull.status == 0, "\(pull.stderr)")
        // Every file chk-5 references, plus its _metadata, byte for byte at the same relative place.
        let restored = try Self.tree(out)
        #expect(restored["chk-5/_metadata"] == (try Data(contentsOf: URL(fileURLWithPath: Self.job + "/chk-5/_metadata"))))
        for (path, bytes) in restored { #expect(bytes == (try Data(contentsOf: URL(fileURLWithPath: Self.job + "/" + path))), "\(path)") }
        #expect(try CLI.run(["validate", out + "/chk-5"]).status == 0)

        // Read in place, without pulling: the same facts as the original.
        let inPlace = try CLI.run(["inspect", store + "#latest", "--json"])
        let original = try CLI.run(["inspect", Self.job + "/chk-5", "--json"])
        let a = try Self.json(inPlace), b = try Self.json(original)
        #expect((a["snapshot"] as? [String: Any])?["stateSize"] as? Int == (b["snapshot"] as? [String: Any])?["stateSize"] as? Int)
        #expect(try CLI.run(["validate", store + "#" + String((snapshots[0]["id"] as? String ?? "").prefix(8)), "--deep"]).status == 0)

        #expect(try CLI.run(["check", store, "--read-data"]).status == 0)
        let prune = try CLI.run(["prune", store, "--keep-last", "1", "--grace", "0", "--json"])
        #expect(prune.status == 0, "\(prune.stderr)")
        #expect((try Self.json(prune)["removed"] as? [Any])?.count == 2)
        #expect(try CLI.run(["check", store, "--read-data"]).status == 0)
        let again = dir.appendingPathComponent("again").path
        #expect(try CLI.run(["pull", store, "latest", again]).status == 0)
        #expect(try Self.tree(again) == restored)
    }

    @Test("kill -9 in the middle of a push, push again: complete, and check --read-data is clean")
    func killedPush() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let source = dir.appendingPathComponent("data").path, store = dir.appendingPathComponent("store").path
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        let random = try FileHandle(forReadingFrom: URL(fileURLWithPath: "/dev/urandom"))
        for i in 0..<6 {
            try random.read(upToCount: 48 << 20)!.write(to: URL(fileURLWithPath: source + "/part-\(i)"))
        }
        let push = try TestProcess.start(CLI.binary, ["push", source, store])
        // Wait for the first uploaded pack, then kill without warning.
        var sawPack = false
        while push.isRunning && !sawPack {
            let packs = FileManager.default.enumerator(atPath: store + "/packs")?.allObjects.compactMap { $0 as? String } ?? []
            sawPack = packs.contains { $0.count == 67 && !$0.contains("/.") }
            if !sawPack { usleep(2_000) }
        }
        kill(push.processIdentifier, SIGKILL)
        push.waitUntilExit()
        try #require(sawPack, "the push finished before a pack appeared; cannot test an interruption")
        #expect(push.terminationReason == .uncaughtSignal)
        // Nothing committed.
        let snapshots = try CLI.run(["snapshots", store, "--json"])
        #expect((snapshots.json as? [Any])?.isEmpty == true)

        let resumed = try CLI.run(["push", source, store, "--json"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let report = try Self.json(resumed)
        #expect(((report["packs"] as? [String: Any])?["recovered"] as? Int ?? 0) >= 1)
        #expect(((report["chunks"] as? [String: Any])?["reused"] as? Int ?? 0) >= 1)
        let check = try CLI.run(["check", store, "--read-data", "--json"])
        #expect(check.status == 0, "\(check.stdout)")
        #expect((try Self.json(check)["unindexedPacks"] as? Int) == 0)
        let out = dir.appendingPathComponent("out").path
        #expect(try CLI.run(["pull", store, "latest", out]).status == 0)
        #expect(try Self.tree(out) == Self.tree(source))
    }

    @Test("store errors: exit 1 for a damaged store, 2 for usage; nothing overwritten")
    func errors() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = dir.appendingPathComponent("store").path
        let native = CLI.root.appendingPathComponent("Fixtures/cairn/small-seed7-aligned.cairn").path
        #expect(try CLI.run(["push", native, store]).status == 0)
        // Unknown snapshot, missing store, bad flags: usage (2).
        #expect(try CLI.run(["pull", store, "ffff", dir.appendingPathComponent("x").path]).status == 2)
        #expect(try CLI.run(["snapshots", dir.appendingPathComponent("nowhere").path]).status == 2)
        #expect(try CLI.run(["prune", store]).status == 2)
        #expect(try CLI.run(["push", dir.appendingPathComponent("missing").path, store]).status == 2)
        // A checkpoint in S3 is read in place; without credentials that is an access problem (2), said before any request.
        let remote = try CLI.run(["inspect", "s3://bucket/checkpoints/chk-1"],
                                 environment: ["AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_PROFILE": "", "HOME": dir.path])
        #expect(remote.status == 2)
        #expect(remote.stderr.contains("no S3 credentials"), "\(remote.stderr)")
        let empty = dir.appendingPathComponent("empty-dir").path
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        #expect(try CLI.run(["inspect", empty]).status == 2)
        // Pull never overwrites.
        let out = dir.appendingPathComponent("out").path
        #expect(try CLI.run(["pull", store, "latest", out]).status == 0)
        let twice = try CLI.run(["pull", store, "latest", out])
        #expect(twice.status == 2)
        #expect(twice.stderr.contains("already exists"))
        // A damaged pack: check exits 1 naming it; pull exits 1 and writes nothing.
        let pack = try #require(FileManager.default.enumerator(atPath: store + "/packs")?.allObjects.compactMap { $0 as? String }.first { $0.count == 67 })
        let packPath = store + "/packs/" + pack
        var bytes = try Data(contentsOf: URL(fileURLWithPath: packPath))
        bytes[500] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: packPath))
        let check = try CLI.run(["check", store, "--read-data"])
        #expect(check.status == 1)
        #expect(check.stdout.contains(String(pack.suffix(64))))
        let damaged = dir.appendingPathComponent("damaged").path
        let pull = try CLI.run(["pull", store, "latest", damaged])
        #expect(pull.status == 1)
        #expect(pull.stderr.contains("SHA-256"))
        #expect((try? FileManager.default.contentsOfDirectory(atPath: damaged))?.isEmpty ?? true)
        // A directory that is not a store is never written into.
        let other = dir.appendingPathComponent("other").path
        try FileManager.default.createDirectory(atPath: other, withIntermediateDirectories: true)
        try Data([1]).write(to: URL(fileURLWithPath: other + "/keep.txt"))
        #expect(try CLI.run(["push", native, other]).status == 2)
        #expect(try FileManager.default.contentsOfDirectory(atPath: other) == ["keep.txt"])
    }
}

extension ISO8601DateFormatter {
    /// Parses the store's `createdAt` (ISO 8601 with milliseconds).
    static var withFractions: ISO8601DateFormatter {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f
    }
}
