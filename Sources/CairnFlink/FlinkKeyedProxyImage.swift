import CairnCore

/// A keyed backend serialization proxy (§3.1) kept as bytes: the key serializer snapshot and each state's STATEMETA
/// record exactly as the input stored them, beside their parsed form. A rewrite writes a new proxy from these
/// pieces (fewer states, another order) without re-serializing any serializer snapshot, so serializers Flink
/// checks on restore stay byte-identical.
public struct FlinkKeyedProxyImage: Sendable, Equatable {
    /// The parsed proxy.
    public var proxy: FlinkKeyedBackendProxy
    /// The key serializer snapshot in its top-level form (`int 2`, class, version, payload).
    public var keySerializerBytes: [UInt8]
    /// Each state's STATEMETA record, in the proxy's (state-id) order.
    public var stateRecordBytes: [[UInt8]]

    /// Parses the proxy at the start of `bytes` (a key-group file's head or a RocksDB meta file).
    public init(parsing bytes: [UInt8]) throws {
        var r = JavaDataInput(bytes)
        let at = r.position
        let version = try r.readI32("keyed backend proxy version")
        guard version >= 6 else {
            throw FlinkSerializerError(.unsupportedVersion,
                                       "keyed backend serialization proxy version \(version); Flink ≥ 1.17 (and Cairn) read version 6 or later — migrate the snapshot with Flink 1.16",
                                       at: at)
        }
        let compressed = try r.readBool("key-group compression flag")
        let keyStart = r.position
        let key = try FlinkSerializerSnapshotReader.readTopLevel(&r)
        keySerializerBytes = Array(bytes[keyStart..<r.position])
        let n = Int(try r.readU16("state count"))
        var states: [FlinkStateMetaRecord] = []
        var records: [[UInt8]] = []
        for _ in 0..<n {
            let start = r.position
            states.append(try FlinkStateMetaRecord.read(&r))
            records.append(Array(bytes[start..<r.position]))
        }
        proxy = FlinkKeyedBackendProxy(version: version, compressed: compressed, keySerializer: key, states: states, end: r.position)
        stateRecordBytes = records
    }

    /// Builds an image from parts already cut (e.g. the union of several subtasks' states).
    public init(proxy: FlinkKeyedBackendProxy, keySerializerBytes: [UInt8], stateRecordBytes: [[UInt8]]) {
        self.proxy = proxy
        self.keySerializerBytes = keySerializerBytes
        self.stateRecordBytes = stateRecordBytes
    }

    /// The key serializer as a typed schema (opaque when Cairn cannot read it).
    public var keySerializer: FlinkTypeSerializer {
        proxy.keySerializer.serializer ?? .opaque(className: proxy.keySerializer.className, version: proxy.keySerializer.version)
    }

    /// The proxy bytes Flink's `KeyedBackendSerializationProxy.write` produces for the states at `indices` (in
    /// that order; the position in `indices` becomes the state id): version 6, key-group compression off.
    public func serialized(states indices: [Int]) -> [UInt8] {
        var w = ByteWriter(capacity: keySerializerBytes.count + 64)
        w.writeU32(6)
        w.writeU8(0)
        w.writeRaw(keySerializerBytes)
        w.writeU16(UInt16(indices.count))
        for i in indices { w.writeRaw(stateRecordBytes[i]) }
        return w.bytes
    }
}
