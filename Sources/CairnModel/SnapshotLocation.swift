import CairnCore

/// Where in a snapshot a problem is: as much of file, byte offset, block, operator, subtask and state as is known.
public struct SnapshotLocation: Sendable, Equatable, CustomStringConvertible {
    public var file: String?
    /// Absolute byte offset in the file.
    public var offset: UInt64?
    /// Offset inside the decoded index, for problems found while decoding it.
    public var indexOffset: Int?
    public var block: Int?
    public var operatorID: String?
    public var operatorName: String?
    public var subtask: Int?
    public var state: String?
    public var keyGroup: Int?

    public init(
        file: String? = nil, offset: UInt64? = nil, indexOffset: Int? = nil, block: Int? = nil,
        operatorID: String? = nil, operatorName: String? = nil, subtask: Int? = nil, state: String? = nil,
        keyGroup: Int? = nil
    ) {
        self.file = file
        self.offset = offset
        self.indexOffset = indexOffset
        self.block = block
        self.operatorID = operatorID
        self.operatorName = operatorName
        self.subtask = subtask
        self.state = state
        self.keyGroup = keyGroup
    }

    public var description: String {
        var parts: [String] = []
        if let operatorID {
            parts.append("operator " + (operatorName.map { "'\($0)' (\(operatorID))" } ?? operatorID))
        }
        if let subtask { parts.append("subtask \(subtask)") }
        if let state { parts.append("state '\(state)'") }
        if let keyGroup { parts.append("key group \(keyGroup)") }
        if let block { parts.append("block \(block)") }
        if let offset { parts.append("byte offset \(offset)") }
        if let indexOffset { parts.append("index byte \(indexOffset)") }
        return parts.joined(separator: ", ")
    }
}
