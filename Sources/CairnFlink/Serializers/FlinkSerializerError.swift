import CairnCore

/// Why Cairn could not read a serializer snapshot or a value: what, where (offset, serializer class, state) and
/// what to do. Undecodable input is a finding (exit status 1).
public struct FlinkSerializerError: CairnError, Equatable {
    public enum Kind: String, Sendable, Equatable {
        /// A snapshot class Cairn does not know, whose payload has no length so nothing after it can be read.
        case unknownSerializer
        case unsupportedVersion
        /// Bytes that do not match the layout.
        case malformed
        /// A valid layout Cairn does not decode (Kryo values, externalizable Java objects…).
        case unsupported
        /// A count, length or depth beyond Cairn's bounds.
        case limit
        /// A key whose Java `hashCode` cannot be recomputed without the user's class.
        case unhashableKey
        /// A user-typed key or value that does not fit the serializer.
        case invalidInput
    }

    public var kind: Kind
    public var message: String
    /// Offset in the bytes being decoded, when there are some.
    public var offset: Int?
    /// The snapshot class concerned, if one is.
    public var serializerClass: String?
    /// The state concerned, filled in by callers that know it.
    public var state: String?

    public init(_ kind: Kind, _ message: String, at offset: Int? = nil, serializerClass: String? = nil, state: String? = nil) {
        self.kind = kind
        self.message = message
        self.offset = offset
        self.serializerClass = serializerClass
        self.state = state
    }

    /// The snapshot class `className` (version `version`) at `offset` is not one Cairn reads.
    public static func unknownSerializer(_ className: String, version: Int32, at offset: Int) -> FlinkSerializerError {
        FlinkSerializerError(.unknownSerializer,
                             "Cairn cannot read this serializer: \(className) (snapshot version \(version)); its snapshot has no length, so the rest of the proxy cannot be read exactly",
                             at: offset, serializerClass: className)
    }

    public var description: String {
        var s = message
        if let state { s = "state \(state): " + s }
        if let serializerClass, !message.contains(serializerClass) { s += " (serializer \(serializerClass))" }
        if let offset { s += " at offset \(offset)" }
        switch kind {
        case .unknownSerializer, .unsupported: s += "; the state's bytes can still be copied, but not decoded"
        case .unhashableKey: s += "; give the key group instead, or use a key type with a value-based hashCode"
        case .invalidInput: break
        default: s += "; the state file may be damaged — run cairn validate on the snapshot"
        }
        return s
    }

    public var exitStatus: Int32 { kind == .invalidInput ? 2 : 1 }
}
