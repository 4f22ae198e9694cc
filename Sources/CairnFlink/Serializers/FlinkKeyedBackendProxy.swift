import CairnCore

/// The head of a keyed state file or RocksDB meta file, `KeyedBackendSerializationProxy` (§1.2): parsed exactly,
/// with the offset where it ends (where the first key group starts in full snapshots). Serializer snapshots Cairn
/// cannot read are skipped by resynchronising on what follows them (`FlinkSnapshotResync`); they are listed in
/// `skipped` and their serializers are `.opaque`.
public struct FlinkKeyedBackendProxy: Sendable, Equatable {
    public var version: Int32
    public var compressed: Bool
    public var keySerializer: FlinkSerializerSnapshot
    /// In state-id order: a state's position is the `short` id its entries carry.
    public var states: [FlinkStateMetaRecord]
    /// Offset just after the proxy in the parsed bytes.
    public var end: Int
    /// Snapshots that could not be read and were skipped, in order; empty when the proxy parsed exactly.
    public var skipped: [FlinkSkippedSnapshot]

    public init(version: Int32, compressed: Bool, keySerializer: FlinkSerializerSnapshot, states: [FlinkStateMetaRecord], end: Int,
                skipped: [FlinkSkippedSnapshot] = []) {
        self.version = version
        self.compressed = compressed
        self.keySerializer = keySerializer
        self.states = states
        self.end = end
        self.skipped = skipped
    }

    /// Parses the proxy starting at `offset` of `bytes`. When a serializer snapshot cannot be read, `bytes` must end
    /// exactly where the proxy does (a key-group file cut at its first key group, a whole RocksDB meta file): a
    /// resynchronised parse is accepted only if it ends there.
    public init(parsing bytes: [UInt8], at offset: Int = 0) throws {
        let (proxy, skipped) = try FlinkSnapshotResync.parse(bytes, from: offset) { r, resync in try Self(reading: &r, resync: resync) }
        self = proxy
        self.skipped = skipped
    }

    private init(reading r: inout JavaDataInput, resync: FlinkSnapshotResync) throws {
        let at = r.position
        skipped = []
        version = try r.readI32("keyed backend proxy version")
        guard version >= 6 else {
            throw FlinkSerializerError(.unsupportedVersion,
                                       "keyed backend serialization proxy version \(version); Flink ≥ 1.17 (and Cairn) read version 6 or later — migrate the snapshot with Flink 1.16",
                                       at: at)
        }
        compressed = try r.readBool("key-group compression flag")
        resync.serializerKey = FlinkStateMetaRecord.SerializerKey.key
        keySerializer = try FlinkSerializerSnapshotReader.readTopLevel(&r, resync: resync)
        let n = Int(try r.readU16("state count"))
        states = []
        for _ in 0..<n { states.append(try FlinkStateMetaRecord.read(&r, resync: resync)) }
        end = r.position
    }
}
