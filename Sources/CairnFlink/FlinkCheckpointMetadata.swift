import CairnModel

/// The contents of a Flink `_metadata` file, versions 3 to 6 (Flink 1.11 to 2.3).
public struct FlinkCheckpointMetadata: Sendable {
    public var version: Int32
    public var checkpointId: Int64
    public var masterStates: [FlinkMasterState]
    public var operators: [FlinkOperatorState]
    /// What the v4+ trailer (Java-serialized `CheckpointProperties`) tells; nil for v3 or an unreadable trailer.
    public var properties: FlinkCheckpointProperties?
    /// The trailer's raw bytes, kept for writing the file back.
    public var trailer: [UInt8]

    public init(version: Int32, checkpointId: Int64, masterStates: [FlinkMasterState], operators: [FlinkOperatorState],
                properties: FlinkCheckpointProperties?, trailer: [UInt8]) {
        self.version = version
        self.checkpointId = checkpointId
        self.masterStates = masterStates
        self.operators = operators
        self.properties = properties
        self.trailer = trailer
    }

    /// The Flink releases that write this metadata version.
    public static func flinkVersions(forMetadataVersion v: Int32) -> String {
        switch v {
        case 2: "1.3–1.10"
        case 3: "1.11–1.15"
        case 4: "1.16–1.20"
        case 5: "2.0"
        case 6: "2.1+"
        default: "unknown"
        }
    }
}

/// A master hook's state, kept opaque.
public struct FlinkMasterState: Sendable, Equatable {
    public var name: String
    public var version: Int32
    public var size: Int
    /// The whole record after its length, kept for writing the file back.
    public var raw: [UInt8]

    public init(name: String, version: Int32, size: Int, raw: [UInt8]) {
        self.name = name
        self.version = version
        self.size = size
        self.raw = raw
    }
}

/// What the v4+ trailer says about the snapshot.
public struct FlinkCheckpointProperties: Sendable, Equatable {
    public var isSavepoint: Bool
    /// `CANONICAL` or `NATIVE` for savepoints.
    public var savepointFormat: String?
    /// The snapshot type's name, e.g. `Checkpoint`, `Full Checkpoint`, `Savepoint`, `Terminate Savepoint`.
    public var typeName: String?
    /// `FORWARD_BACKWARD`, `FORWARD` or `NO_SHARING` for checkpoints.
    public var sharingFilesStrategy: String?
}

/// One operator's state in a checkpoint.
public struct FlinkOperatorState: Sendable {
    public var id: OperatorID
    /// Present from metadata v5 (Flink 2.0) on.
    public var name: String?
    public var uid: String?
    public var parallelism: Int
    public var maxParallelism: Int
    public var coordinator: FlinkStreamHandle?
    /// All subtasks finished (Flink writes no subtask states then).
    public var fullyFinished: Bool
    public var subtasks: [FlinkSubtaskState]

    public init(id: OperatorID, name: String?, uid: String?, parallelism: Int, maxParallelism: Int, coordinator: FlinkStreamHandle?,
                fullyFinished: Bool, subtasks: [FlinkSubtaskState]) {
        self.id = id
        self.name = name
        self.uid = uid
        self.parallelism = parallelism
        self.maxParallelism = maxParallelism
        self.coordinator = coordinator
        self.fullyFinished = fullyFinished
        self.subtasks = subtasks
    }

    /// `OperatorState.getStateSize()`.
    public var stateSize: Int64 { subtasks.reduce(coordinator?.stateSize ?? 0) { $0 + $1.stateSize } }
    /// `OperatorState.getCheckpointedSize()`.
    public var checkpointedSize: Int64 { subtasks.reduce(coordinator?.stateSize ?? 0) { $0 + $1.checkpointedSize } }
}

/// One subtask's state handles (research notes §2.3).
public struct FlinkSubtaskState: Sendable {
    public var index: Int
    /// A finished subtask: Flink stores only the marker.
    public var finished: Bool
    public var managedOperatorState: FlinkOperatorStateHandle?
    public var rawOperatorState: FlinkOperatorStateHandle?
    public var managedKeyedState: FlinkKeyedHandle?
    public var rawKeyedState: FlinkKeyedHandle?
    public var inputChannels: [FlinkChannelHandle]
    public var outputChannels: [FlinkChannelHandle]

    public init(index: Int, finished: Bool, managedOperatorState: FlinkOperatorStateHandle? = nil, rawOperatorState: FlinkOperatorStateHandle? = nil,
                managedKeyedState: FlinkKeyedHandle? = nil, rawKeyedState: FlinkKeyedHandle? = nil,
                inputChannels: [FlinkChannelHandle], outputChannels: [FlinkChannelHandle]) {
        self.index = index
        self.finished = finished
        self.managedOperatorState = managedOperatorState
        self.rawOperatorState = rawOperatorState
        self.managedKeyedState = managedKeyedState
        self.rawKeyedState = rawKeyedState
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
    }

    public var operatorStateSize: Int64 { (managedOperatorState?.stateSize ?? 0) + (rawOperatorState?.stateSize ?? 0) }
    public var keyedStateSize: Int64 { (managedKeyedState?.stateSize ?? 0) + (rawKeyedState?.stateSize ?? 0) }
    public var inputChannelSize: Int64 { inputChannels.reduce(0) { $0 + $1.size } }
    public var outputChannelSize: Int64 { outputChannels.reduce(0) { $0 + $1.size } }

    /// `OperatorSubtaskState.getStateSize()`.
    public var stateSize: Int64 { operatorStateSize + keyedStateSize + inputChannelSize + outputChannelSize }

    /// `OperatorSubtaskState.getCheckpointedSize()`: keyed handles count what they persisted anew, others their size.
    public var checkpointedSize: Int64 {
        operatorStateSize + (managedKeyedState?.checkpointedSize ?? 0) + (rawKeyedState?.checkpointedSize ?? 0)
            + inputChannelSize + outputChannelSize
    }

    /// Every stream handle this subtask refers to, with what it is for.
    public var streamHandles: [(role: String, handle: FlinkStreamHandle)] {
        var out: [(String, FlinkStreamHandle)] = []
        forEachStreamHandle { out.append(($0, $1)) }
        return out
    }

    /// Visits what `streamHandles` lists, in the same order, without building the list.
    public func forEachStreamHandle(_ body: (_ role: String, _ handle: FlinkStreamHandle) throws -> Void) rethrows {
        if let h = managedOperatorState?.delegate { try body("managed operator state", h) }
        if let h = rawOperatorState?.delegate { try body("raw operator state", h) }
        try managedKeyedState?.forEachStreamHandle { try body("managed keyed state", $0) }
        try rawKeyedState?.forEachStreamHandle { try body("raw keyed state", $0) }
        for c in inputChannels { if let h = c.delegate { try body("input channel state", h) } }
        for c in outputChannels { if let h = c.delegate { try body("result subpartition state", h) } }
    }
}
