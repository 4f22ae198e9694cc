import ArgumentParser
import CairnStore
import CairnSources
import CairnTools

struct PullCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull",
        abstract: "Restore a stored snapshot into a directory, byte for byte.",
        discussion: """
            SNAPSHOT is an id from `cairn snapshots` (at least 4 hex digits) or `latest`. Files are written under DEST with the paths they had below the snapshot's root (for a Flink checkpoint: chk-N/_metadata, shared/…, taskowned/…). Every chunk is checked against its SHA-256 before it is written, and each file appears only when complete; DEST must not already hold any of the files.

            Examples:
              cairn pull ./store latest restored/
              cairn pull s3://my-bucket/cairn 3f9c2a restored/ --json
            """)

    @Argument(help: "A local directory or s3://bucket/prefix.")
    var store: String

    @Argument(help: "Snapshot id (or unique prefix), or `latest`.")
    var snapshot: String

    @Argument(help: "Directory to restore into (made if missing).")
    var destination: String

    @OptionGroup var options: StoreOptions

    @Flag(help: "Print the report as JSON.")
    var json = false

    func run() async throws {
        let bar = ProgressBar(verb: "pull")
        defer { bar.finish() }
        let (snapshot, destination, lockWait) = (self.snapshot, self.destination, options.lockWait)
        let report = try await StoreLocation(store).withStore(s3: options.s3) { store in
            let manifest = try await store.resolve(snapshot)
            return try await Puller(store: store, options: .init(lockWait: lockWait, progress: bar.callback)).pull(manifest, to: destination)
        }
        bar.finish()
        Terminal.out(json ? report.json.rendered() : report.text(style: Terminal.style))
    }
}
