import ArgumentParser
import CairnStore
import CairnSources
import CairnTools

struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Prove a store is whole; with --read-data, read and verify every byte.",
        discussion: """
            Checks that every snapshot manifest decodes, every chunk it names is indexed, and every indexed pack exists with its recorded size. With --read-data it also downloads every pack and checks that it hashes to its name and that every chunk decompresses to its SHA-256. Problems name the pack, the offset and the snapshots affected. Exit status 0 when clean, 1 when problems were found, 2 on usage or I/O errors.

            Examples:
              cairn check ./store
              cairn check s3://my-bucket/cairn --read-data --json
            """)

    @Argument(help: "A local directory or s3://bucket/prefix.")
    var store: String

    @Flag(name: .customLong("read-data"), help: "Read every pack and verify every chunk hash.")
    var readData = false

    @OptionGroup var options: StoreOptions

    @Flag(help: "Print the report as JSON.")
    var json = false

    func run() async throws {
        let (lockWait, readData) = (options.lockWait, self.readData)
        let report = try await StoreLocation(store).withStore(s3: options.s3) { store in
            try await StoreChecker(store: store, lockWait: lockWait).check(readData: readData)
        }
        Terminal.out(json ? report.json.rendered() : report.text(style: Terminal.style))
        if !report.isClean { throw ExitCode(1) }
    }
}
