import ArgumentParser
import CairnStore
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
        let snapshotStore = try await StoreOpener.open(store, create: false, s3: options.s3)
        let bar = ProgressBar(verb: "pull")
        do {
            let manifest = try await snapshotStore.resolve(snapshot)
            let report = try await Puller(store: snapshotStore, options: .init(lockWait: options.lockWait, progress: bar.callback))
                .pull(manifest, to: destination)
            bar.finish()
            await snapshotStore.objects.close()
            Terminal.out(json ? report.json.rendered() : report.text(style: Terminal.style))
        } catch {
            bar.finish()
            await snapshotStore.objects.close()
            throw error
        }
    }
}
