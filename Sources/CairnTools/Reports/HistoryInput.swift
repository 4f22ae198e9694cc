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

    /// The snapshots a local path means for a history: a job's checkpoint directory (every complete `chk-N`), a
    /// checkpoint root with one job directory, a Flink checkpoint or savepoint (its directory or `_metadata`), a
    /// directory of `.cairn` files (what `cairn generate --checkpoints N` writes), or one `.cairn` file.
    public static func local(_ path: String) throws -> [HistoryInput] {
        let files = LocalFiles()
        let dir = FilePaths.normalize(path)
        switch FilePaths.kind(dir) {
        case nil:
            throw IOError(path: path, operation: "open", message: "no such file or directory")
        case .file:
            if try SnapshotOpener.isFlink(dir) { return [flink(directory: FilePaths.parent(dir), files: files, label: path)] }
            return [HistoryInput(label: path) { (try SnapshotOpener.open(dir), files.modificationTime(dir)) }]
        default:
            if files.size(dir + "/_metadata") != nil { return [flink(directory: dir, files: files, label: path)] }
            let job = jobDirectory(dir, files: files) { path + "/" + $0.name }
            if !job.isEmpty { return job }
            let natives = files.fileNames(in: dir).filter { $0.hasSuffix(".cairn") }
                .sorted { $0.utf8.count != $1.utf8.count ? $0.utf8.count < $1.utf8.count : $0 < $1 }
            if !natives.isEmpty {
                return natives.map { name in HistoryInput(label: path + "/" + name) { (try SnapshotOpener.open(dir + "/" + name), nil) } }
            }
            let jobs = files.directoryNames(in: dir).filter(FilePaths.isJobID)
            if jobs.count == 1 { return try local(dir + "/" + jobs[0]) }
            throw CairnFlinkError.noMetadata(path: path, jobs: jobs)
        }
    }
}
