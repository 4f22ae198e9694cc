import CairnCore
import CairnStore

/// Opens a STORE argument: a local directory, or `s3://bucket/prefix` through CairnS3.
public enum StoreOpener {
    /// How to reach S3, from the command line; everything else comes from AWS_* variables and ~/.aws.
    public struct S3Options: Sendable {
        public var endpoint: String?
        public var profile: String?
        public init(endpoint: String? = nil, profile: String? = nil) {
            self.endpoint = endpoint
            self.profile = profile
        }
    }

    public static func objectStore(_ location: String, create: Bool, s3: S3Options = S3Options()) throws -> any ObjectStore {
        if location.hasPrefix("s3://") {
            return try S3StoreFactory.open(url: location, options: s3)
        }
        if location.contains("://") {
            throw UsageError("\(location): stores are local directories or s3://bucket/prefix URLs")
        }
        return try LocalObjectStore(root: location, create: create)
    }

    /// Opens the store; with `create`, makes a new one where there is none.
    public static func open(_ location: String, create: Bool, s3: S3Options = S3Options()) async throws -> SnapshotStore {
        let objects = try objectStore(location, create: create, s3: s3)
        do {
            let store = try await SnapshotStore.open(objects, create: create)
            if create, !(try await objects.probeConditionalCreate()) {
                await objects.close()
                throw StoreError(.unsafeServer, place: location, message: "the server ignores If-None-Match, so two pushes could overwrite each other's commits",
                                 hint: "use a server that supports conditional writes (AWS S3, SeaweedFS, MinIO)")
            }
            return store
        } catch {
            await objects.close()
            throw error
        }
    }
}
