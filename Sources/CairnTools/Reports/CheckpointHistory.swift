import CairnCore
import CairnModel

/// A job's checkpoints over time (`cairn history`): per checkpoint the full and checkpointed size of each operator
/// and state, in-flight bytes, skew and source progress, plus the flags an operator of the job looks for.
public struct CheckpointHistory: Sendable {
    /// The SOURCE arguments.
    public var sources: [String]
    public var deep: Bool
    public var thresholds: HistoryThresholds
    /// Oldest first: by time where every checkpoint has one, then by checkpoint id.
    public var points: [HistoryPoint]
    /// Per point, each split's progress since the point before (all `added` at the first).
    public var progress: [[SplitProgress]]
    public var flags: [HistoryFlag]

    /// Reads every input (`parallelism` at a time, each on a thread of its own) and builds the history. Only the
    /// reduced points are kept, so memory is bounded by `parallelism` open snapshots plus the points.
    public static func read(_ inputs: [HistoryInput], sources: [String], deep: Bool, thresholds: HistoryThresholds = HistoryThresholds(),
                            parallelism: Int = 4) async throws -> CheckpointHistory {
        var points = [HistoryPoint?](repeating: nil, count: inputs.count)
        try await withThrowingTaskGroup(of: (Int, HistoryPoint).self) { group in
            var next = 0
            func start() {
                let i = next, input = inputs[i]
                next += 1
                group.addTask { (i, try await BlockingBridge.offPool { try HistoryPoint.read(input, deep: deep) }) }
            }
            while next < min(max(1, parallelism), inputs.count) { start() }
            while let (i, point) = try await group.next() {
                points[i] = point
                if next < inputs.count { start() }
            }
        }
        return build(points.compactMap { $0 }, sources: sources, deep: deep, thresholds: thresholds)
    }

    /// Orders the points, compares each with the one before, and finds the flags.
    public static func build(_ points: [HistoryPoint], sources: [String], deep: Bool, thresholds: HistoryThresholds = HistoryThresholds()) -> CheckpointHistory {
        var points = points
        if !timesAgreeWithIDs(points) {
            // Copied files (a git checkout, a restore from backup) carry the copy's times: rates from them would lie.
            for i in points.indices { points[i].time = nil }
        }
        let timed = points.allSatisfy { $0.time != nil }
        let ordered = points.enumerated().sorted { a, b in
            let (x, y) = (a.element, b.element)
            if timed, x.time != y.time { return x.time! < y.time! }
            let (i, j) = (Int64(x.id), Int64(y.id))
            if let i, let j, i != j { return i < j }
            return a.offset < b.offset
        }.map(\.element)
        let progress = ordered.indices.map { i in
            ordered[i].summary.operators.flatMap { SplitProgress.compare(i == 0 ? nil : ordered[i - 1].operatorSummary($0.info.id), $0) }
        }
        var history = CheckpointHistory(sources: sources, deep: deep, thresholds: thresholds, points: ordered, progress: progress, flags: [])
        let finder = HistoryFlagFinder(points: ordered, progress: progress, t: thresholds)
        history.flags = finder.find(
            operatorSeries: history.series { $0.map { Double($0.stateSize) } },
            stateSeries: history.stateSeries(),
            skewSeries: history.skewSeries(),
            inFlightSeries: history.series { $0.map { Double($0.inFlightSize) } })
        return history
    }

    /// Within each job, later checkpoint ids have later times and the times are at least a second apart on average;
    /// otherwise the times are file times of copies, not of the checkpoints.
    static func timesAgreeWithIDs(_ points: [HistoryPoint]) -> Bool {
        for (_, job) in Dictionary(grouping: points, by: { $0.summary.metadata.jobId }) {
            let known = job.compactMap { p in p.time.flatMap { t in Int64(p.id).map { ($0, t) } } }.sorted { $0.0 < $1.0 }
            guard known.count >= 2 else { continue }
            for (a, b) in zip(known, known.dropFirst()) where b.1 < a.1 { return false }
            if known.last!.1 - known.first!.1 < Int64(known.count - 1) * 1000 { return false }
        }
        return true
    }

    /// Every operator of any checkpoint, in order of first appearance, with its latest name.
    public var operators: [OperatorInfo] {
        var seen: [OperatorID: Int] = [:]
        var out: [OperatorInfo] = []
        for p in points {
            for o in p.summary.operators {
                if let i = seen[o.info.id] { out[i] = o.info } else { seen[o.info.id] = out.count; out.append(o.info) }
            }
        }
        return out
    }

    /// The operators by their size at the latest checkpoint that has them, largest first.
    public var operatorsByLatestSize: [OperatorInfo] {
        func latest(_ id: OperatorID) -> Int64 { points.last { $0.operatorSummary(id) != nil }?.operatorSummary(id)?.stateSize ?? 0 }
        return operators.map { ($0, latest($0.id)) }.sorted { $0.1 > $1.1 }.map(\.0)
    }

    /// One value per operator per checkpoint.
    func series(_ value: (OperatorSummary?) -> Double?) -> [HistoryFlagFinder.Series] {
        operators.map { info in
            HistoryFlagFinder.Series(operatorID: info.id, operatorName: info.displayName, state: nil,
                                     values: points.map { p in p.operatorSummary(info.id).flatMap { value($0) } })
        }
    }

