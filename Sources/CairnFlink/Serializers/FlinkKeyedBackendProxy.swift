import CairnCore

/// The head of a keyed state file or RocksDB meta file, `KeyedBackendSerializationProxy` (§1.2): parsed exactly,
/// with the offset where it ends (where the first key group starts in full snapshots).
public struct FlinkKeyedBackendProxy: Sendable, Equatable {
    public var version: Int32
    public var compressed: Bool
    public var keySerializer: FlinkSerializerSnapshot
    /// In state-id order: a state's position is the `short` id its entries carry.
    public var states: [FlinkStateMetaRecord]
    /// Offset just after the proxy in the parsed bytes.
    public var end: Int

    public init(version: Int32, compressed: Bool, keySerializer: FlinkSerializerSnapshot, states: [FlinkStateMetaRecord], end: Int) {
        self.version = version
        self.compressed = compressed
        self.keySerializer = keySerializer
        self.states = states
        self.end = end
    }

    /// Parses the proxy starting at `offset` of `bytes`.
    public init(parsing bytes: [UInt8], at offset: Int = 0) throws {
        var r = JavaDataInput(bytes, from: offset)
        let at = r.position
        version = try r.readI32("keyed backend proxy version")
        guard version >= 6 else {
            throw FlinkSerializerError(.unsupportedVersion,
                                       "keyed backend serialization proxy version \(version); Flink ≥ 1.17 (and Cairn) read version 6 or later — migrate the snapshot with Flink 1.16",
                                       at: at)
        }
        compressed = try r.readBool("key-group compression flag")
        keySerializer = try FlinkSerializerSnapshotReader.readTopLevel(&r)
        let n = Int(try r.readU16("state count"))
        states = []
        for _ in 0..<n { states.append(try FlinkStateMetaRecord.read(&r)) }
        end = r.position
    }
}
