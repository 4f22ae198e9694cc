/// The kind of a state, as the engine registered it (format spec §6.4).
public enum StateKind: UInt8, Sendable, CaseIterable {
    case value = 0, list, map, reducing, aggregating, timers
    case operatorList = 6, operatorUnion, broadcast

    public var isKeyed: Bool { rawValue <= 5 }

    public var name: String {
        switch self {
        case .value: "value"
        case .list: "list"
        case .map: "map"
        case .reducing: "reducing"
        case .aggregating: "aggregating"
        case .timers: "timers"
        case .operatorList: "operator-list"
        case .operatorUnion: "operator-union"
        case .broadcast: "broadcast"
        }
    }

    public init?(name: String) {
        guard let k = StateKind.allCases.first(where: { $0.name == name }) else { return nil }
        self = k
    }
}

/// State time-to-live as configured on a descriptor.
public struct StateTTL: Sendable, Equatable {
    public enum UpdateType: UInt8, Sendable { case onCreateAndWrite = 0, onReadAndWrite = 1 }
    public enum Visibility: UInt8, Sendable { case neverReturnExpired = 0, returnExpiredIfNotCleanedUp = 1 }

    public var millis: UInt64
    public var update: UpdateType
    public var visibility: Visibility

    public init(millis: UInt64, update: UpdateType = .onCreateAndWrite, visibility: Visibility = .neverReturnExpired) {
        self.millis = millis
        self.update = update
        self.visibility = visibility
    }

    public var updateName: String { update == .onCreateAndWrite ? "on-create-and-write" : "on-read-and-write" }
    public var visibilityName: String {
        visibility == .neverReturnExpired ? "never-return-expired" : "return-expired-if-not-cleaned-up"
    }
}

/// A registered state of an operator: its name, kind, serializers and TTL.
public struct StateDescriptor: Sendable, Equatable {
    public var name: String
    public var kind: StateKind
    /// Ids into the snapshot's serializer registry.
    public var keySerializer: Int?
    public var namespaceSerializer: Int?
    public var valueSerializer: Int?
    public var ttl: StateTTL?

    public init(
        name: String, kind: StateKind, keySerializer: Int? = nil, namespaceSerializer: Int? = nil,
        valueSerializer: Int? = nil, ttl: StateTTL? = nil
    ) {
        self.name = name
        self.kind = kind
        self.keySerializer = keySerializer
        self.namespaceSerializer = namespaceSerializer
        self.valueSerializer = valueSerializer
        self.ttl = ttl
    }
}

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
