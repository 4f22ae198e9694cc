import ArgumentParser
import CairnStore
import CairnSources
import CairnTools

struct SnapshotsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshots",
        abstract: "List the snapshots in a store.",
        discussion: """
            One row per snapshot, oldest first: id, creation time, kind, checkpoint id, logical size, and the new bytes its push stored after deduplication and compression.

            Examples:
              cairn snapshots ./store
              cairn snapshots s3://my-bucket/cairn --json
            """)

    @Argument(help: "A local directory or s3://bucket/prefix.")
    var store: String

    @OptionGroup var options: StoreOptions

    @Flag(help: "Print the list as JSON.")
    var json = false

    func run() async throws {
        let all = try await StoreLocation(store).withStore(s3: options.s3) { try await $0.snapshots() }
        Terminal.out(json ? SnapshotListing.json(all).rendered() : SnapshotListing.text(all, style: Terminal.style))
    }
}
