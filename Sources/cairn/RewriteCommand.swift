import ArgumentParser
import CairnCore
import CairnFlink
import CairnFormat
import CairnTools

struct RewriteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rewrite",
        abstract: "Write a snapshot anew; today: convert a Flink checkpoint or savepoint into a native .cairn file.",
        discussion: """
            The native file keeps every fact inspect shows — operators, parallelism, key groups, coordinator state, \\
            source splits, operator state names — and each Flink handle's bytes as an opaque unit with its Flink \\
            identity and recorded size, so inspect, validate --deep and the store work on it. Nothing is written at \\
            DEST unless the whole conversion succeeds.

            Examples:
              cairn rewrite /checkpoints/8f3a…/chk-42 chk-42.cairn
              cairn rewrite savepoint-57e8bf-43f656e178e1 sp.cairn --compression lz4
            """)

    @Argument(help: "A Flink _metadata, its directory, or a job's checkpoint directory.")
    var source: String

    @Argument(help: "The .cairn file to write.")
    var dest: String

    @Option(help: "Block compression: zstd, zstd:LEVEL, lz4 or none.")
    var compression: String = "zstd:1"

    @Flag(help: "Print what was written as JSON.")
    var json = false

    func validate() throws {
        guard CompressionSetting(parsing: compression) != nil else {
            throw ValidationError("--compression must be zstd, zstd:1…22, lz4 or none")
        }
    }

    func run() async throws {
        guard let view = try SnapshotOpener.open(source) as? FlinkSnapshot else {
            throw UsageError("\(source) is a native snapshot; rewriting native snapshots (drop, rename, migrate, rescale) is not in this build yet")
        }
        let problems = SnapshotValidator.validate(source: source, view: view, deep: false).errors
        if let first = problems.first {
            throw UsageError("\(source) has \(problems.count) problem(s), the first: \(first.description). Nothing was written; fix the source first (cairn validate lists them all).")
        }
        let sink = try AtomicFileSink(path: dest)
        let summary = try FlinkConverter.convert(view, to: sink, options: WriterOptions(compression: CompressionSetting(parsing: compression)!))
        if json {
            Terminal.out(JSONValue.object([("path", .string(dest)), ("fileSize", .number(summary.fileSize)),
                                           ("rawBytes", .number(summary.rawBytes)), ("blocks", .number(summary.blockCount))]).rendered())
        } else {
            Terminal.out("wrote \(dest): \(ByteCount.format(Int64(summary.fileSize))) (\(ByteCount.format(Int64(summary.rawBytes))) of Flink state in \(summary.blockCount) blocks)")
        }
    }
}
