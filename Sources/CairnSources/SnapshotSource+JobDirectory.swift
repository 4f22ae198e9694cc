import CairnCore
import CairnFlink

extension SnapshotSource {
    /// Runs `body` with the files of a job's checkpoint directory (`…/<job-id>`, holding `chk-N`): the local file
    /// system for a path; object storage for `s3://` (where `SnapshotSource.objectStore` reads checkpoints). The one
    /// place `backup` gets its `SnapshotFiles`; whatever was opened is closed after `body`.
    public static func withJobDirectoryFiles<T>(_ directory: String, s3: S3Options = S3Options(),
                                                _ body: (any SnapshotFiles) async throws -> T) async throws -> T {
        guard !ObjectStoreURL.isS3(directory) else { throw CairnFlinkError.remoteUnsupported(path: directory) }
        return try await body(LocalFiles())
    }
}
