import CairnCore
import CairnFlink
import CairnStore
import Foundation

/// `cairn backup`: pushes every complete checkpoint of a Flink job directory that its series in the store does not
/// hold yet, oldest first, then applies the retention policy to that series alone. `watch` repeats it.
///
/// Listing and reading go through `SnapshotFiles`, so the job directory may be local or in an object store. Which
/// checkpoints are stored is read from the manifests `push` already writes (`group` + `checkpointId`), so a
/// checkpoint pushed by hand counts too and the manifest format is unchanged. A checkpoint whose files vanish
/// while it is pushed (Flink deleting subsumed checkpoints) is skipped; the push machinery commits nothing of it.
public struct BackupRunner: Sendable {
    public struct Options: Sendable {
        /// The series (store group) to push into; nil: the job's own (`flink-job:<id>`, as `push` names it).
        public var series: String?
        /// A `_metadata` younger than this (by modification time) may still be written; it waits a round.
        public var settleSeconds: Double
        /// Keep-last / keep-within, applied to the series after the pushes; nil keeps everything.
        public var retention: Pruner.Policy?
        /// Packs younger than this are never deleted by the retention's prune.
        public var pruneGrace: Double
        public var push: Pusher.Options

        public init(series: String? = nil, settleSeconds: Double = 10, retention: Pruner.Policy? = nil, pruneGrace: Double = 3600,
                    push: Pusher.Options = Pusher.Options()) {
            self.series = series
            self.settleSeconds = settleSeconds
            self.retention = retention
            self.pruneGrace = pruneGrace
            self.push = push
        }
    }

    /// The job's checkpoint directory (`…/<job-id>`), holding `chk-N`.
    public let jobDirectory: String
    public let files: any SnapshotFiles
    public let options: Options
    /// The group the snapshots are pushed into and retention counts in.
    public let series: String

    public init(jobDirectory: String, files: any SnapshotFiles = LocalFiles(), options: Options = Options()) {
        var dir = FilePaths.normalize(jobDirectory)
        if ObjectStoreURL.isS3(jobDirectory) {
            dir = ObjectStoreSnapshotFiles.canonical(jobDirectory) ?? jobDirectory
        } else if !dir.contains("://") {
            dir = PushSourceBuilder.absolute(dir)
        }
        self.jobDirectory = dir
        self.files = files
        self.options = options
        let name = FilePaths.lastComponent(dir)
        series = options.series ?? (FilePaths.isJobID(name) ? "flink-job:" + name : "flink:" + dir)
    }

    /// Checks a local job directory before the first round: it exists, and is a job's directory rather than one of
    /// its checkpoints. (An empty job directory is fine: Flink has not completed a checkpoint yet.)
    public static func checkLocalJobDirectory(_ path: String) throws {
        guard let kind = FilePaths.kind(path) else { throw IOError(path: path, operation: "open", errno: ENOENT) }
        guard kind == .directory else { throw UsageError("\(path): not a directory; give the job's checkpoint directory (…/<job-id>, holding chk-N)") }
        let name = FilePaths.lastComponent(FilePaths.normalize(path))
        if name.hasPrefix("chk-") || FilePaths.kind(path + "/_metadata") == .file {
            throw UsageError("\(path) is one checkpoint; backup takes the job's checkpoint directory that holds it: \(FilePaths.parent(FilePaths.normalize(path)))")
        }
    }

    /// One round. Never throws: what stops it early is the round's `problem`.
    public func round(_ number: Int, store: SnapshotStore, stop: StopRequest? = nil) async -> BackupRound {
        let started = Date()
        var round = BackupRound(round: number, startedAt: started, jobDirectory: jobDirectory, series: series)
        defer { round.durationSeconds = Date().timeIntervalSince(started) }
        // In object storage, listings are cached: each round forgets them to see what the job wrote since.
        files.forgetListings()
        let listed = FlinkSnapshotLocation.completeCheckpoints(inJob: jobDirectory, files: files)
        if let failure = files.listingFailure {
            // A listing that failed would make every checkpoint look absent: report it, try again next round.
            round.problem = Self.describe(failure)
            round.problemStatus = Self.status(of: failure)
            return round
        }
        let stored: [Int: SnapshotManifest]
        do {
            stored = try await storedCheckpoints(store)
        } catch {
            round.problem = Self.describe(error)
            round.problemStatus = Self.status(of: error)
            return round
        }

        // Settled candidates not stored yet; retention that keeps only the newest N would drop older ones at once.
        var candidates: [(name: String, number: Int, age: Double?)] = []
        for c in listed {
            let dir = c.path
            if let m = stored[c.number] {
                var entry = BackupRound.Checkpoint(number: c.number, path: dir, status: .present)
                entry.snapshotID = m.id
                entry.totalBytes = m.logicalSize
                round.checkpoints.append(entry)
                continue
            }
            let age = files.info(dir + "/_metadata").map { started.timeIntervalSince1970 - Double($0.modifiedNs) / 1e9 }
            candidates.append((c.name, c.number, age))
        }
        let kept = keptByRetention(candidates: candidates.map(\.number), stored: Set(stored.keys))

        for (i, c) in candidates.enumerated() {
            let dir = jobDirectory + "/" + c.name
            var entry = BackupRound.Checkpoint(number: c.number, path: dir, status: .stored)
            if let age = c.age, age < options.settleSeconds {
                entry.status = .settling
                entry.ageSeconds = max(0, age)
            } else if !kept.contains(c.number) {
                entry.status = .skipped
                entry.reason = "retention"
                entry.message = "older than the \(options.retention?.keepLast ?? 0) newest checkpoints the retention keeps"
            } else if stop?.isRequested == true {
                round.stopped = true
                for rest in candidates[i...] {
                    round.checkpoints.append(BackupRound.Checkpoint(number: rest.number, path: jobDirectory + "/" + rest.name, status: .notAttempted))
                }
                break
            } else {
                entry = await push(c.number, directory: dir, store: store)
                if entry.status == .failed {
                    round.checkpoints.append(entry)
                    round.problem = entry.message
                    round.problemStatus = 2
                    return round
                }
            }
            round.checkpoints.append(entry)
        }
        round.checkpoints.sort { $0.number < $1.number }
        if !round.stopped, let policy = options.retention {
            round.retention = await applyRetention(policy, store: store)
        }
        return round
    }

