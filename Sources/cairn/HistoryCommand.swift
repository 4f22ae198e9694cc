import ArgumentParser
import CairnCore
import CairnSources
import CairnTools

struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Show a job's checkpoints over time and flag growth, jumps, worsening skew, in-flight spikes and stalled splits.",
        discussion: """
            SOURCE is a job's checkpoint directory (every retained chk-N with a _metadata), a store (every stored checkpoint \
            of one series; --series picks one when the store holds several), STORE#SNAPSHOT, or any snapshot inspect reads \
            (a .cairn file, a directory of them, a Flink checkpoint or savepoint). Give several to combine them, for \
            example a job directory and its savepoints. Checkpoints are ordered by time (the _metadata's modification time \
            for Flink, which records none), then by id.

            Per checkpoint: full and checkpointed size per operator, per state where measured (native snapshots; Flink keyed \
            state with --deep), in-flight bytes, skew (largest over median subtask) and the records each source split \
            advanced since the checkpoint before. Only _metadata is read (plus the state files with --deep), 4 checkpoints \
            at a time; only a small summary of each is kept.

            Flags (defaults in parentheses):
              growth           never shrank over --growth-checkpoints (5) in a row,
                               grew in half the steps or more, by at least
                               --growth-min-bytes (1MiB) and --growth-min-ratio
                               (0.1) of its start; with its rate per hour
              jump             over --jump-factor (2) times the checkpoint before,
                               and larger by over --jump-min-bytes (64MiB)
              skew             largest over median subtask rose over
                               --skew-checkpoints (3) to --skew-min (2.0) or more,
                               by at least --skew-rise (0.5)
              in-flight-spike  over --spike-factor (3) times the median of the
                               previous --spike-window (10) checkpoints, and over
                               --spike-min-bytes (16MiB)
              stalled-split    unmoved over --stall-intervals (3) intervals in a
                               row while another split of the source advanced
              backward-split   a split's position went backward

            Examples:
              cairn history /checkpoints/8f3a…        # every retained chk-N
              cairn history /checkpoints/8f3a… /savepoints/sp-1 --html h.html
              cairn history ./store --series 8f3a… --json
              cairn history demo --growth-checkpoints 3 --growth-min-bytes 0
            """)

    @Argument(help: "Job checkpoint directories, stores, STORE#SNAPSHOT, or snapshots.")
    var sources: [String]

    @Option(help: "With a store holding several series: the series (its group from `cairn snapshots --json`, or a job id).")
    var series: String?

    @Flag(help: "Also scan the state data for per-state sizes (Flink keyed state).")
    var deep = false

    @Option(help: "Operators (and states) shown in the table; the rest are summed as others.")
    var top = 5

    @Option(help: "Checkpoints read at the same time.")
    var parallel = 4

    @Option(name: .customLong("growth-checkpoints"), help: "Growth: at least this many checkpoints in a row that never shrank.") var growthCheckpoints = HistoryThresholds().growthCheckpoints
    @Option(name: .customLong("growth-min-bytes"), help: "Growth: by at least this much in all (bytes, or 512KiB, 1MiB, 2GiB).") var growthMinBytes = ByteSizeArgument(bytes: HistoryThresholds().growthMinBytes)
    @Option(name: .customLong("growth-min-ratio"), help: "Growth: by at least this share of the size at the start (0.1 = 10%).") var growthMinRatio = HistoryThresholds().growthMinRatio
    @Option(name: .customLong("jump-factor"), help: "Jump: more than this many times the checkpoint before.") var jumpFactor = HistoryThresholds().jumpFactor
    @Option(name: .customLong("jump-min-bytes"), help: "Jump: and larger by more than this.") var jumpMinBytes = ByteSizeArgument(bytes: HistoryThresholds().jumpMinBytes)
    @Option(name: .customLong("skew-checkpoints"), help: "Skew: rose over at least this many checkpoints in a row.") var skewCheckpoints = HistoryThresholds().skewCheckpoints
    @Option(name: .customLong("skew-min"), help: "Skew: to at least this (largest over median subtask).") var skewMin = HistoryThresholds().skewMin
    @Option(name: .customLong("skew-rise"), help: "Skew: by at least this much.") var skewRise = HistoryThresholds().skewRise
    @Option(name: .customLong("spike-factor"), help: "In-flight spike: more than this many times the recent median.") var spikeFactor = HistoryThresholds().spikeFactor
    @Option(name: .customLong("spike-window"), help: "In-flight spike: the median is over this many checkpoints before.") var spikeWindow = HistoryThresholds().spikeWindow
    @Option(name: .customLong("spike-min-bytes"), help: "In-flight spike: and more than this.") var spikeMinBytes = ByteSizeArgument(bytes: HistoryThresholds().spikeMinBytes)
    @Option(name: .customLong("stall-intervals"), help: "Stalled split: unmoved over this many checkpoint intervals while another split advanced.") var stallIntervals = HistoryThresholds().stallIntervals

    @Option(help: ArgumentHelp("Also write a self-contained HTML page (size per operator over time, state stacked per operator) to this file.", valueName: "REPORT.html"))
    var html: String?

    @OptionGroup var store: StoreOptions

    @Flag(help: "Print the documented JSON document instead of tables.")
    var json = false

    var thresholds: HistoryThresholds {
        var t = HistoryThresholds()
        t.growthCheckpoints = growthCheckpoints
        t.growthMinBytes = growthMinBytes.bytes
        t.growthMinRatio = growthMinRatio
        t.jumpFactor = jumpFactor
        t.jumpMinBytes = jumpMinBytes.bytes
        t.skewCheckpoints = skewCheckpoints
        t.skewMin = skewMin
        t.skewRise = skewRise
        t.spikeFactor = spikeFactor
        t.spikeWindow = spikeWindow
        t.spikeMinBytes = spikeMinBytes.bytes
        t.stallIntervals = stallIntervals
        return t
    }

    func validate() throws {
        guard top >= 1 else { throw ValidationError("--top must be at least 1") }
        guard parallel >= 1 && parallel <= 64 else { throw ValidationError("--parallel must be between 1 and 64") }
        guard growthCheckpoints >= 2, skewCheckpoints >= 2 else { throw ValidationError("--growth-checkpoints and --skew-checkpoints must be at least 2") }
        guard stallIntervals >= 1, spikeWindow >= 1 else { throw ValidationError("--stall-intervals and --spike-window must be at least 1") }
        guard growthMinRatio >= 0, jumpFactor >= 1, skewMin >= 1, skewRise >= 0, spikeFactor >= 1 else {
            throw ValidationError("--growth-min-ratio and --skew-rise must be 0 or more; --jump-factor, --skew-min and --spike-factor at least 1")
        }
    }

    func run() async throws {
        let (sources, deep, thresholds, parallel) = (self.sources, self.deep, self.thresholds, self.parallel)
        let history = try await HistorySources.withInputs(sources, series: series, s3: store.s3) { inputs in
            try await CheckpointHistory.read(inputs, sources: sources, deep: deep, thresholds: thresholds, parallelism: parallel)
        }
        if let html {
            try HTMLReportFile.write(HTMLReport.history(history), to: html)
            if !json { Terminal.note("wrote \(html)") }
        }
        Terminal.out(json ? history.json.rendered() : history.text(style: Terminal.style, top: top))
    }
}
