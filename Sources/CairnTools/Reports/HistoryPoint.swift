import CairnFlink
import CairnModel

/// One checkpoint of a history, reduced to what a history shows: sizes per operator, subtask and state, in-flight
/// bytes and split positions. A history keeps these, never the views, so its memory grows with the number of
/// operators and checkpoints, not with the size of the state.
public struct HistoryPoint: Sendable {
    /// The snapshot as the user named it.
    public var source: String
    /// The summary without per-key-group sizes, entry statistics or per-subtask state sizes.
    public var summary: SnapshotSummary
    /// Epoch milliseconds: the snapshot's own time, else its `_metadata`'s modification time; nil when neither is known.
    public var time: Int64?
    /// Per-state sizes are measured: a native snapshot's index, or a scan with `--deep`. Without them, a Flink
    /// checkpoint names only its operator states.
    public var statesMeasured: Bool
    /// Bytes read from storage to make this point.
    public var bytesRead: UInt64

    /// Largest and median subtask of each operator, of its running subtasks.
    public var subtaskSpread: [OperatorID: (largest: Int64, median: Int64)]
    /// Largest over median subtask of each operator that has one (see `skew(_:)`).
    public var skews: [OperatorID: Double]

    /// Keeps what a history needs of `summary`: each operator's sizes, its largest and median subtask and skew, and
    /// the subtasks holding source splits. Every other subtask is folded into one, so a checkpoint costs memory by its
    /// operators and splits, not by its subtasks: 1,000 operators × 256 subtasks keep a few hundred kilobytes here.
    public init(source: String, summary: SnapshotSummary, time: Int64?, statesMeasured: Bool, bytesRead: UInt64) {
        self.source = source
        self.time = time
        self.statesMeasured = statesMeasured
        self.bytesRead = bytesRead
        var spread: [OperatorID: (largest: Int64, median: Int64)] = [:], skews: [OperatorID: Double] = [:]
        var compact = summary
        compact.storage = nil
        for o in compact.operators.indices {
            let op = compact.operators[o]
            let running = op.subtasks.filter { !$0.finished }.map(\.stateSize).sorted()
            if let largest = running.last { spread[op.info.id] = (largest, Int64(Self.median(running).rounded())) }
            skews[op.info.id] = Self.skew(op)
            for s in op.states.indices {
                compact.operators[o].states[s].keyGroups = []
                compact.operators[o].states[s].statistics = nil
                compact.operators[o].states[s].sizeBySubtask = [:]
            }
            let rest = op.subtasks.filter(\.splits.isEmpty)
            guard rest.count > 1 else { continue }
            var folded = SubtaskSummary(
                index: -1, keyedSize: rest.reduce(0) { $0 + $1.keyedSize }, operatorSize: rest.reduce(0) { $0 + $1.operatorSize },
                inputChannelSize: rest.reduce(0) { $0 + $1.inputChannelSize }, outputSubpartitionSize: rest.reduce(0) { $0 + $1.outputSubpartitionSize },
                checkpointedSize: rest.reduce(0) { $0 + $1.checkpointedSize }, keyGroups: nil, splits: [])
            folded.finished = rest.allSatisfy(\.finished)
            compact.operators[o].subtasks = op.subtasks.filter { !$0.splits.isEmpty } + [folded]
        }
        self.summary = compact
        self.subtaskSpread = spread
        self.skews = skews
    }

    /// Reads one snapshot: metadata only, plus a scan of the state data with `deep`.
    public static func read(_ input: HistoryInput, deep: Bool) throws -> HistoryPoint {
        let (view, fileTime) = try input.open()
        var summary = try view.summary()
        let flink = view as? FlinkSnapshot
        if deep {
            if let flink { summary = summary.addingRegisteredStates(of: flink) }
            summary = summary.merging(scanned: try view.scanStates())
        }
        let time = summary.metadata.createdAt != 0 ? summary.metadata.createdAt : fileTime
        return HistoryPoint(source: input.label, summary: summary, time: time, statesMeasured: deep || flink == nil, bytesRead: view.bytesRead)
    }

    public var id: String { summary.metadata.snapshotId }

    /// The operator with `id`, if this checkpoint has it.
    public func operatorSummary(_ id: OperatorID) -> OperatorSummary? { summary.operators.first { $0.info.id == id } }

    /// Largest subtask over the median subtask of an operator's state (the median, unlike the mean, is not pulled
    /// up by the hot subtask itself). Nil with fewer than two running subtasks or an empty median.
    public static func skew(_ op: OperatorSummary) -> Double? {
        let sizes = op.subtasks.filter { !$0.finished }.map(\.stateSize).sorted()
        guard sizes.count >= 2, let max = sizes.last else { return nil }
        let median = Self.median(sizes)
        guard median > 0 else { return nil }
        return Double(max) / median
    }

    /// The middle of ascending `sizes`, or the mean of the two middle ones.
    static func median(_ sizes: [Int64]) -> Double {
        let mid = sizes.count / 2
        return sizes.count % 2 == 1 ? Double(sizes[mid]) : Double(sizes[mid - 1] + sizes[mid]) / 2
    }
}
