import CairnCore
import CairnModel

/// Operators ranked by state size, for reports that must stay readable and small at any job size: past
/// `operatorLimit` operators or `subtaskLimit` subtasks the tables and the HTML page show the `top` largest
/// operators, one "others" row summing the rest, and subtask distributions (percentiles, bins) instead of one
/// cell per subtask. The JSON document never aggregates.
public struct OperatorRanking: Sendable {
    /// Operators beyond which reports aggregate.
    public static let operatorLimit = 50
    /// Subtasks per operator beyond which reports show distributions instead of every subtask.
    public static let subtaskLimit = 64
    /// How many operators aggregated reports show by default.
    public static let defaultTop = 20

    /// One operator with its sums computed once (the summary's are recomputed on every access).
    public struct Ranked: Sendable {
        public var summary: OperatorSummary
        public var stateSize: Int64
        public var checkpointedSize: Int64
        public var keyedSize: Int64
        public var operatorSize: Int64
        public var inFlightSize: Int64
        public var distribution: SubtaskDistribution

        init(_ op: OperatorSummary) {
            summary = op
            var (state, checkpointed, keyed, opState, inFlight) = (op.coordinatorSize, op.coordinatorSize, Int64(0), Int64(0), Int64(0))
            for st in op.subtasks {
                state += st.stateSize
                checkpointed += st.checkpointedSize
                keyed += st.keyedSize
                opState += st.operatorSize
                inFlight += st.inFlightSize
            }
            (stateSize, checkpointedSize, keyedSize, operatorSize, inFlightSize) = (state, checkpointed, keyed, opState, inFlight)
            distribution = SubtaskDistribution(op)
        }
    }

    /// Sums over the operators not shown.
    public struct Others: Sendable, Equatable {
        public var count = 0
        public var stateSize: Int64 = 0
        public var checkpointedSize: Int64 = 0
        public var keyedSize: Int64 = 0
        public var operatorSize: Int64 = 0
        public var inFlightSize: Int64 = 0
        public var coordinatorSize: Int64 = 0
    }

    /// Every operator, largest state first (ties by name, then id, so the order is stable).
    public var ranked: [Ranked]
    /// Whether reports aggregate: more than `operatorLimit` operators or more than `subtaskLimit` subtasks in one.
    public var aggregated: Bool
    /// The operators shown: all of them, or the `top` largest when aggregated.
    public var shown: ArraySlice<Ranked>
    /// What the operators not shown sum to (count 0 when all are shown).
    public var others: Others
    /// The largest parallelism of any operator.
    public var maxParallelism: Int

    public init(_ operators: [OperatorSummary], top: Int = OperatorRanking.defaultTop) {
        ranked = operators.map(Ranked.init).sorted {
            $0.stateSize != $1.stateSize ? $0.stateSize > $1.stateSize
                : $0.summary.info.displayName != $1.summary.info.displayName ? $0.summary.info.displayName < $1.summary.info.displayName
                : $0.summary.info.id.hex < $1.summary.info.id.hex
        }
        maxParallelism = operators.reduce(0) { max($0, $1.info.parallelism, $1.subtasks.count) }
        aggregated = operators.count > Self.operatorLimit || maxParallelism > Self.subtaskLimit
        shown = aggregated ? ranked.prefix(max(1, top)) : ranked[...]
        others = Others()
        for r in ranked.dropFirst(shown.count) {
            others.count += 1
            others.stateSize += r.stateSize
            others.checkpointedSize += r.checkpointedSize
            others.keyedSize += r.keyedSize
            others.operatorSize += r.operatorSize
            others.inFlightSize += r.inFlightSize
            others.coordinatorSize += r.summary.coordinatorSize
        }
    }

    /// What an aggregated report says it left out, e.g. "showing the top 20 of 1,000 operators by state; the 980
    /// others sum to 1.2 GiB", and with `subtasks` how subtasks were summarised. Nil when nothing was aggregated.
    public func aggregationNote(subtasks: String? = nil) -> String? {
        guard aggregated else { return nil }
        var note = "showing the top \(shown.count) of \(Self.grouped(ranked.count)) operators by state"
        if others.count > 0 {
            note += "; the \(Self.grouped(others.count)) others sum to \(ByteCount.format(others.stateSize))"
        }
        if let subtasks, maxParallelism > Self.subtaskLimit {
            note += "; subtasks (up to \(Self.grouped(maxParallelism)) per operator) \(subtasks)"
        }
        return note
    }

    /// `1,000`: thousands separated, for counts in notes.
    static func grouped(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return (n < 0 ? "-" : "") + out
    }
}

/// How an operator's state spreads over its subtasks: nearest-rank percentiles, and the subtasks cut into at most
/// `maxBins` runs of consecutive indices (each with its largest and total size) for heat maps that stay one screen
/// wide at any parallelism. Subtasks the snapshot does not list hold no state and count as 0.
public struct SubtaskDistribution: Sendable, Equatable {
    /// Bins a heat-map row has at most.
    public static let maxBins = 64

    public struct Bin: Sendable, Equatable {
        public var first: Int
        public var last: Int
        public var max: Int64
        public var sum: Int64
        public var finished: Int
    }

    public var count: Int
    public var min: Int64
    public var p50: Int64
    public var p90: Int64
    public var p99: Int64
    public var max: Int64
    public var bins: [Bin]

    public init(_ op: OperatorSummary) {
        let n = Swift.max(op.info.parallelism, op.subtasks.count, op.subtasks.map { $0.index + 1 }.max() ?? 0)
        var sizes = [Int64](repeating: 0, count: n)
        var finished = [Bool](repeating: false, count: n)
        for st in op.subtasks where st.index >= 0 && st.index < n {
            sizes[st.index] += st.stateSize
            finished[st.index] = st.finished
        }
        count = n
        let width = Swift.max(1, (n + Self.maxBins - 1) / Self.maxBins)
        bins = stride(from: 0, to: n, by: width).map { first in
            let last = Swift.min(n, first + width) - 1
            let slice = sizes[first...last]
            return Bin(first: first, last: last, max: slice.max() ?? 0, sum: slice.reduce(0, +),
                       finished: finished[first...last].filter { $0 }.count)
        }
        let sorted = sizes.sorted()
        func rank(_ p: Int) -> Int64 {
            guard !sorted.isEmpty else { return 0 }
            return sorted[Swift.max(0, (p * sorted.count + 99) / 100 - 1)]
        }
        (min, p50, p90, p99, max) = (sorted.first ?? 0, rank(50), rank(90), rank(99), sorted.last ?? 0)
    }
}
