import CairnCore
import CairnFlink
import CairnStore
import CairnTools

/// Turns `cairn history` SOURCE arguments into the snapshots to read: a job's checkpoint directory (every retained
/// `chk-N`), a store series (`STORE`, with `--series` when it holds several), `STORE#SNAPSHOT`, or any snapshot
/// `inspect` reads. Stores are opened once each, with their index loaded once, and closed after `body`.
public enum HistorySources {
    public static func withInputs<T: Sendable>(
        _ arguments: [String], series: String?, s3: S3Options = S3Options(), _ body: ([HistoryInput]) async throws -> T
    ) async throws -> T {
        var opened: [String: (store: SnapshotStore, index: ChunkIndex)] = [:]
        var objectFiles: [ObjectStoreSnapshotFiles] = []
        let result: Result<T, any Error>
        do {
            var inputs: [HistoryInput] = []
            func store(_ location: StoreLocation) async throws -> (store: SnapshotStore, index: ChunkIndex) {
                if let o = opened[location.description] { return o }
                let store = try await StoreOpener.open(location, create: false, s3: s3)
                do {
                    let o = (store, try await store.loadIndex(recoverPacks: false).index)
                    opened[location.description] = o
                    return o
                } catch {
                    await store.objects.close()
                    throw error
                }
            }
            for argument in arguments {
                switch SnapshotSource(argument) {
                case .stored(let location, let snapshot):
                    let (s, index) = try await store(location)
                    let manifest = try await s.resolve(snapshot)
                    inputs.append(.stored(StoreSnapshotFiles(store: s, manifest: manifest, index: index), label: "\(location)#\(manifest.shortID)"))
                case .path(let path) where LocalFiles().size(path + "/" + StoreConfig.key) != nil:
                    let (s, index) = try await store(.directory(path))
                    inputs += try await seriesInputs(s, index: index, location: path, series: series)
                case .path(let path):
                    inputs += try await BlockingBridge.offPool { try HistoryInput.local(path) }
                case .objectStore(let url):
                    // An S3 prefix holding a Cairn store is read as a store series. Anything else there is Flink's:
                    // a job directory (every complete `chk-N`) or one checkpoint, read in place like `inspect s3://…`.
                    do {
                        let o = try await store(.s3(url))
                        inputs += try await seriesInputs(o.store, index: o.index, location: url, series: series)
                    } catch let error as StoreError where error.kind == .notAStore {
                        let files = SnapshotSource.objectStoreFiles(s3: s3)
                        objectFiles.append(files)
                        inputs += try await BlockingBridge.offPool { try objectStoreInputs(url, files: files, label: argument) }
                    }
                }
            }
            guard !inputs.isEmpty else { throw UsageError("no snapshots in \(arguments.joined(separator: ", "))") }
            result = .success(try await body(inputs))
        } catch {
            result = .failure(error)
        }
        for o in opened.values { await o.store.objects.close() }
        for f in objectFiles { await f.close() }
        // A listing that failed makes checkpoints look absent: its error is the true answer.
        if case .success = result, let failure = objectFiles.lazy.compactMap(\.listingFailure).first { throw failure }
        return try result.get()
    }

    /// A Flink job directory in object storage (every complete `chk-N`), or one checkpoint or savepoint there.
    static func objectStoreInputs(_ url: String, files: ObjectStoreSnapshotFiles, label: String) throws -> [HistoryInput] {
        guard let dir = ObjectStoreSnapshotFiles.canonical(url) else { throw UsageError("\(url): not an s3://bucket/prefix URL") }
        let base = dir.hasSuffix("/_metadata") ? String(dir.dropLast("/_metadata".count)) : dir
        let checkpoints = HistoryInput.jobDirectory(base, files: files) { label + "/" + $0.name }
        if !checkpoints.isEmpty { return checkpoints }
        if files.size(base + "/_metadata") != nil { return [HistoryInput.flink(directory: base, files: files, label: label)] }
        if let failure = files.listingFailure { throw failure }
        throw UsageError("\(url): no Flink checkpoint (`chk-N` with a `_metadata`, or a `_metadata`) and no Cairn store there")
    }

    /// The checkpoints and savepoints of one series of a store, oldest first. A series is the `group` a push
    /// records (`flink-job:<job id>`, `native:<dir>`, …; `cairn snapshots --json` shows it); `series` matches it
    /// whole, after its `kind:` prefix, or by job id. Without `series` the store must hold one series.
    static func seriesInputs(_ store: SnapshotStore, index: ChunkIndex, location: String, series: String?) async throws -> [HistoryInput] {
        let readable: Set<String> = ["native", "flink-checkpoint", "flink-savepoint"]
        let all = try await store.snapshots().filter { readable.contains($0.kind) }
        func group(_ m: SnapshotManifest) -> String { m.attributes["group"] ?? m.root }
        var groups: [String] = []
        for m in all where !groups.contains(group(m)) { groups.append(group(m)) }
        let chosen: String
        if let series {
            let matches = groups.filter { g in
                g == series || g.split(separator: ":", maxSplits: 1).last.map(String.init) == series
                    || all.contains { group($0) == g && $0.attributes["jobId"] == series }
            }
            guard matches.count == 1 else {
                throw UsageError("\(location): " + (matches.isEmpty ? "no series \"\(series)\"" : "\"\(series)\" matches \(matches.count) series")
                                 + "; the store holds: " + (groups.isEmpty ? "none" : groups.joined(separator: ", ")))
            }
            chosen = matches[0]
        } else {
            guard groups.count == 1 else {
                throw UsageError("\(location) holds " + (groups.isEmpty ? "no checkpoints or savepoints" : "\(groups.count) series: \(groups.joined(separator: ", ")); choose one with --series"))
            }
            chosen = groups[0]
        }
        return all.filter { group($0) == chosen }.map { m in
            .stored(StoreSnapshotFiles(store: store, manifest: m, index: index), label: "\(location)#\(m.shortID)")
        }
    }
}
