import CairnCore
import CairnFlink
import CairnModel

/// One snapshot of a history and how to open it. CairnSources builds these from SOURCE arguments (a job's
/// checkpoint directory, a store series, a list); opening blocks on I/O, so `CheckpointHistory.read` calls it on a
/// thread of its own.
public struct HistoryInput: Sendable {
    /// The snapshot as the user would name it: a path, `STORE#id`, a URL.
    public var label: String
    /// Opens the view; also returns the snapshot's time in epoch milliseconds where the files know it and the
    /// snapshot's own metadata does not (Flink's `_metadata` records no time).
    let open: @Sendable () throws -> (view: any SnapshotView, fileTime: Int64?)

    public init(label: String, open: @escaping @Sendable () throws -> (view: any SnapshotView, fileTime: Int64?)) {
        self.label = label
        self.open = open
    }

    /// One Flink checkpoint or savepoint directory, read through `files` (local disk, a store, object storage).
    /// Unlike `inspect`, its sibling checkpoints are not opened: a history reads each of them once anyway.
    public static func flink(directory: String, files: any SnapshotFiles, label: String) -> HistoryInput {
        HistoryInput(label: label) {
            let location = FlinkSnapshotLocation(metadataPath: directory + "/_metadata", directory: directory)
            return (try FlinkSnapshot(location: location, files: files), files.modificationTime(location.metadataPath))
        }
    }

    /// A snapshot kept in a Cairn store, read in place; its time is the `_metadata`'s as pushed.
    public static func stored(_ files: StoreSnapshotFiles, label: String) -> HistoryInput {
        HistoryInput(label: label) {
            let view = try SnapshotOpener.open(files)
            return (view, files.manifest.attributes["metadataPath"].flatMap { files.modificationTime(files.path(of: $0)) })
        }
    }

    /// Every complete checkpoint of a job's checkpoint directory (`chk-N` with a `_metadata`), oldest first, listed
    /// and read through `files`; empty when `directory` holds none.
    public static func jobDirectory(_ directory: String, files: any SnapshotFiles, label: (FlinkCheckpointDirectory) -> String) -> [HistoryInput] {
        FlinkSnapshotLocation.completeCheckpoints(inJob: directory, files: files).map { flink(directory: $0.path, files: files, label: label($0)) }
    }
}
