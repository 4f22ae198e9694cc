import CairnCore
import CairnFlink
import CairnModel
import CairnStore
import CairnTools

/// A SOURCE argument, classified once; every command that reads a snapshot opens it through here.
public enum SnapshotSource: Sendable, Equatable, CustomStringConvertible {
    /// A local path: a `.cairn` file, a Flink `_metadata`, its directory, or a job's checkpoint directory.
    case path(String)
    /// `STORE#SNAPSHOT`: a snapshot inside a Cairn store, read in place.
    case stored(store: StoreLocation, snapshot: String)
    /// A checkpoint where Flink wrote it in object storage (`s3://`, `s3a://`, `s3p://`).
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
        for source in opened { await source.close() }
        return try result.get()
    }

    /// A view with the store it reads from, if any, to close when done.
    private struct OpenedSource: Sendable {
        var view: any SnapshotView
        var store: SnapshotStore?

        func close() async { await store?.objects.close() }
    }

    private func open(s3: S3Options) async throws -> OpenedSource {
        switch self {
        case .path(let path):
            return OpenedSource(view: try SnapshotOpener.open(path), store: nil)
        case .objectStore(let url):
            throw CairnFlinkError.remoteUnsupported(path: url)
        case .stored(let location, let snapshot):
            let files = try await StoreOpener.snapshotFiles(store: location, snapshot: snapshot, s3: s3)
            do {
                let view = try await BlockingBridge.offPool { try SnapshotOpener.open(files) }
                return OpenedSource(view: view, store: files.store)
            } catch {
                await files.store.objects.close()
                throw error
            }
        }
    }
}
