/// The engine-neutral picture of a snapshot that `inspect`, `diff` and `validate` work on.
///
/// Native snapshots fill it from their index alone; other engines' adapters (Flink) fill it from their own
/// metadata. Sizes are bytes as stored.
public struct SnapshotSummary: Sendable {
    public var metadata: SnapshotMetadata
    /// The format the snapshot was read from, for example `cairn 1.0`.
    public var format: String
    public var operators: [OperatorSummary]
    /// Where the bytes live, for engines whose snapshots are made of many files.
    public var storage: StorageSummary?

    public init(metadata: SnapshotMetadata, format: String, operators: [OperatorSummary]) {
        self.metadata = metadata
        self.format = format
        self.operators = operators
    }

    public var stateSize: Int64 { operators.reduce(0) { $0 + $1.stateSize } }
    public var checkpointedSize: Int64 { operators.reduce(0) { $0 + $1.checkpointedSize } }
    public var inFlightSize: Int64 { operators.reduce(0) { $0 + $1.inFlightSize } }
    public var keyedSize: Int64 { operators.reduce(0) { $0 + $1.keyedSize } }
    public var operatorStateSize: Int64 { operators.reduce(0) { $0 + $1.operatorStateSize } }
}

/// Facts about the files behind a snapshot.
public struct StorageSummary: Sendable, Equatable {
    /// Size of the metadata file itself.
    public var metadataSize: Int64
    /// State bytes held inside the metadata file rather than in files of their own.
    public var inlineSize: Int64
    /// Distinct files referenced.
    public var files: Int
    /// Bytes those files account for (segments count their own bytes).
    public var fileBytes: Int64
    /// Of those, bytes in files other checkpoints of the same job directory also reference; nil without others.
    public var sharedWithOtherCheckpoints: Int64?
    /// Absolute paths that no longer existed and were found by their job-relative suffix.
    public var relocatedPaths: Int
    public var missingFiles: Int
    /// Files on file systems this build does not read (s3://, hdfs://…).
    public var remoteFiles: Int
    public var otherCheckpoints: [String]

    public init(metadataSize: Int64, inlineSize: Int64, files: Int, fileBytes: Int64, sharedWithOtherCheckpoints: Int64?,
                relocatedPaths: Int, missingFiles: Int, remoteFiles: Int, otherCheckpoints: [String]) {
        self.metadataSize = metadataSize
        self.inlineSize = inlineSize
        self.files = files
        self.fileBytes = fileBytes
        self.sharedWithOtherCheckpoints = sharedWithOtherCheckpoints
        self.relocatedPaths = relocatedPaths
        self.missingFiles = missingFiles
        self.remoteFiles = remoteFiles
        self.otherCheckpoints = otherCheckpoints
    }
}

/// One operator's sizes and states.
public struct OperatorSummary: Sendable {
    public var info: OperatorInfo
    public var coordinatorSize: Int64
    public var subtasks: [SubtaskSummary]
    public var states: [StateSummary]
    /// Every subtask had finished (bounded input) when the snapshot was taken; nothing of it is stored.
    public var fullyFinished = false

    public init(info: OperatorInfo, coordinatorSize: Int64, subtasks: [SubtaskSummary], states: [StateSummary]) {
        self.info = info
        self.coordinatorSize = coordinatorSize
        self.subtasks = subtasks
        self.states = states
    }

    public var stateSize: Int64 { subtasks.reduce(coordinatorSize) { $0 + $1.stateSize } }
    public var checkpointedSize: Int64 { subtasks.reduce(coordinatorSize) { $0 + $1.checkpointedSize } }
    public var keyedSize: Int64 { subtasks.reduce(0) { $0 + $1.keyedSize } }
    public var operatorStateSize: Int64 { subtasks.reduce(0) { $0 + $1.operatorSize } }
    public var inFlightSize: Int64 { subtasks.reduce(0) { $0 + $1.inFlightSize } }

    /// Largest subtask state over the mean: 1.0 is perfectly even. Nil without state.
    public var skew: Double? {
        guard !subtasks.isEmpty else { return nil }
        let sizes = subtasks.map(\.stateSize)
        let mean = Double(sizes.reduce(0, +)) / Double(info.parallelism)
        guard mean > 0 else { return nil }
        return Double(sizes.max() ?? 0) / mean
    }
}

