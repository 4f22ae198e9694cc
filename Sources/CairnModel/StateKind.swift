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
