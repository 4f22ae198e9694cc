import CairnCore
import CairnFlink
import CairnStore
import CairnTools
import Foundation
import Testing

/// `backup` rounds against real Flink 2.3 RocksDB incremental checkpoints copied into a job directory, and a real
/// local store. Files vanish through a `SnapshotFiles` wrapper that deletes them at a chosen read, so the races with
/// Flink's deleter are reproduced exactly, without timing.
@Suite("backup rounds")
struct BackupRunnerTests {
    static let fixtureJob = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/flink/2.3/rocksdb-incremental/ed57ef9367947a2619891a87077f6ec7")
    static let jobID = "ed57ef9367947a2619891a87077f6ec7"

    /// A scratch directory with a copy of the fixture job (chk-3, chk-4, chk-5, shared/) and an empty store.
    struct Scratch {
        let root: URL
        var job: String { root.appendingPathComponent(BackupRunnerTests.jobID).path }
        var storePath: String { root.appendingPathComponent("store").path }

        init() throws {
            root = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-backup-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: BackupRunnerTests.fixtureJob, to: root.appendingPathComponent(BackupRunnerTests.jobID))
        }

        func store() async throws -> SnapshotStore {
            try await SnapshotStore.open(try LocalObjectStore(root: storePath, create: true), create: true)
        }