    /// Each operator's skew per checkpoint.
    func skewSeries() -> [HistoryFlagFinder.Series] {
        operators.map { info in
            HistoryFlagFinder.Series(operatorID: info.id, operatorName: info.displayName, state: nil, values: points.map { $0.skews[info.id] })
        }
    }

    /// One size per measured state per checkpoint; nil where the checkpoint did not measure it.
    func stateSeries() -> [HistoryFlagFinder.Series] {
        var out: [HistoryFlagFinder.Series] = []
        for info in operators {
            var names: [String] = []
            for p in points where p.statesMeasured {
                for s in p.operatorSummary(info.id)?.states ?? [] where !names.contains(s.descriptor.name) { names.append(s.descriptor.name) }
            }
            for name in names {
                out.append(HistoryFlagFinder.Series(operatorID: info.id, operatorName: info.displayName, state: name, values: points.map { p in
                    guard p.statesMeasured, let op = p.operatorSummary(info.id) else { return nil }
                    return op.states.first { $0.descriptor.name == name }.map { Double($0.size) }
                }))
            }
        }
        return out
    }

    /// Records the sources advanced since the checkpoint before, where positions count records.
    public func recordsAdvanced(at i: Int) -> Int64? {
        let counted = progress[i].compactMap(\.advanced)
        return counted.isEmpty ? nil : counted.reduce(0, +)
    }

    public var json: JSONValue {
        func checkpoint(_ i: Int) -> JSONValue {
            let p = points[i], s = p.summary
            let progressByOperator = Dictionary(grouping: progress[i], by: \.operatorID)
            return .object([
                ("id", .string(p.id)), ("source", .string(p.source)), ("kind", .string(s.metadata.kind.name)),
                ("time", p.time.map { .number($0) } ?? .null), ("jobId", .string(s.metadata.jobId)), ("format", .string(s.format)),
                ("stateSize", .number(s.stateSize)), ("checkpointedSize", .number(s.checkpointedSize)), ("keyedSize", .number(s.keyedSize)),
                ("operatorStateSize", .number(s.operatorStateSize)), ("inFlightSize", .number(s.inFlightSize)),
                ("recordsAdvanced", recordsAdvanced(at: i).map { .number($0) } ?? .null),
                ("statesMeasured", .bool(p.statesMeasured)), ("bytesRead", .number(p.bytesRead)),
                ("operators", .array(s.operators.map { o in
                    .object([
                        ("id", .string(o.info.id.hex)), ("uid", .string(o.info.uid)), ("name", .string(o.info.name)),
                        ("parallelism", .number(o.info.parallelism)),
                        ("stateSize", .number(o.stateSize)), ("checkpointedSize", .number(o.checkpointedSize)),
                        ("keyedSize", .number(o.keyedSize)), ("operatorStateSize", .number(o.operatorStateSize)),
                        ("inFlightSize", .number(o.inFlightSize)), ("coordinatorSize", .number(o.coordinatorSize)),
                        ("skew", p.skews[o.info.id].map { .double(($0 * 1000).rounded() / 1000) } ?? .null),
                        ("largestSubtaskStateSize", p.subtaskSpread[o.info.id].map { .number($0.largest) } ?? .null),
                        ("medianSubtaskStateSize", p.subtaskSpread[o.info.id].map { .number($0.median) } ?? .null),
                        ("states", .array(o.states.map { st in
                            .object([("name", .string(st.descriptor.name)), ("kind", .string(st.descriptor.kind.name)),
                                     ("size", p.statesMeasured || !st.descriptor.kind.isKeyed ? .number(st.size) : .null),
                                     ("entries", st.entryCount.map { .number($0) } ?? .null)])
                        })),
                        ("splits", .array((progressByOperator[o.info.id] ?? []).filter { $0.after != nil }.map { sp in
                            .object([("splitId", .string(sp.splitId)), ("subtask", sp.subtask.1.map { .number($0) } ?? .null),
                                     ("position", sp.after?.json ?? .null), ("status", .string(sp.status.rawValue)),
                                     ("advanced", sp.advanced.map { .number($0) } ?? .null), ("backward", .bool(sp.backward))])
                        })),
                    ])
                })),
            ])
        }
        let t = thresholds
        return .object([
            ("sources", .array(sources.map { .string($0) })), ("deep", .bool(deep)), ("checkpoints", .array(points.indices.map(checkpoint))),
            ("flags", .array(flags.map(\.json))),
            ("thresholds", .object([
                ("growthCheckpoints", .number(t.growthCheckpoints)), ("growthMinBytes", .number(t.growthMinBytes)),
                ("growthMinRatio", .double(t.growthMinRatio)), ("jumpFactor", .double(t.jumpFactor)), ("jumpMinBytes", .number(t.jumpMinBytes)),
                ("skewCheckpoints", .number(t.skewCheckpoints)), ("skewMin", .double(t.skewMin)), ("skewRise", .double(t.skewRise)),
                ("spikeFactor", .double(t.spikeFactor)), ("spikeWindow", .number(t.spikeWindow)), ("spikeMinBytes", .number(t.spikeMinBytes)),
                ("stallIntervals", .number(t.stallIntervals)),
            ])),
        ])
    }
}
