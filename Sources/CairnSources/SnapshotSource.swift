import CairnCore
import CairnFlink
import CairnFormat
import CairnModel
import CairnStore
import CairnTools

/// A SOURCE argument, classified once; every command that reads a snapshot opens it through here.
public enum SnapshotSource: Sendable, Equatable, CustomStringConvertible {
    /// A local path: a `.cairn` file, a Flink `_metadata`, its directory, or a job's checkpoint directory.
    case path(String)
    /// `STORE#SNAPSHOT`: a snapshot inside a Cairn store, read in place.
    case stored(store: StoreLocation, snapshot: String)
    /// A checkpoint where Flink wrote it in object storage (`s3://`, `s3a://`, `s3p://`), or a `.cairn` file there.
    case objectStore(String)

    /// Classifies `argument`. `STORE#SNAPSHOT` splits at the last `#` when the part before it is an S3 URL or a
    /// local directory holding a store, so local paths containing `#` keep working.
    public init(_ argument: String) {
        if let hash = argument.lastIndex(of: "#") {
            let store = String(argument[..<hash]), snapshot = String(argument[argument.index(after: hash)...])
            if !store.isEmpty, !snapshot.isEmpty {
                if ObjectStoreURL.isS3(store) {
                    self = .stored(store: .s3(store), snapshot: snapshot)
                    return
                }
                if LocalFiles().size(store + "/" + StoreConfig.key) != nil {
                    self = .stored(store: .directory(store), snapshot: snapshot)
                    return
                }
            }
        }
        self = ObjectStoreURL.isS3(argument) ? .objectStore(argument) : .path(argument)
    }

    /// The argument as the user gave it.
    public var description: String {
        switch self {
        case .path(let path): path
        case .stored(let store, let snapshot): "\(store)#\(snapshot)"
        case .objectStore(let url): url
        }
    }

    /// Opens the snapshot, runs `body` on a thread of its own (readers block on I/O), and closes whatever was
    /// opened, whether `body` returns or throws.
    public func withView<T: Sendable>(s3: S3Options = S3Options(), _ body: @escaping @Sendable (any SnapshotView) throws -> T) async throws -> T {
        try await Self.withViews([self], s3: s3) { views in try body(views[0]) }
    }

    /// `withView` for several sources at once (`diff`): all are open while `body` runs, and all are closed after.
    public static func withViews<T: Sendable>(
        _ sources: [SnapshotSource], s3: S3Options = S3Options(), _ body: @escaping @Sendable ([any SnapshotView]) throws -> T
    ) async throws -> T {
        var opened: [OpenedSource] = []
        let result: Result<T, any Error>
        do {
            for source in sources { opened.append(try await source.open(s3: s3)) }
            let views = opened.map(\.view)
            result = .success(try await BlockingBridge.offPool { try body(views) })
        } catch {
            result = .failure(error)
        }
        let kept = opened.lazy.compactMap { $0.failure() }.first
        for source in opened { await source.close() }
        // A listing that failed may have made files look missing: its error is the true answer.
        if let kept { throw kept }
        return try result.get()
    }

    /// A view with what it reads from, to close when done, and where a failure it could not throw was kept.
    private struct OpenedSource: Sendable {
        var view: any SnapshotView
        var close: @Sendable () async -> Void = {}
        /// A failure the view's files kept instead of throwing (a LIST that failed), reported in place of a result.
        var failure: @Sendable () -> (any Error)? = { nil }
    }

    private func open(s3: S3Options) async throws -> OpenedSource {
        switch self {
        case .path(let path):
            return OpenedSource(view: try SnapshotOpener.open(path))
        case .objectStore(let url):
            let files = Self.objectStoreFiles(s3: s3)
            do {
                let view: any SnapshotView
                if url.hasSuffix(".cairn"), let path = ObjectStoreSnapshotFiles.canonical(url) {
                    // A native snapshot: one HEAD, then ranged GETs of its footer and index (and blocks when asked).
                    view = try await BlockingBridge.offPool { NativeSnapshot(reader: try SnapshotReader(source: try files.open(path))) }
                } else {
                    let location = try await ObjectStoreSnapshotLocator.locate(url, files: files)
                    view = try await BlockingBridge.offPool { try FlinkSnapshot(location: location, files: files) }
                }
                return OpenedSource(view: view, close: { await files.close() }, failure: { files.listingFailure })
            } catch {
                await files.close()
                throw error
            }
        case .stored(let location, let snapshot):
            let files = try await StoreOpener.snapshotFiles(store: location, snapshot: snapshot, s3: s3)
            do {
                let view = try await BlockingBridge.offPool { try SnapshotOpener.open(files) }
                return OpenedSource(view: view, close: { await files.store.objects.close() })
            } catch {
                await files.store.objects.close()
                throw error
            }
        }
    }

    /// The files of checkpoints in S3, every bucket reached with the same endpoint and credentials.
    public static func objectStoreFiles(s3: S3Options) -> ObjectStoreSnapshotFiles {
        ObjectStoreSnapshotFiles { bucket in try S3StoreFactory.open(url: "s3://" + bucket, options: s3) }
    }
}
