/// A serializer known to the snapshot: a name and version, and a typed schema where one exists.
public struct SerializerInfo: Sendable, Equatable {
    /// The name used for values encoded with a Cairn typed schema.
    public static let typedName = "cairn.typed"

    public var name: String
    public var version: UInt64
    public var schema: Schema?
    /// The engine's own serializer snapshot, carried as it is.
    public var configuration: [UInt8]

    public init(name: String, version: UInt64, schema: Schema? = nil, configuration: [UInt8] = []) {
        self.name = name
        self.version = version
        self.schema = schema
        self.configuration = configuration
    }

    public static func typed(_ schema: Schema, version: UInt64) -> SerializerInfo {
        SerializerInfo(name: typedName, version: version, schema: schema)
    }
}
