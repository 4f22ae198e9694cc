import CairnCore

/// Reads one file of a `PushSource`: from the local disk, or by ranged GETs from the object store the source
/// lives in (a live checkpoint in S3), so push streams either kind window by window with bounded memory.
///
/// A file that is gone or has changed size since it was listed is a `.vanished` error either way, so `backup` skips
/// a checkpoint Flink deleted while it was read, and nothing of it is committed.
enum PushFileReader {
    case files(any RandomAccessSource, PushSource.File, any SnapshotFiles)
    case object(any ObjectStore, key: String, size: UInt64, name: String)

    /// Opens `file`; in an object store nothing is requested until the first read (the size is the listed one).
    static func open(_ file: PushSource.File, in source: PushSource) throws(StoreError) -> PushFileReader {
        if let objects = source.objects {
            return .object(objects, key: file.absolutePath, size: file.size, name: source.root + "/" + file.relativePath)
        }
        return .files(try Pusher.openUnchanged(file, in: source.storage), file, source.storage)
    }

    var size: UInt64 {
        switch self {
        case .files(let f, _, _): f.size
        case .object(_, _, let size, _): size
        }
    }

    var name: String {
        switch self {
        case .files(let f, _, _): f.name
        case .object(_, _, _, let name): name
        }
    }

    func read(at offset: UInt64, count: Int) async throws(StoreError) -> [UInt8] {
        switch self {
        case .files(let f, let file, let storage):
            do throws(IOError) { return try f.read(at: offset, count: count) } catch {
                throw Pusher.readFailure(error, file: file, storage: storage)
            }
        case .object(let objects, let key, _, let name):
            do throws(ObjectStoreError) { return try await objects.get(key, offset: offset, count: count) } catch {
                let gone = error.kind == .notFound || error.kind == .shortRead
                let hint = gone
                    ? "the object vanished or changed while being pushed (Flink deletes old checkpoints); nothing was stored, push a checkpoint that is still retained"
                    : error.hint
                throw StoreError(gone ? .vanished : .source, place: name, message: "GET bytes \(offset)-\(offset + UInt64(count) - 1): \(error.message)", hint: hint)
            }
        }
    }
}
