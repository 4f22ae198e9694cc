/// Where a source will resume reading one split.
public enum SplitPosition: Sendable, Equatable {
    /// Kafka: the next offset to read of one topic partition.
    case kafka(topic: String, partition: Int, nextOffset: Int64)
    /// Kinesis: the sequence number (or starting position) of one shard.
    case kinesis(stream: String, shardId: String, sequenceNumber: String)
    /// Flink's number-sequence source: the next number to emit and the last one of the split.
    case numberSequence(next: Int64, last: Int64)
    /// Any other source: its serializer's identity and the position's bytes.
    case generic(serializer: String, serializerVersion: UInt64, position: [UInt8])
}

/// A source split of a subtask and its position (format spec §6.4, SourceSplit).
public struct SourceSplit: Sendable, Equatable {
    public var splitId: String
    public var position: SplitPosition

    public init(splitId: String, position: SplitPosition) {
        self.splitId = splitId
        self.position = position
    }
}

/// One input channel or output subpartition whose buffers an unaligned checkpoint persisted.
public struct ChannelID: Sendable, Hashable, Comparable, CustomStringConvertible {
    public enum Direction: UInt8, Sendable { case input = 0, output = 1 }

    public var direction: Direction
    /// Input gate, or output partition.
    public var gate: Int
    /// Input channel, or subpartition.
    public var channel: Int

    public init(direction: Direction, gate: Int, channel: Int) {
        self.direction = direction
        self.gate = gate
        self.channel = channel
    }

    public static func < (a: ChannelID, b: ChannelID) -> Bool {
        (a.direction.rawValue, a.gate, a.channel) < (b.direction.rawValue, b.gate, b.channel)
    }

    public var description: String {
        direction == .input ? "input gate \(gate) channel \(channel)" : "output partition \(gate) subpartition \(channel)"
    }
}
