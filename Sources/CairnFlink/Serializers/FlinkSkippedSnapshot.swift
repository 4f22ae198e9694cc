/// A serializer snapshot the exact parser could not read and skipped by resynchronising: where it is, what it is,
/// and the state and serializer key it belongs to. Its values stay opaque (`docs/flink-values.md`).
public struct FlinkSkippedSnapshot: Sendable, Equatable, CustomStringConvertible {
    /// The snapshot class, e.g. `org.apache.flink.table.runtime.typeutils.ExternalSerializer$ExternalSerializerSnapshot`.
    public var className: String
    public var version: Int32
    /// From its class name's length prefix to its last byte, in the parsed buffer.
    public var span: Range<Int>
    /// The state whose STATEMETA record holds it; nil for the proxy's key serializer.
    public var state: String?
    /// The serializer key it is (or is nested in): `VALUE_SERIALIZER`, `NAMESPACE_SERIALIZER`, `KEY_SERIALIZER`…
    public var serializerKey: String?
    /// Why the exact parser stopped there.
    public var reason: String

    public init(className: String, version: Int32, span: Range<Int>, state: String?, serializerKey: String?, reason: String) {
        self.className = className
        self.version = version
        self.span = span
        self.state = state
        self.serializerKey = serializerKey
        self.reason = reason
    }

    /// `ExternalSerializer v1 (412 bytes at 1830, state distinctAcc_0 VALUE_SERIALIZER)`.
    public var description: String {
        var s = "\(FlinkSerializerSnapshot.serializerName(className)) v\(version) (\(span.count) bytes at \(span.lowerBound)"
        if let state { s += ", state \(state)" }
        if let serializerKey { s += " \(serializerKey)" }
        return s + ")"
    }
}