    /// Rounds every `interval` seconds until `stop` is requested; each is handed to `report` as it ends. The wait
    /// between rounds ends as soon as a stop is requested; a push under way is finished first.
    public func watch(store: SnapshotStore, interval: Double, stop: StopRequest, report: @Sendable (BackupRound) -> Void) async {
        var number = 0
        while !stop.isRequested {
            number += 1
            report(await round(number, store: store, stop: stop))
            if await stop.sleep(seconds: interval) { break }
        }
    }

    // MARK: - stages

    /// Stored checkpoints of the series, by checkpoint id.
    func storedCheckpoints(_ store: SnapshotStore) async throws -> [Int: SnapshotManifest] {
        var out: [Int: SnapshotManifest] = [:]
        for m in try await store.snapshots() where m.kind == "flink-checkpoint" && (m.attributes["group"] ?? m.root) == series {
            if let id = m.attributes["checkpointId"].flatMap(Int.init) { out[id] = m }
        }
        return out
    }

    /// The candidates the retention would keep if they were stored now: all, unless only `keepLast` is set, then the
    /// newest N of stored and candidates together. (`keepWithin` keeps anything pushed now.)
    func keptByRetention(candidates: [Int], stored: Set<Int>) -> Set<Int> {
        guard let policy = options.retention, let n = policy.keepLast, policy.keepWithin == nil else { return Set(candidates) }
        let newest = Set(stored.union(candidates).sorted(by: >).prefix(n))
        return Set(candidates.filter { newest.contains($0) })
    }

    /// Pushes one checkpoint; a vanished file makes it `skipped`, an undecodable `_metadata` `damaged`, anything
    /// else `failed`.
    func push(_ number: Int, directory: String, store: SnapshotStore) async -> BackupRound.Checkpoint {
        var entry = BackupRound.Checkpoint(number: number, path: directory, status: .stored)
        // Only a series the user named is recorded (and hashed into the id); the job's own is what `push` writes.
        let (files, series) = (self.files, options.series)
        do {
            let source = try await BlockingBridge.offPool {
                try PushSourceBuilder.flink(directory, location: FlinkSnapshotLocation(metadataPath: directory + "/_metadata", directory: directory),
                                            files: files, series: series)
            }
            let report = try await Pusher(store: store, options: options.push).push(source)
            entry.snapshotID = report.snapshotID
            // Committed by someone else meanwhile (a `push` by hand, a second backup): already present, nothing new.
            if !report.created { entry.status = .present }
            entry.newBytes = report.newBytes
            entry.storedBytes = report.storedBytes
            entry.totalBytes = report.logicalSize
        } catch let e as IOError where e.isNotFound {
            vanished(&entry, file: e.path)
        } catch let e as StoreError where e.kind == .vanished {
            vanished(&entry, file: e.place)
        } catch let e as IncompleteSnapshotError where !e.missing.isEmpty && e.missing.count == e.problems.count {
            vanished(&entry, file: e.missing[0])
        } catch {
            entry.status = Self.status(of: error) == 1 ? .damaged : .failed
            entry.message = Self.describe(error)
        }
        return entry
    }

    private func vanished(_ entry: inout BackupRound.Checkpoint, file: String) {
        entry.status = .skipped
        entry.reason = "vanished"
        entry.file = file
        entry.message = "\(file) is gone or changed while backing up (Flink deletes subsumed checkpoints and their files); nothing of chk-\(entry.number) was stored"
    }

    /// Prunes the series when the policy removes something; a store locked by another prune or a push defers it.
    func applyRetention(_ policy: Pruner.Policy, store: SnapshotStore) async -> BackupRound.Retention {
        var scoped = policy
        scoped.groups = [series]
        do {
            let all = try await store.snapshots()
            let (keep, remove) = Pruner.select(all, policy: scoped, now: Date())
            let keptInSeries = keep.filter { ($0.attributes["group"] ?? $0.root) == series }.count
            guard !remove.isEmpty else { return BackupRound.Retention(status: "nothing-to-remove", kept: keptInSeries, removed: []) }
            let report = try await Pruner(store: store, options: .init(grace: options.pruneGrace, lockWait: 0)).prune(policy: scoped)
            var r = BackupRound.Retention(status: "applied", kept: keptInSeries, removed: report.removed.map(\.id))
            r.packBytesBefore = report.bytesBefore
            r.packBytesAfter = report.bytesAfter
            return r
        } catch {
            var r = BackupRound.Retention(status: "deferred", kept: 0, removed: [])
            r.message = Self.describe(error)
            return r
        }
    }

    static func describe(_ error: any Error) -> String {
        (error as? any CairnError)?.description ?? String(describing: error)
    }

    static func status(of error: any Error) -> Int32 {
        (error as? any CairnError)?.exitStatus ?? 2
    }
}
