import CairnCore
import CairnStore
import CairnTools

/// Turns a push SOURCE into the files to store, local or a live checkpoint in S3, and closes what that opened.
public enum PushSourceOpener {
    /// Runs `body` with the files `source` stands for; S3 connections stay open while `body` reads them.
    public static func withPushSource<T: Sendable>(_ source: String, s3: S3Options, _ body: (PushSource) async throws -> T) async throws -> T {
        guard ObjectStoreURL.isS3(source) else { return try await body(try PushSourceBuilder.build(source)) }
        let files = SnapshotSource.objectStoreFiles(s3: s3)
        let result: Result<T, any Error>
        do {
            let location = try await ObjectStoreSnapshotLocator.locate(source, files: files)
            let push = try await BlockingBridge.offPool { try PushSourceBuilder.flink(objectStore: source, location: location, files: files) }
            result = .success(try await body(push))
        } catch {
            result = .failure(error)
        }
        await files.close()
        return try result.get()
    }
}
