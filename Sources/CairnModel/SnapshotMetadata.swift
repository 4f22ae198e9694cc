/// Whether a snapshot was taken by the engine on its own (checkpoint) or on request for upgrades (savepoint).
public enum SnapshotKind: UInt8, Sendable, Codable, CaseIterable {
    case checkpoint = 0
    case savepoint = 1

    public var name: String { self == .checkpoint ? "checkpoint" : "savepoint" }
}

/// Aligned checkpoints carry no in-flight data; unaligned ones persist buffers of input and output channels.
public enum CheckpointMode: UInt8, Sendable, Codable, CaseIterable {
    case aligned = 0
    case unaligned = 1

    public var name: String { self == .aligned ? "aligned" : "unaligned" }
}

/// Facts about a snapshot as a whole (format spec §6.1).
public struct SnapshotMetadata: Sendable, Equatable {
    public var snapshotId: String
    public var kind: SnapshotKind
    public var engineName: String
    public var engineVersion: String
    public var jobId: String
    public var jobName: String
    /// Milliseconds since the Unix epoch.
    public var createdAt: Int64
    public var mode: CheckpointMode
    /// Free-form facts; written sorted by key.
    public var properties: [String: String]

    public init(
        snapshotId: String, kind: SnapshotKind = .checkpoint, engineName: String, engineVersion: String = "",
        jobId: String = "", jobName: String = "", createdAt: Int64 = 0, mode: CheckpointMode = .aligned,
        properties: [String: String] = [:]
    ) {
        self.snapshotId = snapshotId
        self.kind = kind
        self.engineName = engineName
        self.engineVersion = engineVersion
        self.jobId = jobId
        self.jobName = jobName
        self.createdAt = createdAt
        self.mode = mode
        self.properties = properties
    }
}
