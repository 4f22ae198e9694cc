import CairnCore

/// What went wrong finding or reading a Flink snapshot.
public enum CairnFlinkError: CairnError {
    case noMetadata(path: String, jobs: [String])
    case remoteUnsupported(path: String)

    public var description: String {
        switch self {
        case .noMetadata(let path, let jobs):
            jobs.isEmpty
                ? "\(path) holds no _metadata, no chk-N directory with one, and no job directory; give a _metadata file, its directory or a job's checkpoint directory"
                : "\(path) holds several job directories (\(jobs.joined(separator: ", "))); name one of them"
        case .remoteUnsupported(let path):
            "\(path): an object-store URL is opened through SnapshotSource (CairnSources), which reads it in place with the S3 client; this call takes local paths"
        }
    }
}

extension CairnFlinkError {
    /// No `_metadata` where the path points, or a source Cairn cannot open: the argument is wrong.
    public var exitStatus: Int32 { 2 }
}
