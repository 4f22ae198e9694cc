import ArgumentParser
import CairnCore
import CairnFormat
import CairnTools

struct ValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check a snapshot's structure and, with --deep, every block and entry.",
        discussion: """
            Exit status 0 when valid, 1 when problems were found (each is named by operator, subtask, state, block and byte offset), 2 on usage or I/O errors. For Flink snapshots it checks that every referenced file exists with at least its recorded size, key-group ranges match Flink's assignment, and offsets lie inside their files; with --deep it also decodes every key group of canonical savepoints and replays RocksDB MANIFESTs.

            Examples:
              cairn validate demo/chk-3.cairn
              cairn validate demo/chk-3.cairn --deep --json
            """)

    @Argument(help: "A .cairn file, or a Flink _metadata, its directory, or a job's checkpoint directory.")
    var source: String

    @Flag(help: "Read every block: checksums, full decode, key group of every key, typed values.")
    var deep = false

    @Flag(help: "Print the result as JSON.")
    var json = false

    func run() async throws {
        let report: ValidationReport
        do {
            let view = try SnapshotOpener.open(source)
            report = SnapshotValidator.validate(source: source, view: view, deep: deep)
        } catch let e as SnapshotError {
            report = SnapshotValidator.unopenable(source: source, error: e, deep: deep)
        }
        Terminal.out(json ? report.json.rendered() : report.text(style: Terminal.style))
        if !report.isValid { throw ExitCode(1) }
    }
}
