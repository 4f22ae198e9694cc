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
