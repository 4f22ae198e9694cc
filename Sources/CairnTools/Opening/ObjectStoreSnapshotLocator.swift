import CairnCore
import CairnFlink
import CairnStore

/// Finds the `_metadata` an `s3://` SOURCE means, by the local rule: the object itself, the checkpoint directory
/// holding it, or a job's checkpoint directory (its highest `chk-N` with a `_metadata`, or the one job directory
/// below a checkpoint root).
///
/// It costs one GET when given a checkpoint directory or its `_metadata` (the GET fetches the file every reader
/// needs anyway, so it is kept); a job directory costs that GET's 404, one LIST and the GET of the chosen
/// `_metadata`. Given a `chk-N` it does not list its siblings (that would be a LIST a metadata-only `inspect` does
/// not need); given the job directory it knows them from its LIST.
public enum ObjectStoreSnapshotLocator {
    public static func locate(_ url: String, files: ObjectStoreSnapshotFiles) async throws -> FlinkSnapshotLocation {
        guard let path = ObjectStoreSnapshotFiles.canonical(url), let (bucket, key) = ObjectStoreSnapshotFiles.split(path) else {
            throw UsageError("\(url): not an s3://bucket/prefix URL; write it as s3://bucket/path/to/chk-N")
        }
        let store: any ObjectStore
        do {
            store = try files.store(bucket)
        } catch var error as ObjectStoreError {
            // Configuration (no credentials, no region, a bad bucket name) is about this argument: name it.
            error.place = url
            throw error
        }
        if FilePaths.lastComponent(key) == "_metadata" {
            try await fetch(path, key: key, store: store, files: files)
            return FlinkSnapshotLocation(metadataPath: path, directory: FilePaths.parent(path))
        }
        let direct = key.isEmpty ? "_metadata" : key + "/_metadata"
        do {
            try await fetch(path + "/_metadata", key: direct, store: store, files: files)
            return FlinkSnapshotLocation(metadataPath: path + "/_metadata", directory: path)
        } catch let e as ObjectStoreError where e.kind == .notFound {
            // Not a checkpoint directory: a job directory or a checkpoint root, found by listing.
        }
        let listing = try await files.list(path)
        let prefix = key.isEmpty ? "" : key + "/"
        let names = Set(listing.map { String($0.key.dropFirst(prefix.count)) })
        let checkpoints = completeCheckpoints(names, under: "")
        if let latest = checkpoints.last {
            let dir = path + "/" + latest
            try await fetch(dir + "/_metadata", key: prefix + latest + "/_metadata", store: store, files: files)
            return FlinkSnapshotLocation(metadataPath: dir + "/_metadata", directory: dir, otherCheckpoints: checkpoints.dropLast().map { path + "/" + $0 })
        }
        let jobs = Set(names.compactMap { name -> String? in
            let first = String(name.prefix { $0 != "/" })
            return first.count < name.count && isJobID(first) ? first : nil
        }).sorted()
        let jobsWithCheckpoints = jobs.filter { !completeCheckpoints(names, under: $0 + "/").isEmpty }
        if jobsWithCheckpoints.count == 1, let job = jobsWithCheckpoints.first {
            let inJob = completeCheckpoints(names, under: job + "/")
            let jobDir = path + "/" + job
            guard let latest = inJob.last else { throw CairnFlinkError.noMetadata(path: url, jobs: []) }
            let dir = jobDir + "/" + latest
            try await fetch(dir + "/_metadata", key: prefix + job + "/" + latest + "/_metadata", store: store, files: files)
            return FlinkSnapshotLocation(metadataPath: dir + "/_metadata", directory: dir, otherCheckpoints: inJob.dropLast().map { jobDir + "/" + $0 })
        }
        throw CairnFlinkError.noMetadata(path: url, jobs: jobsWithCheckpoints)
    }

    /// Fetches `_metadata` whole and keeps it for the reader.
    static func fetch(_ path: String, key: String, store: any ObjectStore, files: ObjectStoreSnapshotFiles) async throws {
        let bytes = try await store.get(key)
        files.preload(path, bytes: bytes)
    }

    /// `chk-N` names (ascending by N) that have a `_metadata` directly below `base` among the listed names.
    static func completeCheckpoints(_ names: Set<String>, under base: String) -> [String] {
        names.compactMap { name -> (String, Int)? in
            guard name.hasPrefix(base) else { return nil }
            let parts = name.dropFirst(base.count).split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 2, parts[1] == "_metadata", parts[0].hasPrefix("chk-"), let n = Int(parts[0].dropFirst(4)) else { return nil }
            return (String(parts[0]), n)
        }.sorted { $0.1 < $1.1 }.map(\.0)
    }

    static func isJobID(_ s: String) -> Bool {
        s.utf8.count == 32 && s.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }
}
