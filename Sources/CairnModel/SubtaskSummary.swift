/// One subtask's sizes, split the way Flink reports them.
public struct SubtaskSummary: Sendable {
    public var index: Int
    public var keyedSize: Int64
    public var operatorSize: Int64
    public var inputChannelSize: Int64
    public var outputSubpartitionSize: Int64
    /// Bytes new in this snapshot (equal to `stateSize` unless the engine shares files between snapshots).
    public var checkpointedSize: Int64
    public var keyGroups: KeyGroupRange?
    public var splits: [SourceSplit]
    /// The subtask had finished when the snapshot was taken; it holds no state.
    public var finished = false

    public init(
        index: Int, keyedSize: Int64, operatorSize: Int64, inputChannelSize: Int64, outputSubpartitionSize: Int64,
        checkpointedSize: Int64? = nil, keyGroups: KeyGroupRange?, splits: [SourceSplit]
    ) {
        self.index = index
        self.keyedSize = keyedSize
        self.operatorSize = operatorSize
        self.inputChannelSize = inputChannelSize
        self.outputSubpartitionSize = outputSubpartitionSize
        self.keyGroups = keyGroups
        self.splits = splits
        self.checkpointedSize = checkpointedSize ?? (keyedSize + operatorSize + inputChannelSize + outputSubpartitionSize)
    }

    public var inFlightSize: Int64 { inputChannelSize + outputSubpartitionSize }
    public var stateSize: Int64 { keyedSize + operatorSize + inFlightSize }
}
