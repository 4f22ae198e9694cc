import ArgumentParser
import CairnCore
import CairnSources
import CairnStore
import CairnTools

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Keep a deduplicated copy of a Flink job's retained checkpoints, far beyond num-retained.",
        discussion: """
            Pushes every complete checkpoint (a chk-N directory holding a _metadata) of JOB_CHECKPOINT_DIR that the store does not hold yet, oldest first, into one series (the job's, or --series), then applies --keep-last / --keep-within to that series alone. A _metadata modified less than --settle ago may still be written and waits for the next round; a chk-N without _metadata is in progress. Only changed bytes are uploaded.

            Flink deletes old checkpoints as it goes: a checkpoint whose file vanishes mid-push is skipped with a warning and nothing of it is stored. With --watch the rounds repeat every --interval until SIGINT or SIGTERM, which end it after the current push (a second signal ends it at once; a kill -9 loses nothing committed). One line per checkpoint and round; --json prints one JSON object per round, one per line.

            Exit status: 0 fine (also after a signal), 1 a checkpoint's _metadata is damaged, 2 usage or access problem (with --watch a failed round is reported and the next one runs).

            Examples:
              cairn backup /flink/checkpoints/7f3a… ./store --keep-last 50
              cairn backup /flink/checkpoints/7f3a… s3://my-bucket/cairn --watch --interval 1m --keep-within 7d --json
            """)

    @Argument(help: "The job's checkpoint directory (…/<job-id>, holding chk-N).")
    var jobDirectory: String

    @Argument(help: "A local directory or s3://bucket/prefix.")
    var store: String

    @Flag(help: "Repeat every --interval until SIGINT or SIGTERM.")
    var watch = false

    @Option(help: "Time between rounds with --watch: 90s, 5m, 1h (default 30s).")
    var interval: String = "30s"

    @Option(help: "A _metadata younger than this (by modification time) waits for the next round (default 10s).")
    var settle: String = "10s"

    @Option(help: "Store into this series instead of the job's own (flink-job:<job-id>).")
    var series: String?

    @Option(name: .customLong("keep-last"), help: "After each round keep the newest N snapshots of the series.")
    var keepLast: Int?

    @Option(name: .customLong("keep-within"), help: "After each round keep the series' snapshots younger than this: 90s, 30m, 12h, 7d.")
    var keepWithin: String?

    @Option(help: "Retention never deletes packs younger than this: 0, 90s, 30m, 12h, 7d.")
    var grace: String = "1h"

    @OptionGroup var options: StoreOptions

    @Flag(help: "Print one JSON object per round, one per line.")
    var json = false

    func validate() throws {
        if let n = keepLast, n < 1 { throw ValidationError("--keep-last must be at least 1") }
        for (name, value) in [("--keep-within", keepWithin), ("--grace", grace), ("--interval", interval), ("--settle", settle)] {
            if let value, DurationParser.seconds(value) == nil { throw ValidationError("\(name) \(value): use a number with s, m, h or d") }
        }
        if watch, let s = DurationParser.seconds(interval), s <= 0 { throw ValidationError("--interval must be more than 0") }
        if let series, let problem = RelativePath.nameProblem(series) {
            throw ValidationError("--series \"\(RelativePath.printable(series))\" \(problem); choose a name without '/', '..' or control characters")
        }
    }

    func run() async throws {
        let policy = keepLast != nil || keepWithin != nil
            ? Pruner.Policy(keepLast: keepLast, keepWithin: keepWithin.flatMap(DurationParser.seconds)) : nil
        let runnerOptions = BackupRunner.Options(
            series: series, settleSeconds: DurationParser.seconds(settle) ?? 10, retention: policy,
            pruneGrace: DurationParser.seconds(grace) ?? 3600, push: Pusher.Options(lockWait: options.lockWait))
        if !ObjectStoreURL.isS3(jobDirectory) { try BackupRunner.checkLocalJobDirectory(jobDirectory) }
        let (watch, json, interval, jobDirectory) = (self.watch, self.json, DurationParser.seconds(self.interval) ?? 30, self.jobDirectory)
        let stop = StopRequest()
        if watch { stop.trap([SIGINT, SIGTERM]) }
        let status = try await SnapshotSource.withJobDirectoryFiles(jobDirectory, s3: options.s3) { files in
            let runner = BackupRunner(jobDirectory: jobDirectory, files: files, options: runnerOptions)
            return try await StoreLocation(store).withStore(create: true, s3: options.s3) { store -> Int32 in
                guard watch else {
                    let round = await runner.round(1, store: store)
                    Self.print(round, json: json)
                    if let problem = round.problem { Terminal.error(problem) }
                    return round.exitStatus
                }
                let damaged = Locked(false)
                await runner.watch(store: store, interval: interval, stop: stop) { round in
                    Self.print(round, json: json)
                    if let problem = round.problem { Terminal.error("round \(round.round): \(problem); trying again in \(ByteCount.fixed(interval, 0)) s") }
                    if round.damaged { damaged.withLock { $0 = true } }
                }
                if let signal = stop.signal { Terminal.note("backup: stopped by signal \(signal)") }
                return damaged.withLock { $0 } ? 1 : 0
            }
        }
        if status != 0 { throw ExitCode(status) }
    }

    static func print(_ round: BackupRound, json: Bool) {
        for w in round.warnings { Terminal.note("warning: " + w) }
        if json {
            var bytes: [UInt8] = []
            round.json.append(to: &bytes)
            bytes.append(0x0A)
            Terminal.write(bytes)
        } else {
            Terminal.out(round.text(style: Terminal.style))
        }
    }
}
