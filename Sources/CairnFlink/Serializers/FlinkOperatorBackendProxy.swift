import CairnCore

/// The head of an operator state file, `OperatorBackendSerializationProxy` (§1.2): version 5 (Flink 1.15–1.17)
/// has no compression flag, version 6 (1.18+) has one; then operator states and broadcast states.
public struct FlinkOperatorBackendProxy: Sendable, Equatable {
    public var version: Int32
    public var compressed: Bool
    public var operatorStates: [FlinkStateMetaRecord]
    public var broadcastStates: [FlinkStateMetaRecord]
    /// Offset just after the proxy in the parsed bytes.
    public var end: Int

    public init(parsing bytes: [UInt8], at offset: Int = 0) throws {
        var r = JavaDataInput(bytes, from: offset)
        let at = r.position
        version = try r.readI32("operator backend proxy version")
        guard version >= 5, version <= 6 else {
            throw FlinkSerializerError(.unsupportedVersion, "operator backend serialization proxy version \(version); Cairn reads versions 5 and 6", at: at)
        }
        compressed = version >= 6 ? try r.readBool("operator state compression flag") : false
        operatorStates = []
        for _ in 0..<Int(try r.readU16("operator state count")) { operatorStates.append(try FlinkStateMetaRecord.read(&r)) }
        broadcastStates = []
        for _ in 0..<Int(try r.readU16("broadcast state count")) { broadcastStates.append(try FlinkStateMetaRecord.read(&r)) }
        end = r.position
    }
}
