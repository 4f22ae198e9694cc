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
              cairn validate s3://bucket/cairn#3f9c2a --deep
            """)

    @Argument(help: "A .cairn file; a Flink _metadata, its directory, or a job's checkpoint directory; or STORE#SNAPSHOT.")
    var source: String

    @OptionGroup var store: StoreOptions

    @Flag(help: "Read every block: checksums, full decode, key group of every key, typed values.")
    var deep = false

    @Flag(help: "Print the result as JSON.")
    var json = false

    func run() async throws {
        let (source, deep) = (self.source, self.deep)
        @Sendable func check(_ open: () throws -> any SnapshotView) -> Result<ValidationReport, any Error> {
            do {
                return .success(SnapshotValidator.validate(source: source, view: try open(), deep: deep))
            } catch let e as SnapshotError {
                return .success(SnapshotValidator.unopenable(source: source, error: e, deep: deep))
            } catch {
                return .failure(error)
            }
        }
        let report: ValidationReport
        if let ref = StoreOpener.storeReference(source) {
            let files = try await StoreOpener.snapshotFiles(store: ref.store, snapshot: ref.snapshot, s3: store.s3)
            let result = try await BlockingBridge.offPool { check { try SnapshotOpener.open(files) } }
            await files.store.objects.close()
            report = try result.get()
        } else {
            report = try check { try SnapshotOpener.open(source) }.get()
        }
        Terminal.out(json ? report.json.rendered() : report.text(style: Terminal.style))
        if !report.isValid { throw ExitCode(1) }
    }
}
