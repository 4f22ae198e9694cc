import CairnCore
import CairnModel

/// Decodes FLIP-27 source reader splits from `SourceReaderState` elements (research notes §7): each element is
/// `int length` (byte-array serializer), `int splitSerializerVersion`, `int length`, split bytes. Kafka, Kinesis
/// and number-sequence splits are recognized by their exact layout; others are kept opaque with their version.
public enum FlinkSourceSplits {
    public static func decode(element: [UInt8], index: Int) -> SourceSplit? {
        var r = JavaDataInput(element)
        guard let outer = try? r.readI32("byte array length"), Int(outer) == r.remaining,
              let version = try? r.readI32("split serializer version"),
              let len = try? r.readI32("split length"), Int(len) == r.remaining,
              let bytes = try? r.readBytes(Int(len), "split")
        else { return nil }
        if let s = kafka(bytes) ?? numberSequence(bytes, version: version) ?? kinesis(bytes) { return s }
        return SourceSplit(splitId: "split-\(index)", position: .generic(serializer: "unknown", serializerVersion: UInt64(max(0, version)), position: bytes))
    }

    /// `KafkaPartitionSplitSerializer` v0: UTF topic, int partition, long startingOffset, long stoppingOffset.
    static func kafka(_ b: [UInt8]) -> SourceSplit? {
        var r = JavaDataInput(b)
        guard let topic = try? r.readUTF("topic"), !topic.isEmpty, let partition = try? r.readI32("partition"), partition >= 0,
              let offset = try? r.readI64("starting offset"), (try? r.readI64("stopping offset")) != nil, r.isAtEnd
        else { return nil }
        return SourceSplit(splitId: "\(topic)-\(partition)", position: .kafka(topic: topic, partition: Int(partition), nextOffset: offset))
    }

    /// `NumberSequenceSource.SplitSerializer` v1: UTF splitId, long from, long to.
    static func numberSequence(_ b: [UInt8], version: Int32) -> SourceSplit? {
        guard version == 1 else { return nil }
        var r = JavaDataInput(b)
        guard let id = try? r.readUTF("split id"), let from = try? r.readI64("from"), let to = try? r.readI64("to"), r.isAtEnd else { return nil }
        return SourceSplit(splitId: id, position: .numberSequence(next: from, last: to))
    }

    /// `KinesisShardSplitSerializer`: UTF stream ARN, UTF shard id, UTF iterator type, then an optional marker.
    static func kinesis(_ b: [UInt8]) -> SourceSplit? {
        var r = JavaDataInput(b)
        guard let stream = try? r.readUTF("stream"), stream.hasPrefix("arn:"), let shard = try? r.readUTF("shard"),
              let iterator = try? r.readUTF("iterator type")
        else { return nil }
        var position = iterator
        if (try? r.readBool("hasMarker")) == true {
            if (try? r.readBool("isInstant")) == true, let ms = try? r.readI64("epoch millis") {
                position = "\(iterator) at \(ms)"
            } else if (try? r.readBool("isString")) == true, let marker = try? r.readUTF("marker") {
                position = marker
            }
        }
        return SourceSplit(splitId: shard, position: .kinesis(stream: stream, shardId: shard, sequenceNumber: position))
    }
}
