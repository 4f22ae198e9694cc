import CairnCore
import CairnFlink

extension SnapshotSource {
    /// Runs `body` with the files of a job's checkpoint directory (`…/<job-id>`, holding `chk-N`): the local file
    /// system for a path; object storage for `s3://` (where `SnapshotSource.objectStore` reads checkpoints). The one
    /// place `backup` gets its `SnapshotFiles`; whatever was opened is closed after `body`.
    public static func withJobDirectoryFiles<T>(_ directory: String, s3: S3Options = S3Options(),
                                                _ body: (any SnapshotFiles) async throws -> T) async throws -> T {
        guard ObjectStoreURL.isS3(directory) else { return try await body(LocalFiles()) }
        let files = objectStoreFiles(s3: s3)
        let result: Result<T, any Error>
        do { result = .success(try await body(files)) } catch { result = .failure(error) }
        await files.close()
        // A listing that failed makes checkpoints look absent: its error is the true answer.
        if case .success = result, let failure = files.listingFailure { throw failure }
        return try result.get()
    }
}
