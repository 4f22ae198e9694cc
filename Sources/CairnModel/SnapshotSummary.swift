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
