import ArgumentParser
import CairnCore
import CairnFormat
import CairnModel
import CairnSources
import CairnTools

extension InspectGrouping: ExpressibleByArgument {}

struct InspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show where a snapshot's bytes are: per operator, subtask, state and key group.",
        discussion: """
            Sizes come from the snapshot's index, so even a large snapshot is answered by reading kilobytes. --top scans the keyed data to find the largest keys.

            Examples:
              cairn inspect demo/chk-3.cairn
              cairn inspect demo/chk-3.cairn --by subtask
              cairn inspect demo/chk-3.cairn --by key-group --top 5 --json
              cairn inspect demo/chk-3.cairn --by state --deep
              cairn inspect /checkpoints/8f3a…/chk-42          # a Flink checkpoint
              cairn inspect /checkpoints/8f3a…                 # the job's latest complete checkpoint
              cairn inspect ./store#latest                     # a stored snapshot, read in place
              cairn inspect s3://flink/ckpts/8f3a…/chk-42      # in S3, where Flink wrote it: 1 GET for _metadata
            """)

    @Argument(help: "A .cairn file; a Flink _metadata, its directory, or a job's checkpoint directory (local or s3://, s3a://, s3p://); or STORE#SNAPSHOT.")
    var source: String

    @OptionGroup var store: S3AccessOptions

    @Flag(help: "Print the documented JSON document instead of tables.")
    var json = false

    @Flag(help: "Also scan the data: per state raw bytes, distinct keys, key and value bytes, largest entry.")
    var deep = false

    @Option(help: "Group the main table by operator, subtask, state or key-group.")
    var by: InspectGrouping = .operator

    @Option(help: ArgumentHelp("Also write a self-contained HTML report (charts, heat map, offsets) to this file.", valueName: "REPORT.html"))
    var html: String?

    @Option(help: "Also list the N largest keys (scans keyed data).")
    var top: Int?

    @Option(name: .customLong("top-operators"), help: ArgumentHelp(
        "Past \(OperatorRanking.operatorLimit) operators or \(OperatorRanking.subtaskLimit) subtasks, tables and the HTML page show the N largest operators (and states) plus one row for the others, and subtasks as percentiles. --json always lists everything.",
        valueName: "N"))
    var topOperators = OperatorRanking.defaultTop

    func validate() throws {
        if let top, top < 1 { throw ValidationError("--top must be at least 1") }
        if topOperators < 1 { throw ValidationError("--top-operators must be at least 1") }
    }

    func run() async throws {
        let (source, by, top, deep, topOperators) = (self.source, self.by, self.top, self.deep, self.topOperators)
        // A stored snapshot is read in place: the manifest, the index, then only the chunks the questions need.
        let report = try await SnapshotSource(source).withView(s3: store.s3) { view in
            try InspectReport.build(source: source, view: view, grouping: by, top: top, deep: deep, topOperators: topOperators)
        }
        if let html {
            try HTMLReportFile.write(HTMLReport.inspect(report), to: html)
            if !json { Terminal.note("wrote \(html)") }
        }
        if json {
            // Streamed: a snapshot of a thousand operators × hundreds of subtasks is never held as a document.
            let writer = JSONStreamWriter(sink: StandardOutputSink())
            report.writeJSON(to: writer)
            do { try writer.finish() } catch { POSIX.exit(2) }
            Terminal.out("")
        } else {
            Terminal.out(report.text(style: Terminal.style))
        }
    }
}
