import CairnModel

/// Flink's restore error texts, as its source formats them (Flink 1.15 – 2.3, identical in each; see README
/// "Job spec" for the files they come from).
public enum FlinkMessages {
    /// `Checkpoints.throwNonRestoredStateException`.
    public static func operatorNotMapped(pointer: String, operatorID: String) -> String {
        "Failed to rollback to checkpoint/savepoint \(pointer). Cannot map checkpoint/savepoint state for operator \(operatorID) to the new program, "
            + "because the operator is not available in the new program. If you want to allow to skip this, you can set the --allowNonRestoredState option on the CLI."
    }

    /// `Checkpoints.loadAndValidateCheckpoint`; `%s` is `CheckpointMetadata.toString()`, which is "Checkpoint Metadata".
    public static func maxParallelismMismatch(operatorID: String, old: Int, new: Int) -> String {
        "Failed to rollback to checkpoint/savepoint Checkpoint Metadata. Max parallelism mismatch between checkpoint/savepoint state and new program. "
            + "Cannot map operator \(operatorID) with max parallelism \(old) to new program with max parallelism \(new). "
            + "This indicates that the program has been changed in a non-compatible way after the checkpoint/savepoint."
    }

    /// `StateAssignmentOperation.checkParallelismPreconditions`.
    public static func parallelismAboveMaxParallelism(vertex: String, maxParallelism: Int, parallelism: Int) -> String {
        "The state for task \(vertex) can not be restored. The maximum parallelism (\(maxParallelism)) of the restored state is lower than the configured parallelism (\(parallelism)). "
            + "Please reduce the parallelism of the task to be lower or equal to the maximum parallelism."
    }

    /// `RocksDBKeyedStateBackend` (the heap backend prefixes "For heap backends, ").
    public static func valueSerializerIncompatible(new: String, old: String) -> String {
        "The new state serializer (\(new)) must not be incompatible with the old state serializer (\(old))."
    }

    /// `HeapRestoreOperation`, `FullSnapshotRestoreOperation`, `RocksDBIncrementalRestoreOperation`.
    public static func keySerializerIncompatible(new: String, old: String) -> String {
        "The new key serializer (\(new)) must be compatible with the previous key serializer (\(old))."
    }

    /// `RegisteredKeyValueStateBackendMetaInfo.checkStateMetaInfo`.
    public static func keyedStateKindChanged(was: String, now: String) -> String {
        "Incompatible key/value state types. Was [\(was)], registered with [\(now)]."
    }

    /// `DefaultOperatorStateBackend.checkStateNameAndMode`.
    public static func assignmentModeChanged(was: String, now: String) -> String {
        "Incompatible state assignment modes. Was [\(was)], registered with [\(now)]."
    }

    /// `StateDescriptor.Type` names.
    public static func keyedTypeName(_ k: StateKind) -> String {
        switch k {
        case .value: "VALUE"
        case .list: "LIST"
        case .map: "MAP"
        case .reducing: "REDUCING"
        case .aggregating: "AGGREGATING"
        default: k.name.uppercased()
        }
    }

    /// `OperatorStateHandle.Mode` names.
    public static func modeName(_ k: StateKind) -> String {
        switch k {
        case .operatorUnion: "UNION"
        case .broadcast: "BROADCAST"
        default: "SPLIT_DISTRIBUTE"
        }
    }
}
