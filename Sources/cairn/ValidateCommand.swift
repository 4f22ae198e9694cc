import ArgumentParser
import CairnCore
import CairnFormat
import CairnModel
import CairnSources
import CairnTools

struct ValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check a snapshot's structure and, with --deep, every block and entry; with --against, predict its restore into a job.",
        discussion: """
            Exit status 0 when valid, 1 when problems were found (each is named by operator, subtask, state, block and byte offset), 2 on usage or I/O errors. For Flink snapshots it checks that every referenced file exists with at least its recorded size, key-group ranges match Flink's assignment, and offsets lie inside their files; with --deep it also decodes every key group of canonical savepoints and replays RocksDB MANIFESTs.

            With --against JOB.yaml it also predicts the restore into the job the file describes (operators by uid or id, parallelism, max parallelism, states with kind and serializers; see README "Job spec"): every problem Flink would fail with, quoting Flink's message, with the fix. With --previous OLDER it checks that the checkpoint id increased and that no source split went backward. Exit status 1 when any problem is found.

            Examples:
              cairn validate demo/chk-3.cairn
              cairn validate demo/chk-3.cairn --deep --json
              cairn validate s3://bucket/cairn#3f9c2a --deep
              cairn validate s3://flink/ckpts/8f3a…/chk-42     # every referenced object checked by LIST, none downloaded
              cairn validate savepoint-1a2b3c-4d5e6f7a8b9c --against job.yaml
              cairn validate job/chk-42 --previous job/chk-41 --json
            """)

    @Argument(help: "A .cairn file; a Flink _metadata, its directory, or a job's checkpoint directory (local or s3://, s3a://, s3p://); or STORE#SNAPSHOT.")
    var source: String

    @OptionGroup var store: S3AccessOptions

    @Flag(help: "Read every block: checksums, full decode, key group of every key, typed values.")
    var deep = false

    @Option(name: .customLong("against"), help: ArgumentHelp("Predict the restore into the job this YAML/JSON job spec describes.", valueName: "JOB.yaml"))
    var against: String?

    @Option(help: ArgumentHelp("An older snapshot of the same job: ids must increase and source splits must not go backward.", valueName: "OLDER_SOURCE"))
    var previous: String?

    @Flag(help: "Print the result as JSON.")
    var json = false

    func run() async throws {
        let (source, deep) = (self.source, self.deep)
        let job: JobSpec?
        do {
            job = try against.map { path throws(JobSpecError) in try JobSpecLoader.load(path: path) }
        } catch {
            throw UsageError("\(error)")
        }
        let jobFile = against ?? ""
        let needsSummary = previous != nil
        typealias Outcome = (ValidationReport, RestorePrediction?, SnapshotSummary?)
        let outcome: Outcome
        do {
            outcome = try await SnapshotSource(source).withView(s3: store.s3) { view throws -> Outcome in
                let report = SnapshotValidator.validate(source: source, view: view, deep: deep)
                guard job != nil || needsSummary else { return (report, nil, nil) }
                let summary = try view.summary()
                let prediction = job.map { RestorePredictor(source: source, jobFile: jobFile, job: $0).predict(view: view, summary: summary) }
                return (report, prediction, summary)
            }
        } catch let e as SnapshotError where job == nil && !needsSummary {
            // A snapshot that does not even open is a validation finding, not a usage error.
            outcome = (SnapshotValidator.unopenable(source: source, error: e, deep: deep), nil, nil)
        }
        let (report, prediction, summary) = outcome
        var succession: SnapshotSuccession?
        if let previous, let summary {
            let older = try await SnapshotSource(previous).withView(s3: store.s3) { try $0.summary() }
            succession = SnapshotSuccession.check(previous: older, previousSource: previous, current: summary)
        }
        let failed = !report.isValid || !(prediction?.restorable ?? true) || !(succession?.problems.isEmpty ?? true)
        if json {
            var fields: [(String, JSONValue)]
            if case .object(let f) = report.json { fields = f } else { fields = [] }
            if let prediction { fields.append(("restore", prediction.json)) }
            if let succession {
                var p: [(String, JSONValue)] = []
                if case .object(let f) = succession.json { p = f }
                p.append(("problems", .array(succession.problems.map(\.json))))
                fields.append(("previous", .object(p)))
            }
            if prediction != nil || succession != nil {
                if let i = fields.firstIndex(where: { $0.0 == "valid" }) { fields[i].1 = .bool(!failed) }
            }
            Terminal.out(JSONValue.object(fields).rendered())
        } else {
            var text = report.text(style: Terminal.style)
            if let prediction { text += "\n" + prediction.text(style: Terminal.style) }
            if let succession { text += "\n" + successionText(succession) }
            Terminal.out(text)
        }
        if failed { throw ExitCode(1) }
    }

    func successionText(_ s: SnapshotSuccession) -> String {
        let style = Terminal.style
        var out = "after \(s.previous) (checkpoint \(s.previousID) → \(s.currentID), \(s.splitsCompared) source split\(s.splitsCompared == 1 ? "" : "s") compared)\n"
        for p in s.problems {
            out += "\(style.red("error")) [\(p.code)] \(p.operatorText.isEmpty ? "" : p.operatorText + ": ")\(p.message)\n"
            if let f = p.fix { out += "  fix: \(f)\n" }
        }
        out += s.problems.isEmpty ? style.green("in order") + ": ids increase and no split went backward\n" : style.red("out of order") + ": \(s.problems.count) problem\(s.problems.count == 1 ? "" : "s")\n"
        return out
    }
}
