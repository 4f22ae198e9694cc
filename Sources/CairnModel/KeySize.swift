/// One key found by a data scan, with the bytes its entries take.
public struct KeySize: Sendable, Equatable {
    public var operatorID: OperatorID
    public var state: String
    public var keyGroup: Int
    public var key: [UInt8]
    public var size: Int64
    public var entries: Int64

    public init(operatorID: OperatorID, state: String, keyGroup: Int, key: [UInt8], size: Int64, entries: Int64) {
        self.operatorID = operatorID
        self.state = state
        self.keyGroup = keyGroup
        self.key = key
        self.size = size
        self.entries = entries
    }
}
