/// One registered state of an operator with its size over all subtasks.
public struct StateSummary: Sendable {
    public var descriptor: StateDescriptor
    public var keySerializer: SerializerInfo?
    public var valueSerializer: SerializerInfo?
    public var size: Int64
    /// Entries (keyed), elements (operator state) — nil where the format does not record it.
    public var entryCount: Int64?
    /// Bytes per subtask index.
    public var sizeBySubtask: [Int: Int64]
    /// Bytes and entries per key group, where known.
    public var keyGroups: [KeyGroupSize]
    /// Facts only a data scan gives; filled by `SnapshotView.entryStatistics()` on request.
    public var statistics: EntryStatistics?
    /// The values carry TTL timestamps (Flink's `TtlSerializer`) even where the time-to-live itself is not recorded:
    /// Flink keeps the TTL duration in the job, not in the snapshot.
    public var ttlTimestamps: Bool = false

    public init(
        descriptor: StateDescriptor, keySerializer: SerializerInfo?, valueSerializer: SerializerInfo?, size: Int64,
        entryCount: Int64?, sizeBySubtask: [Int: Int64], keyGroups: [KeyGroupSize], statistics: EntryStatistics? = nil
    ) {
        self.statistics = statistics
        self.descriptor = descriptor
        self.keySerializer = keySerializer
        self.valueSerializer = valueSerializer
        self.size = size
        self.entryCount = entryCount
        self.sizeBySubtask = sizeBySubtask
        self.keyGroups = keyGroups
    }
}
