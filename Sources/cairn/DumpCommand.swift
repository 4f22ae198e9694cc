import ArgumentParser
import CairnCore
import CairnFormat
import CairnModel
import CairnTools

struct DumpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump",
        abstract: "Print every field and entry of a native snapshot as JSON (the decoded form of format-spec/vectors).",
        discussion: """
            Meant for small snapshots, debugging and test vectors: the whole decoded snapshot is built in memory.

            Example:
              cairn dump Fixtures/cairn/tiny-1.cairn
            """)

    @Argument(help: "A .cairn file.")
    var source: String

    func run() async throws {
        let reader = try SnapshotReader(path: source)
        Terminal.out(try SnapshotDump.json(reader).rendered())
    }
}
