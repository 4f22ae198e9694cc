import ArgumentParser
import CairnFormat
import CairnTools

struct DiffCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Show what changed between two snapshots, operator by operator.",
        discussion: """
            Operators are matched by id: added, removed, renamed (same id, another uid or name), rescaled (parallelism or max parallelism), and the change in keyed, operator and in-flight state. Either side may be a .cairn file, a Flink checkpoint or savepoint, or STORE#SNAPSHOT. With --exit-code the status is 1 when they differ.

            Examples:
              cairn diff /checkpoints/8f3a…/chk-41 /checkpoints/8f3a…/chk-42
              cairn diff ./store#3f9c2a ./store#latest --json
            """)

    @Argument(help: "The earlier snapshot.")
    var a: String

    @Argument(help: "The later snapshot.")
    var b: String

    @Flag(name: .customLong("exit-code"), help: "Exit 1 when the snapshots differ.")
    var exitCode = false

    @OptionGroup var store: StoreOptions

    @Flag(help: "Print the diff as JSON.")
    var json = false

    func run() async throws {
        let sa = try await summary(a), sb = try await summary(b)
        let diff = SnapshotDiff.compute(sa, sb, sourceA: a, sourceB: b)
        Terminal.out(json ? diff.json.rendered() : diff.text(style: Terminal.style))
        if exitCode && diff.differs { throw ExitCode(1) }
    }

    private func summary(_ source: String) async throws -> SnapshotSummary {
        guard let ref = StoreOpener.storeReference(source) else { return try SnapshotOpener.open(source).summary() }
        let files = try await StoreOpener.snapshotFiles(store: ref.store, snapshot: ref.snapshot, s3: store.s3)
        do {
            let result = try await BlockingBridge.offPool { try SnapshotOpener.open(files).summary() }
            await files.store.objects.close()
            return result
        } catch {
            await files.store.objects.close()
            throw error
        }
    }
}