        func remove() { try? FileManager.default.removeItem(at: root) }
    }

    /// The local file system, with a hook run before each `open` (which may delete or grow the file).
    struct HookedFiles: SnapshotFiles {
        let beforeOpen: @Sendable (String) -> Void
        let base = LocalFiles()
        func open(_ path: String) throws(IOError) -> any RandomAccessSource {
            beforeOpen(path)
            return try base.open(path)
        }
        func size(_ path: String) -> Int64? { base.size(path) }
        func info(_ path: String) -> SnapshotFileInfo? { base.info(path) }
        func fileNames(in directory: String) -> [String] { base.fileNames(in: directory) }
        func directoryNames(in directory: String) -> [String] { base.directoryNames(in: directory) }
    }

    static func settled(_ options: BackupRunner.Options = .init()) -> BackupRunner.Options {
        var o = options
        o.settleSeconds = 0
        return o
    }

    static func statuses(_ round: BackupRound) -> [String] {
        round.checkpoints.map { "\($0.number):\($0.status.rawValue)" + ($0.reason.map { "/" + $0 } ?? "") }
    }

    static func storedCheckpoints(_ store: SnapshotStore) async throws -> [String] {
        try await store.snapshots().compactMap { $0.attributes["checkpointId"] }
    }

    @Test("a round stores every complete checkpoint oldest first, deduplicated; the next finds them present")
    func roundsOldestFirst() async throws {
        let s = try Scratch()
        defer { s.remove() }
        // A checkpoint in progress: no _metadata yet.
        try FileManager.default.createDirectory(atPath: s.job + "/chk-6", withIntermediateDirectories: true)
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: s.job + "/chk-6/partial"))
        let store = try await s.store()
        let runner = BackupRunner(jobDirectory: s.job, options: Self.settled())
        #expect(runner.series == "flink-job:\(Self.jobID)")
        let first = await runner.round(1, store: store)
        #expect(first.problem == nil)
        #expect(Self.statuses(first) == ["3:stored", "4:stored", "5:stored"])
        #expect(try await Self.storedCheckpoints(store) == ["3", "4", "5"], "pushed oldest first")
        let chk4 = try #require(first.checkpoints.first { $0.number == 4 })
        #expect(chk4.newBytes > 0 && chk4.newBytes < chk4.totalBytes, "shared SSTs already stored with chk-3 are not new")
        #expect(first.exitStatus == 0)

        let second = await runner.round(2, store: store)
        #expect(Self.statuses(second) == ["3:present", "4:present", "5:present"])
        #expect(second.checkpoints.map(\.snapshotID) == first.checkpoints.map(\.snapshotID))
        #expect(try await store.snapshots().count == 3)
    }

    @Test("a file deleted mid-push skips that checkpoint with its name, commits nothing of it, and the round goes on")
    func vanishedFile() async throws {
        let s = try Scratch()
        defer { s.remove() }
        let victim = s.job + "/chk-4/b39bcf1b-dcba-4471-af6a-15b198b49cb3"
        let files = HookedFiles { path in if path == victim { unlink(path) } }
        let store = try await s.store()
        let runner = BackupRunner(jobDirectory: s.job, files: files, options: Self.settled())
        let round = await runner.round(1, store: store)
        #expect(Self.statuses(round) == ["3:stored", "4:skipped/vanished", "5:stored"])
        let skipped = try #require(round.checkpoints.first { $0.number == 4 })
        #expect(skipped.file == victim)
        #expect(round.warnings.count == 1 && round.warnings[0].contains(victim), "\(round.warnings)")
        #expect(round.exitStatus == 0, "Flink deleting files is not damage")
        #expect(try await Self.storedCheckpoints(store) == ["3", "5"])
        // What was stored is whole: every chunk indexed and hashing right.
        let check = try await StoreChecker(store: store).check(readData: true)
        #expect(check.problems.isEmpty, "\(check.problems)")
        // Next round: chk-4's _metadata is still there but names a file that is gone; still skipped, by name.
        let again = await runner.round(2, store: store)
        #expect(Self.statuses(again) == ["3:present", "4:skipped/vanished", "5:present"])
        #expect(again.checkpoints[1].file == victim)
    }

    @Test("a file that changes size mid-push is a vanished file too")
    func grownFile() async throws {
        let s = try Scratch()
        defer { s.remove() }
        let victim = s.job + "/chk-3/d9be199d-1c96-4e33-9a6f-a36995586256"
        let files = HookedFiles { path in
            if path == victim, let h = FileHandle(forWritingAtPath: path) {
                h.seekToEndOfFile()
                h.write(Data([0xFF]))
                try? h.close()
            }
        }
        let store = try await s.store()
        let round = await BackupRunner(jobDirectory: s.job, files: files, options: Self.settled()).round(1, store: store)
        let chk3 = try #require(round.checkpoints.first)
        #expect(chk3.status == .skipped && chk3.reason == "vanished" && chk3.file == victim)
        #expect(try await Self.storedCheckpoints(store) == ["4", "5"])
    }

    @Test("a checkpoint deleted between listing and reading its _metadata is skipped")
    func deletedCheckpoint() async throws {
        let s = try Scratch()
        defer { s.remove() }
        let dir = s.job + "/chk-3"
        let files = HookedFiles { path in if path == dir + "/_metadata" { try? FileManager.default.removeItem(atPath: dir) } }
        let store = try await s.store()
        let round = await BackupRunner(jobDirectory: s.job, files: files, options: Self.settled()).round(1, store: store)
        #expect(Self.statuses(round) == ["3:skipped/vanished", "4:stored", "5:stored"])
        #expect(round.checkpoints[0].file == dir + "/_metadata")
    }

    @Test("a _metadata younger than the settle time waits for the next round")
    func settling() async throws {
        let s = try Scratch()
        defer { s.remove() }
        // The copy is fresh, so every _metadata is seconds old.
        let store = try await s.store()
        let round = await BackupRunner(jobDirectory: s.job, options: .init(settleSeconds: 3600)).round(1, store: store)
        #expect(Self.statuses(round) == ["3:settling", "4:settling", "5:settling"])
        #expect(round.checkpoints.allSatisfy { ($0.ageSeconds ?? -1) >= 0 && ($0.ageSeconds ?? 9999) < 3600 })
        #expect(try await store.snapshots().isEmpty)
    }

    @Test("retention keeps the newest N of the series only, and never pushes what it would drop at once")
    func retention() async throws {
        let s = try Scratch()
        defer { s.remove() }
        let store = try await s.store()
        // Another series in the same store, which retention must not touch.
        let other = await BackupRunner(jobDirectory: s.job, options: Self.settled(.init(series: "other"))).round(1, store: store)
        #expect(Self.statuses(other) == ["3:stored", "4:stored", "5:stored"])

        let keep2 = BackupRunner(jobDirectory: s.job, options: Self.settled(.init(retention: .init(keepLast: 2, keepWithin: nil), pruneGrace: 0)))
        let round = await keep2.round(1, store: store)
        #expect(Self.statuses(round) == ["3:skipped/retention", "4:stored", "5:stored"])
        #expect(round.retention?.status == "nothing-to-remove")

        let keep1 = BackupRunner(jobDirectory: s.job, options: Self.settled(.init(retention: .init(keepLast: 1, keepWithin: nil), pruneGrace: 0)))
        let pruned = await keep1.round(2, store: store)
        #expect(Self.statuses(pruned) == ["3:skipped/retention", "4:present", "5:present"])
        #expect(pruned.retention?.status == "applied")
        #expect(pruned.retention?.removed.count == 1)
        let left = try await store.snapshots()
        #expect(left.filter { $0.attributes["group"] == "other" }.count == 3, "the other series is untouched")
        #expect(left.filter { $0.attributes["group"] == keep1.series }.compactMap { $0.attributes["checkpointId"] } == ["5"])
        let check = try await StoreChecker(store: store).check(readData: true)
        #expect(check.problems.isEmpty, "\(check.problems)")
    }

    @Test("a _metadata that does not decode is damaged (exit 1); the others are stored")
    func damaged() async throws {
        let s = try Scratch()
        defer { s.remove() }
        try FileManager.default.createDirectory(atPath: s.job + "/chk-9", withIntermediateDirectories: true)
        try Data([0, 0, 0, 9, 1, 2, 3]).write(to: URL(fileURLWithPath: s.job + "/chk-9/_metadata"))
        let store = try await s.store()
        let round = await BackupRunner(jobDirectory: s.job, options: Self.settled()).round(1, store: store)
        #expect(Self.statuses(round) == ["3:stored", "4:stored", "5:stored", "9:damaged"])
        #expect(round.exitStatus == 1)
        #expect(round.warnings.count == 1 && round.warnings[0].contains("chk-9"))
    }

    @Test("a stop requested before a push leaves the rest for later; the wait between rounds ends at once")
    func stopRequest() async throws {
        let s = try Scratch()
        defer { s.remove() }
        let store = try await s.store()
        let stop = StopRequest()
        stop.request()
        let round = await BackupRunner(jobDirectory: s.job, options: Self.settled()).round(1, store: store, stop: stop)
        #expect(round.stopped)
        #expect(Self.statuses(round) == ["3:not-attempted", "4:not-attempted", "5:not-attempted"])
        #expect(try await store.snapshots().isEmpty)

        let waiting = StopRequest()
        let started = Date()
        async let slept = waiting.sleep(seconds: 600)
        waiting.request(signal: 15)
        #expect(await slept)
        #expect(Date().timeIntervalSince(started) < 60, "the 600 s wait ended on the request")
        #expect(waiting.signal == 15)
        #expect(await StopRequest().sleep(seconds: 0) == false)
    }

    @Test("a checkpoint's file from the job directory is named when the directory is one checkpoint, not a job")
    func checkpointNotJob() throws {
        let s = try Scratch()
        defer { s.remove() }
        #expect(throws: UsageError.self) { try BackupRunner.checkLocalJobDirectory(s.job + "/chk-3") }
        #expect(throws: IOError.self) { try BackupRunner.checkLocalJobDirectory(s.root.path + "/nothing") }
        try BackupRunner.checkLocalJobDirectory(s.job)
    }
}
