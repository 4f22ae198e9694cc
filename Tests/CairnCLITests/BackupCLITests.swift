import CairnTestProcesses
import Foundation
import Testing

/// Writes a job's checkpoints the way Flink does, from the real Flink 2.3 RocksDB incremental fixture: for each
/// checkpoint the shared SSTs it adds, then its own files, `_metadata` last; once more than `retained` are complete,
/// the oldest checkpoint and the shared files no retained checkpoint references any more are deleted
/// (`execution.checkpointing.num-retained`).
struct SimulatedFlinkJob {
    let source: URL
    let job: URL
    let retained: Int
    private(set) var complete: [Int] = []
    private let fm = FileManager.default

    init(source: URL, job: URL, retained: Int) throws {
        self.source = source
        self.job = job
        self.retained = retained
        try fm.createDirectory(at: job.appendingPathComponent("shared"), withIntermediateDirectories: true)
    }

    /// The shared files checkpoint `n` references: those whose names its `_metadata` holds.
    func shared(_ n: Int) throws -> Set<String> {
        let metadata = try Data(contentsOf: source.appendingPathComponent("chk-\(n)/_metadata"))
        return Set(try fm.contentsOfDirectory(atPath: source.appendingPathComponent("shared").path).filter { metadata.range(of: Data($0.utf8)) != nil })
    }

    mutating func checkpoint(_ n: Int) throws {
        for name in try shared(n) where !fm.fileExists(atPath: job.appendingPathComponent("shared/\(name)").path) {
            try fm.copyItem(at: source.appendingPathComponent("shared/\(name)"), to: job.appendingPathComponent("shared/\(name)"))
        }
        let dir = job.appendingPathComponent("chk-\(n)")
        try fm.createDirectory(at: dir, withIntermediateDirectories: true)
        for name in try fm.contentsOfDirectory(atPath: source.appendingPathComponent("chk-\(n)").path) where name != "_metadata" && name != "oracle.json" {
            try fm.copyItem(at: source.appendingPathComponent("chk-\(n)/\(name)"), to: dir.appendingPathComponent(name))
        }
        // Written in place, not renamed: a reader may see it partly written, which the settle time is for.
        try Data(contentsOf: source.appendingPathComponent("chk-\(n)/_metadata")).write(to: dir.appendingPathComponent("_metadata"))
        complete.append(n)
        while complete.count > retained {
            let old = complete.removeFirst()
            var live = Set<String>()
            for r in complete { live.formUnion(try shared(r)) }
            for name in try shared(old).subtracting(live) { try fm.removeItem(at: job.appendingPathComponent("shared/\(name)")) }
            try fm.removeItem(at: job.appendingPathComponent("chk-\(old)"))
        }
    }
}

@Suite("cairn backup")
struct BackupCLITests {
    static let fixtureJob = URL(fileURLWithPath: StoreCLITests.job)
    static let jobID = "ed57ef9367947a2619891a87077f6ec7"

    /// Checkpoint ids of the snapshots in a local store, read from its manifests (the store's observable state).
    static func storedCheckpoints(_ store: URL) -> [Int: String] {
        let dir = store.appendingPathComponent("snapshots")
        var out: [Int: String] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? [] {
            guard let data = try? Data(contentsOf: dir.appendingPathComponent(name)),
                  let m = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let attributes = m["attributes"] as? [String: String], let id = attributes["checkpointId"].flatMap(Int.init) else { continue }
            out[id] = name
        }
        return out
    }

