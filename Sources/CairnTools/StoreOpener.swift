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
            if store.isNew, !(try await objects.probeConditionalCreate()) {
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

extension StoreOpener {
    /// Splits `STORE#SNAPSHOT` (the last `#`) when the part before it is an `s3://` URL or a local store directory;
    /// nil for anything else, so local paths containing `#` keep working.
    public static func storeReference(_ source: String) -> (store: String, snapshot: String)? {
        guard let hash = source.lastIndex(of: "#") else { return nil }
        let store = String(source[..<hash]), snapshot = String(source[source.index(after: hash)...])
        guard !store.isEmpty, !snapshot.isEmpty else { return nil }
        if store.hasPrefix("s3://") { return (store, snapshot) }
        return LocalFiles().size(store + "/" + StoreConfig.key) != nil ? (store, snapshot) : nil
    }

    /// Opens `SNAPSHOT` in `STORE` for reading in place: the manifest and the index are loaded, file bytes are read
    /// later, chunk by chunk. Close `files.store.objects` when done.
    public static func snapshotFiles(store location: String, snapshot: String, s3: S3Options = S3Options()) async throws -> StoreSnapshotFiles {
        let store = try await open(location, create: false, s3: s3)
        do {
            let manifest = try await store.resolve(snapshot)
            let (index, _) = try await store.loadIndex(recoverPacks: false)
            return StoreSnapshotFiles(store: store, manifest: manifest, index: index)
        } catch {
            await store.objects.close()
            throw error
        }
    }
}
