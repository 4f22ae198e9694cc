/// One logical entry of a keyed state, decoded: a map state gives one entry per map key, a list state one entry
/// with the whole list, a timer state one entry per timer (value = its timestamp).
public struct FlinkStateEntry: Sendable, Equatable {
    public var keyGroup: Int
    public var key: FlinkValue
    /// `.voidNamespace` when the state has no window.
    public var namespace: FlinkValue
    /// MapState only: the map key.
    public var userKey: FlinkValue?
    public var value: FlinkValue

    public init(keyGroup: Int, key: FlinkValue, namespace: FlinkValue, userKey: FlinkValue? = nil, value: FlinkValue) {
        self.keyGroup = keyGroup
        self.key = key
        self.namespace = namespace
        self.userKey = userKey
        self.value = value
    }
}
