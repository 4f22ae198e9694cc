import CairnCore
import CairnStore
import CairnTools

/// Opens stores: a local directory, or `s3://bucket/prefix` through CairnS3. Commands use
/// `StoreLocation.withStore` and `SnapshotSource.withView`, which close what this opens.
enum StoreOpener {
    static func objectStore(_ location: StoreLocation, create: Bool, s3: S3Options) throws -> any ObjectStore {
        switch location {
        case .s3(let url): try S3StoreFactory.open(url: url, options: s3)
        case .directory(let path): try LocalObjectStore(root: path, create: create)
        }
    }

    /// Opens the store; with `create`, makes a new one where there is none (and checks that the server honours
    /// conditional writes before anything is committed to it).
    static func open(_ location: StoreLocation, create: Bool, s3: S3Options) async throws -> SnapshotStore {
        let objects = try objectStore(location, create: create, s3: s3)
        do {
            var store = try await SnapshotStore.open(objects, create: create)
            store.clock = StoreClock.fromEnvironment()
            if s3.indexCache { store.indexCache = IndexCache.standard(storeID: store.config.id) }
            if store.isNew, !(try await objects.probeConditionalCreate()) {
                throw StoreError(.unsafeServer, place: location.description, message: "the server ignores If-None-Match, so two pushes could overwrite each other's commits",
                                 hint: "use a server that supports conditional writes (AWS S3, SeaweedFS, MinIO)")
            }
            return store
        } catch {
            await objects.close()
            throw error
        }
    }

    /// Opens `SNAPSHOT` in the store for reading in place: the manifest and the index are loaded, file bytes are
    /// read later, chunk by chunk. The caller closes `files.store.objects`.
    static func snapshotFiles(store location: StoreLocation, snapshot: String, s3: S3Options) async throws -> StoreSnapshotFiles {
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
