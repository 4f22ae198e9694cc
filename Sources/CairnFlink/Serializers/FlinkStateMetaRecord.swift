import CairnCore
import CairnModel

/// One STATEMETA record of a serialization proxy (§1.2, `StateMetaInfoSnapshotReadersWriters`, formats 6–7): a
/// state's name, backend type, options and serializer snapshots, parsed exactly.
public struct FlinkStateMetaRecord: Sendable, Equatable {
    /// `StateMetaInfoSnapshot.BackendStateType`, stored as its ordinal.
    public enum BackendStateType: Int32, Sendable, Equatable {
        case keyValue = 0, operatorState = 1, broadcast = 2, priorityQueue = 3, keyValueV2 = 4
    }

    /// The serializer map's keys Flink writes (`StateMetaInfoSnapshot.CommonSerializerKeys`).
    public enum SerializerKey {
        public static let key = "KEY_SERIALIZER"
        public static let namespace = "NAMESPACE_SERIALIZER"
        public static let value = "VALUE_SERIALIZER"
        public static let userKey = "USER_KEY_SERIALIZER"
    }

    public var name: String
    public var backendStateType: BackendStateType
    /// Options in stored order, e.g. `KEYED_STATE_TYPE` = `MAP`, `OPERATOR_STATE_DISTRIBUTION_MODE` = `UNION`.
    public var options: [String: String]
    /// Serializer snapshots by key (`KEY_SERIALIZER`, `NAMESPACE_SERIALIZER`, `VALUE_SERIALIZER`, `USER_KEY_SERIALIZER`).
    public var serializers: [String: FlinkSerializerSnapshot]

    public init(name: String, backendStateType: BackendStateType, options: [String: String] = [:], serializers: [String: FlinkSerializerSnapshot] = [:]) {
        self.name = name
        self.backendStateType = backendStateType
        self.options = options
        self.serializers = serializers
    }

    /// The state's kind as Cairn's model names it.
    public var kind: StateKind {
        switch backendStateType {
        case .priorityQueue: return .timers
        case .broadcast: return .broadcast
        case .operatorState: return options["OPERATOR_STATE_DISTRIBUTION_MODE"] == "UNION" ? .operatorUnion : .operatorList
        case .keyValue, .keyValueV2:
            switch options["KEYED_STATE_TYPE"] {
            case "LIST": return .list
            case "MAP": return .map
            case "REDUCING": return .reducing
            case "AGGREGATING": return .aggregating
            default: return .value
            }
        }
    }

    /// The value serializer with a TTL wrapper removed, and whether there was one.
    public var valueSerializer: FlinkTypeSerializer? { serializers[SerializerKey.value]?.serializer }
    public var namespaceSerializer: FlinkTypeSerializer? { serializers[SerializerKey.namespace]?.serializer }
    public var userKeySerializer: FlinkTypeSerializer? { serializers[SerializerKey.userKey]?.serializer }

    /// Whether the state has time-to-live (its value, list element or map value is TTL-wrapped).
    public var hasTTL: Bool {
        switch valueSerializer {
        case .ttl?: true
        case .list(.ttl)?, .map(_, .ttl)?: true
        default: false
        }
    }

    /// Reads one record at `r`'s position.
    public static func read(_ r: inout JavaDataInput) throws -> FlinkStateMetaRecord {
        try read(&r, resync: nil)
    }

    static func read(_ r: inout JavaDataInput, resync: FlinkSnapshotResync?) throws -> FlinkStateMetaRecord {
        let name = try r.readUTF("state name")
        resync?.state = name
        do {
            let at = r.position
            let ordinal = try r.readI32("backend state type")
            guard let type = BackendStateType(rawValue: ordinal) else {
                throw FlinkSerializerError(.malformed, "backend state type ordinal \(ordinal) is not one Flink defines", at: at)
            }
            var record = FlinkStateMetaRecord(name: name, backendStateType: type)
            let nOptions = try r.readCount("option count", minimumItemSize: 4)
            for _ in 0..<nOptions {
                let k = try r.readUTF("option key")
                record.options[k] = try r.readUTF("option value")
            }
            let nSerializers = try r.readCount("serializer count", minimumItemSize: 10)
            for _ in 0..<nSerializers {
                let k = try r.readUTF("serializer key")
                resync?.serializerKey = k
                record.serializers[k] = try FlinkSerializerSnapshotReader.readTopLevel(&r, resync: resync)
            }
            return record
        } catch var e as FlinkSerializerError {
            e.state = e.state ?? name
            throw e
        }
    }

    /// The record as the older `FlinkRegisteredState` (kept for callers that use it).
    public var registeredState: FlinkRegisteredState {
        var s = FlinkRegisteredState(name: name, kind: kind, keySerializer: serializers[SerializerKey.key], valueSerializer: serializers[SerializerKey.value])
        s.namespaceSerializer = serializers[SerializerKey.namespace]
        s.userKeySerializer = serializers[SerializerKey.userKey]
        s.options = options
        s.hasTTL = hasTTL
        return s
    }
}
