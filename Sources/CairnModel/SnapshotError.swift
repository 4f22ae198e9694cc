import CairnCore

/// A problem with a snapshot: what, where, and what to do about it.
public struct SnapshotError: CairnError, Equatable {
    public var code: DecodeError.Code
    public var message: String
    public var location: SnapshotLocation
    public var hint: String?

    public init(_ code: DecodeError.Code, _ message: String, at location: SnapshotLocation, hint: String? = nil) {
        self.code = code
        self.message = message
        self.location = location
        self.hint = hint
    }

    public var description: String {
        var s = (location.file.map { "\($0): " } ?? "") + "\(code.rawValue): \(message)"
        let loc = SnapshotLocation(
            offset: location.offset, indexOffset: location.indexOffset, block: location.block,
            operatorID: location.operatorID, operatorName: location.operatorName, subtask: location.subtask,
            state: location.state, keyGroup: location.keyGroup
        ).description
        if !loc.isEmpty { s += " (at \(loc))" }
        if let hint { s += ". " + hint }
        return s
    }

}

extension SnapshotError {
    public var exitStatus: Int32 { 1 }
}
