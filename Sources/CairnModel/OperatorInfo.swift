/// The identity and shape of an operator (format spec §6.4).
public struct OperatorInfo: Sendable, Equatable {
    public var id: OperatorID
    public var uid: String
    public var name: String
    public var parallelism: Int
    public var maxParallelism: Int

    public init(id: OperatorID, uid: String, name: String, parallelism: Int, maxParallelism: Int) {
        self.id = id
        self.uid = uid
        self.name = name
        self.parallelism = parallelism
        self.maxParallelism = maxParallelism
    }

    /// How people refer to the operator: its name, then uid, then the hex id.
    public var displayName: String { !name.isEmpty ? name : !uid.isEmpty ? uid : id.hex }
}