/// One subtask's sizes, split the way Flink reports them.
public struct SubtaskSummary: Sendable {
    public var index: Int
    public var keyedSize: Int64
    public var operatorSize: Int64
    public var inputChannelSize: Int64
    public var outputSubpartitionSize: Int64
    /// Bytes new in this snapshot (equal to `stateSize` unless the engine shares files between snapshots).
    public var checkpointedSize: Int64
    public var keyGroups: KeyGroupRange?
    public var splits: [SourceSplit]
    /// The subtask had finished when the snapshot was taken; it holds no state.
    public var finished = false

    public init(
        index: Int, keyedSize: Int64, operatorSize: Int64, inputChannelSize: Int64, outputSubpartitionSize: Int64,
        checkpointedSize: Int64? = nil, keyGroups: KeyGroupRange?, splits: [SourceSplit]
    ) {
        self.index = index
        self.keyedSize = keyedSize
        self.operatorSize = operatorSize
        self.inputChannelSize = inputChannelSize
        self.outputSubpartitionSize = outputSubpartitionSize
        self.keyGroups = keyGroups
        self.splits = splits
        self.checkpointedSize = checkpointedSize ?? (keyedSize + operatorSize + inputChannelSize + outputSubpartitionSize)
    }

    public var inFlightSize: Int64 { inputChannelSize + outputSubpartitionSize }
    public var stateSize: Int64 { keyedSize + operatorSize + inFlightSize }
}

/// One registered state of an operator with its size over all subtasks.
public struct StateSummary: Sendable {
    public var descriptor: StateDescriptor
    public var keySerializer: SerializerInfo?
    public var valueSerializer: SerializerInfo?
    public var size: Int64
    /// Entries (keyed), elements (operator state) — nil where the format does not record it.
    public var entryCount: Int64?
    /// Bytes per subtask index.
    public var sizeBySubtask: [Int: Int64]
    /// Bytes and entries per key group, where known.
    public var keyGroups: [KeyGroupSize]
    /// Facts only a data scan gives; filled by `SnapshotView.entryStatistics()` on request.
    public var statistics: EntryStatistics?

    public init(
        descriptor: StateDescriptor, keySerializer: SerializerInfo?, valueSerializer: SerializerInfo?, size: Int64,
        entryCount: Int64?, sizeBySubtask: [Int: Int64], keyGroups: [KeyGroupSize], statistics: EntryStatistics? = nil
    ) {
        self.statistics = statistics
        self.descriptor = descriptor
        self.keySerializer = keySerializer
        self.valueSerializer = valueSerializer
        self.size = size
        self.entryCount = entryCount
        self.sizeBySubtask = sizeBySubtask
        self.keyGroups = keyGroups
    }
}

/// What a scan of one state's data finds.
public struct EntryStatistics: Sendable, Equatable {
    /// Decoded (uncompressed) bytes.
    public var rawSize: Int64 = 0
    public var entries: Int64 = 0
    public var keyBytes: Int64 = 0
    public var namespaceBytes: Int64 = 0
    public var userKeyBytes: Int64 = 0
    public var valueBytes: Int64 = 0
    /// The largest single entry, encoded.
    public var largestEntry: Int64 = 0
    public var entriesWithTTL: Int64 = 0
    public var distinctKeys: Int64 = 0

    public init() {}
}

public struct KeyGroupSize: Sendable, Equatable {
    public var keyGroup: Int
    public var size: Int64
    public var entries: Int64

    public init(keyGroup: Int, size: Int64, entries: Int64) {
        self.keyGroup = keyGroup
        self.size = size
        self.entries = entries
    }
}

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

/// Any snapshot, whatever its engine or format, as the tools see it.
public protocol SnapshotView: Sendable {
    /// Sizes and structure from metadata alone.
    func summary() throws -> SnapshotSummary
    /// The `limit` keys whose entries take the most bytes; may scan data.
    func largestKeys(limit: Int) throws -> [KeySize]
    /// States detailed by a scan of the data (statistics, key groups), per operator; each replaces the state of the
    /// same name in `summary()`, or adds one the metadata alone could not name.
    func scanStates() throws -> [OperatorID: [StateSummary]]
    /// Bytes read from storage so far.
    var bytesRead: UInt64 { get }
    /// Checks only this format can make; with `deep`, reading all data.
    func formatProblems(deep: Bool) -> [ValidationProblem]
    /// The names of the checks `formatProblems` makes, for reports.
    func formatChecks(deep: Bool) -> [String]
}