    /// Polls `condition` until it holds, failing after `timeout` seconds or when `process` ends first.
    static func waitUntil(_ what: String, process: TestProcess.Running, timeout: Double = 90, _ condition: () -> Bool) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while !condition() {
            guard process.isRunning else { throw WaitFailure(what: what + ": backup ended early\n" + process.stderr) }
            guard Date() < deadline else { throw WaitFailure(what: what + ": timed out\n" + process.stdout.suffix(3000)) }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    struct WaitFailure: Error, CustomStringConvertible {
        var what: String
        var description: String { what }
    }

    @Test("backup --watch follows a job writing and deleting checkpoints like Flink; SIGTERM ends it with 0; every stored checkpoint pulls back byte for byte",
          .timeLimit(.minutes(5)))
    func watchFollowsFlink() async throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let job = dir.appendingPathComponent("checkpoints/\(Self.jobID)")
        let store = dir.appendingPathComponent("store")
        var flink = try SimulatedFlinkJob(source: Self.fixtureJob, job: job, retained: 2)
        let backup = try TestProcess.startCapturing(CLI.binary, ["backup", job.path, store.path, "--watch", "--interval", "0.2", "--settle", "1", "--json"])
        for n in [3, 4, 5] {
            try flink.checkpoint(n)
            try await Self.waitUntil("chk-\(n) stored", process: backup) { Self.storedCheckpoints(store)[n] != nil }
        }
        #expect(!FileManager.default.fileExists(atPath: job.appendingPathComponent("chk-3").path), "the simulated Flink deleted chk-3")
        backup.signal(SIGTERM)
        let out = await backup.wait()
        #expect(out.reason == .exit && out.status == 0, "\(out.stderr)")
        #expect(out.stderr.contains("stopped by signal 15"))

        // One JSON object per round; each checkpoint stored exactly once, never half.
        let rounds = out.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(rounds.count == out.stdout.split(separator: "\n").count && rounds.count >= 3)
        var storedTimes: [Int: Int] = [:]
        for round in rounds {
            for c in round["checkpoints"] as? [[String: Any]] ?? [] where c["status"] as? String == "stored" {
                storedTimes[c["checkpointId"] as? Int ?? -1, default: 0] += 1
            }
        }
        #expect(storedTimes == [3: 1, 4: 1, 5: 1])

        let stored = Self.storedCheckpoints(store)
        #expect(stored.keys.sorted() == [3, 4, 5])
        for (n, id) in stored.sorted(by: { $0.key < $1.key }) {
            let dest = dir.appendingPathComponent("pulled-\(n)")
            let pull = try CLI.run(["pull", store.path, id, dest.path])
            #expect(pull.status == 0, "\(pull.stderr)")
            let pulled = FileManager.default.enumerator(atPath: dest.path)?.compactMap { $0 as? String }
                .filter { (try? FileManager.default.attributesOfItem(atPath: dest.appendingPathComponent($0).path)[.type] as? FileAttributeType) == .typeRegular } ?? []
            #expect(pulled.contains("chk-\(n)/_metadata"))
            #expect(pulled.count > 2)
            for relative in pulled {
                let original = try Data(contentsOf: Self.fixtureJob.appendingPathComponent(relative))
                #expect(try Data(contentsOf: dest.appendingPathComponent(relative)) == original, "chk-\(n): \(relative) differs from the original")
            }
        }
        let check = try CLI.run(["check", store.path, "--read-data"])
        #expect(check.status == 0, "\(check.stdout)")
    }

    @Test("a backup killed with -9 mid-way loses nothing: the next run completes it and the store checks clean")
    func killNine() async throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let job = dir.appendingPathComponent(Self.jobID)
        try FileManager.default.copyItem(at: Self.fixtureJob, to: job)
        let store = dir.appendingPathComponent("store")
        let first = try TestProcess.startCapturing(CLI.binary, ["backup", job.path, store.path, "--settle", "0"])
        try await Self.waitUntil("a first snapshot", process: first) { !Self.storedCheckpoints(store).isEmpty }
        first.signal(SIGKILL)
        _ = await first.wait()
        let again = try CLI.run(["backup", job.path, store.path, "--settle", "0", "--json"])
        #expect(again.status == 0, "\(again.stderr)")
        let doc = try #require(again.json as? [String: Any])
        let statuses = (doc["checkpoints"] as? [[String: Any]] ?? []).compactMap { $0["status"] as? String }
        #expect(statuses.count == 3 && statuses.allSatisfy { $0 == "stored" || $0 == "present" }, "\(statuses)")
        #expect(Self.storedCheckpoints(store).keys.sorted() == [3, 4, 5])
        let check = try CLI.run(["check", store.path, "--read-data"])
        #expect(check.status == 0, "\(check.stdout)")
    }

    @Test("bad input: a missing job directory, a checkpoint instead of its job, an s3:// job directory, bad durations")
    func badInput() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = dir.appendingPathComponent("store").path
        let missing = try CLI.run(["backup", dir.appendingPathComponent("nope").path, store])
        #expect(missing.status == 2 && missing.stderr.contains("nope"))
        let chk = try CLI.run(["backup", StoreCLITests.job + "/chk-3", store])
        #expect(chk.status == 2 && chk.stderr.contains("job's checkpoint directory"), "\(chk.stderr)")
        let interval = try CLI.run(["backup", StoreCLITests.job, store, "--watch", "--interval", "soon"])
        #expect(interval.status == 2 && interval.stderr.contains("--interval"))
        #expect(!FileManager.default.fileExists(atPath: store), "nothing was created for bad input")
    }
}
