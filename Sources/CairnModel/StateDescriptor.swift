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
