/// One operator's sizes and states.
public struct OperatorSummary: Sendable {
    public var info: OperatorInfo
    public var coordinatorSize: Int64
    public var subtasks: [SubtaskSummary]
    public var states: [StateSummary]
    /// Every subtask had finished (bounded input) when the snapshot was taken; nothing of it is stored.
    public var fullyFinished = false

    public init(info: OperatorInfo, coordinatorSize: Int64, subtasks: [SubtaskSummary], states: [StateSummary]) {
        self.info = info
        self.coordinatorSize = coordinatorSize
        self.subtasks = subtasks
        self.states = states
    }

    public var stateSize: Int64 { subtasks.reduce(coordinatorSize) { $0 + $1.stateSize } }
    public var checkpointedSize: Int64 { subtasks.reduce(coordinatorSize) { $0 + $1.checkpointedSize } }
    public var keyedSize: Int64 { subtasks.reduce(0) { $0 + $1.keyedSize } }
    public var operatorStateSize: Int64 { subtasks.reduce(0) { $0 + $1.operatorSize } }
    public var inFlightSize: Int64 { subtasks.reduce(0) { $0 + $1.inFlightSize } }

    /// Largest subtask state over the mean: 1.0 is perfectly even. Nil without state.
    public var skew: Double? {
        guard !subtasks.isEmpty else { return nil }
        let sizes = subtasks.map(\.stateSize)
        let mean = Double(sizes.reduce(0, +)) / Double(info.parallelism)
        guard mean > 0 else { return nil }
        return Double(sizes.max() ?? 0) / mean
    }
}
