import ArgumentParser
import CairnCore
import CairnFormat
import CairnModel
import CairnSources
import CairnTools

struct DiffCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Show what changed between two snapshots: operators, states, serializers, source offsets, files and keys.",
        discussion: """
            Operators are matched by id: added, removed, renamed (same id, another uid or name), rescaled (parallelism or max \
            parallelism), and the change in keyed, operator and in-flight state. Per state: size, entries, kind, TTL and \
            key/value serializer name, version and schema. Per source split: the position before and after and how many \
            records it advanced; a split that went backward is flagged. Two Flink checkpoints get the files they share and \
            the files that are new. Either side may be a .cairn file, a Flink checkpoint or savepoint, or STORE#SNAPSHOT.

            --deep scans the state data too, which gives per-state sizes of Flink keyed state. --keys STATE compares one \
            keyed state key by key (native snapshots; Flink snapshots of every backend, compared decoded, one unit per \
            key, namespace and map key): keys added, removed, changed and unchanged, with samples. With --exit-code the status is 1 when the snapshots differ.

            Examples:
              cairn diff /checkpoints/8f3a…/chk-41 /checkpoints/8f3a…/chk-42
              cairn diff s3://flink/ckpts/8f3a…/chk-41 s3://flink/ckpts/8f3a…/chk-42
              cairn diff ./store#3f9c2a ./store#latest --json
              cairn diff savepoint-1 savepoint-2 --keys keyed-state/count --samples 10
            """)

    @Argument(help: "The earlier snapshot (any SOURCE: local, s3://, STORE#SNAPSHOT).")
    var a: String

    @Argument(help: "The later snapshot.")
    var b: String

    @Flag(help: "Scan state data for per-state sizes (Flink keyed state).")
    var deep = false

    @Option(help: ArgumentHelp("Compare one keyed state key by key.", valueName: "[OPERATOR/]STATE"))
    var keys: String?

    @Option(help: "Keys to show per kind of change with --keys.")
    var samples = 5

    @Option(help: ArgumentHelp("Also write a self-contained HTML report of the diff to this file.", valueName: "REPORT.html"))
    var html: String?

    @Flag(name: .customLong("exit-code"), help: "Exit 1 when the snapshots differ.")
    var exitCode = false

    @OptionGroup var store: S3AccessOptions

    @Flag(help: "Print the diff as JSON.")
    var json = false

    func validate() throws {
        guard samples >= 0 else { throw ValidationError("--samples must be 0 or more") }
    }

    func run() async throws {
        let (sourceA, sourceB, deep, keys, samples) = (self.a, self.b, self.deep, self.keys, self.samples)
        let (diff, keyDiff) = try await SnapshotSource.withViews([SnapshotSource(sourceA), SnapshotSource(sourceB)], s3: store.s3) { views in
            let (a, b) = (views[0], views[1])
            let diff = try SnapshotDiff.compare(a, b, sourceA: sourceA, sourceB: sourceB, deep: deep)
            let keyDiff = try keys.map { try KeyDiff.compute(a, b, state: $0, samples: samples, sourceA: sourceA, sourceB: sourceB) }
            return (diff, keyDiff)
        }
        if let html {
            try HTMLReportFile.write(HTMLReport.diff(diff, keys: keyDiff), to: html)
            if !json { Terminal.note("wrote \(html)") }
        }
        if json {
            var out = diff.json
            if case .object(var fields) = out {
                fields.append(("keys", keyDiff?.json ?? .null))
                out = .object(fields)
            }
            Terminal.out(out.rendered())
        } else {
            Terminal.out(diff.text(style: Terminal.style) + (keyDiff.map { "\n" + $0.text(style: Terminal.style) } ?? ""))
        }
        if exitCode && (diff.differs || keyDiff?.differs == true) { throw ExitCode(1) }
    }
}
