import ArgumentParser
import CairnStore
import CairnSources
import CairnTools

struct PruneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Forget old snapshots and free the space only they used.",
        discussion: """
            Keeps, per group (a Flink job, or the directory a snapshot came from), the newest --keep-last snapshots and every snapshot younger than --keep-within; removes the rest. Then deletes packs nothing references, repacks packs that are mostly dead, and writes one new index. Runs under the store's exclusive lock: when a push, pull or check is running it fails at once (or waits up to --lock-wait seconds) and changes nothing. Packs younger than --grace are never deleted (they may belong to an interrupted push that will reuse them).

            Examples:
              cairn prune ./store --keep-last 3 --dry-run
              cairn prune s3://my-bucket/cairn --keep-last 10 --keep-within 7d
            """)

    @Argument(help: "A local directory or s3://bucket/prefix.")
    var store: String

    @Option(name: .customLong("keep-last"), help: "Keep the newest N snapshots of each group.")
    var keepLast: Int?

    @Option(name: .customLong("keep-within"), help: "Keep snapshots younger than this: 90s, 30m, 12h, 7d.")
    var keepWithin: String?

    @Flag(name: .customLong("dry-run"), help: "Show what would be removed; change nothing.")
    var dryRun = false

    @Option(help: "Never delete packs younger than this: 0, 90s, 30m, 12h, 7d.")
    var grace: String = "1h"

    @OptionGroup var options: StoreOptions

    @Flag(help: "Print the report as JSON.")
    var json = false

    func validate() throws {
        guard keepLast != nil || keepWithin != nil else { throw ValidationError("give --keep-last N and/or --keep-within DURATION") }
        if let n = keepLast, n < 1 { throw ValidationError("--keep-last must be at least 1") }
        if let w = keepWithin, DurationParser.seconds(w) == nil { throw ValidationError("--keep-within \(w): use a number with s, m, h or d") }
        if DurationParser.seconds(grace) == nil { throw ValidationError("--grace \(grace): use a number with s, m, h or d") }
    }

    func run() async throws {
        let options = Pruner.Options(dryRun: dryRun, grace: DurationParser.seconds(grace) ?? 3600, lockWait: self.options.lockWaitOption ?? 0)
        let policy = Pruner.Policy(keepLast: keepLast, keepWithin: keepWithin.flatMap(DurationParser.seconds))
        let report = try await StoreLocation(store).withStore(s3: self.options.s3) { store in
            try await Pruner(store: store, options: options).prune(policy: policy)
        }
        Terminal.out(json ? report.json.rendered() : report.text(style: Terminal.style))
    }
}

/// `90s`, `30m`, `12h`, `7d`, or plain seconds.
enum DurationParser {
    static func seconds(_ text: String) -> Double? {
        guard let last = text.last else { return nil }
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800]
        if let unit = units[last] {
            guard let v = Double(text.dropLast()), v >= 0 else { return nil }
            return v * unit
        }
        guard let v = Double(text), v >= 0 else { return nil }
        return v
    }
}
