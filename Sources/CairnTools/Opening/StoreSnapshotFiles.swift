import CairnCore
import CairnStore
import Foundation

/// A stored snapshot's files as `SnapshotFiles`, at the absolute paths they had when pushed (the manifest's root
/// plus each relative path), so the absolute references inside a Flink `_metadata` resolve unchanged. Reads are
/// ranged reads of single chunks; nothing is pulled.
public final class StoreSnapshotFiles: SnapshotFiles {
    public let store: SnapshotStore
    public let manifest: SnapshotManifest
    let index: ChunkIndex
    private let files: [String: SnapshotManifest.File]
    private let directories: [String: [String]]
    private let subdirectories: [String: [String]]

    public init(store: SnapshotStore, manifest: SnapshotManifest, index: ChunkIndex) {
        self.store = store
        self.manifest = manifest
        self.index = index
        var files: [String: SnapshotManifest.File] = [:]
        var directories: [String: [String]] = [:]
        var subdirectories: [String: Set<String>] = [:]
        for f in manifest.files {
            let path = Self.join(manifest.root, f.path)
            files[path] = f
            let slash = path.lastIndex(of: "/") ?? path.startIndex
            var dir = String(path[..<slash])
            directories[dir, default: []].append(String(path[path.index(after: slash)...]))
            // Every ancestor directory holds the next one down.
            while let up = dir.lastIndex(of: "/"), up > dir.startIndex {
                let parent = String(dir[..<up])
                guard subdirectories[parent, default: []].insert(String(dir[dir.index(after: up)...])).inserted else { break }
                dir = parent
            }
        }
        self.files = files
        self.directories = directories
        self.subdirectories = subdirectories.mapValues { $0.sorted() }
    }

    static func join(_ root: String, _ relative: String) -> String { root == "/" ? "/" + relative : root + "/" + relative }

    /// The absolute path a manifest entry had.
    public func path(of relative: String) -> String { Self.join(manifest.root, relative) }

    public func open(_ path: String) throws(IOError) -> any RandomAccessSource {
        guard let f = files[path] else {
            throw IOError(path: path, operation: "open", message: "not in snapshot \(manifest.shortID)")
        }
        var ids: [ChunkID] = []
        var ends: [UInt64] = []
        var end: UInt64 = 0
        for c in f.chunks {
            guard let id = ChunkID(hex: c), let loc = index.chunks[id] else {
                throw IOError(path: path, operation: "open", message: "chunk \(c.prefix(12)) is in no index of \(store.objects.location)")
            }
            end += UInt64(loc.rawLength)
            ids.append(id)
            ends.append(end)
        }
        guard end == f.size else {
            throw IOError(path: path, operation: "open", message: "chunks add up to \(end) bytes, the manifest says \(f.size)")
        }
        return StoreFileSource(name: "\(store.objects.location)#\(manifest.shortID):\(f.path)", store: store, index: index, chunks: ids, ends: ends)
    }

    public func size(_ path: String) -> Int64? { files[path].map { Int64($0.size) } }

    public func info(_ path: String) -> SnapshotFileInfo? {
        files[path].map { SnapshotFileInfo(size: Int64($0.size), modifiedNs: $0.mtimeNs, mode: $0.mode) }
    }

    public func fileNames(in directory: String) -> [String] { directories[directory] ?? [] }

    public func directoryNames(in directory: String) -> [String] { subdirectories[directory] ?? [] }
}

/// One stored file as a `RandomAccessSource`: a read fetches the chunks it spans (keeping the last few), checks
/// their hashes, and copies the asked range out.
final class StoreFileSource: RandomAccessSource, @unchecked Sendable {
    let name: String
    let size: UInt64
    private let store: SnapshotStore
    private let index: ChunkIndex
    private let chunks: [ChunkID]
    /// Exclusive end offset of each chunk.
    private let ends: [UInt64]
    private let cache = Locked<[(Int, [UInt8])]>([])
    private let counter = Locked<UInt64>(0)

    init(name: String, store: SnapshotStore, index: ChunkIndex, chunks: [ChunkID], ends: [UInt64]) {
        self.name = name
        self.store = store
        self.index = index
        self.chunks = chunks
        self.ends = ends
        size = ends.last ?? 0
    }

    var bytesRead: UInt64 { counter.withLock { $0 } }

    func read(at offset: UInt64, count: Int) throws(IOError) -> [UInt8] {
        guard count >= 0, offset <= size, UInt64(count) <= size - offset else {
            throw IOError(path: name, operation: "read \(count) bytes at offset \(offset)", message: "beyond the end of the \(size)-byte file")
        }
        var out: [UInt8] = []
        out.reserveCapacity(count)
        var position = offset
        let end = offset + UInt64(count)
        // First chunk whose end is past `offset`.
        var n = ends.partitionPoint { $0 <= offset }
        while position < end && n < chunks.count {
            let chunk = try chunk(n)
            let start = n == 0 ? 0 : ends[n - 1]
            let from = Int(position - start)
            let to = Int(min(end, ends[n]) - start)
            out.append(contentsOf: chunk[from..<to])
            position = start + UInt64(to)
            n += 1
        }
        counter.withLock { $0 += UInt64(count) }
        return out
    }

    private func chunk(_ n: Int) throws(IOError) -> [UInt8] {
        if let hit = cache.withLock({ c in c.first { $0.0 == n }?.1 }) { return hit }
        let id = chunks[n]
        let store = self.store, index = self.index
        let bytes: [UInt8]
        do {
            bytes = try BlockingBridge.wait { try await store.readChunk(id, in: index) }
        } catch {
            throw IOError(path: name, operation: "read chunk \(id.short)", message: "\(error)")
        }
        cache.withLock { c in
            c.append((n, bytes))
            if c.count > 4 { c.removeFirst() }
        }
        return bytes
    }
}

extension Array {
    /// The first index whose element fails `belongsBefore` (the array is partitioned by it).
    func partitionPoint(_ belongsBefore: (Element) -> Bool) -> Int {
        var low = 0, high = count
        while low < high {
            let mid = (low + high) / 2
            if belongsBefore(self[mid]) { low = mid + 1 } else { high = mid }
        }
        return low
    }
}
