import CairnCore
import CairnStore

/// A checkpoint where Flink wrote it, in S3: `SnapshotFiles` whose paths are `s3://bucket/key` URLs (`s3a://` and
/// `s3p://` name the same objects), read in place through `ObjectStore`s of one endpoint and one set of
/// credentials, one store per bucket.
///
/// Requests are few by design: `size` and `fileNames` answer from LIST results (one LIST per directory asked about,
/// and none below a directory already listed), so `validate` checks hundreds of references without downloading
/// any; `open` reads by ranged GETs through a block cache shared by every file, so the small reads of a state scan
/// become one GET per block. `_metadata`, fetched whole when the checkpoint is located, is never fetched again.
///
/// `size` and `fileNames` cannot throw; a LIST that fails (access denied, throttling after retries) is kept in
/// `listingFailure`, and `SnapshotSource` reports it instead of a result built on a listing that looked empty.
public final class ObjectStoreSnapshotFiles: SnapshotFiles {
    /// Opens the store of one bucket (prefix empty, so keys are full object keys). No request may be made here.
    public typealias BucketOpener = @Sendable (_ bucket: String) throws -> any ObjectStore

    /// Bytes per cached block: a ranged GET fetches whole blocks.
    public let blockSize: Int
    private let opener: BucketOpener
    private let stores = Locked<[String: any ObjectStore]>([:])
    private let known = Locked<Known>(Known())
    private let cache: BlockCache
    private let firstFailure = Locked<(any Error & Sendable)?>(nil)

    /// What listings and HEADs said: objects by path, and the directories listed (everything below them is known).
    private struct Known {
        var objects: [String: ObjectInfo] = [:]
        var listed: Set<String> = []
        var preloaded: [String: [UInt8]] = [:]
    }

    /// `cacheBytes` bounds the memory of the block cache across all files.
    public init(blockSize: Int = 4 << 20, cacheBytes: Int = 64 << 20, opener: @escaping BucketOpener) {
        self.blockSize = max(4096, blockSize)
        self.opener = opener
        cache = BlockCache(budget: max(cacheBytes, self.blockSize))
    }

    // MARK: - paths

    /// `s3://bucket/key` for any of the S3 schemes, without trailing or doubled slashes; nil for other URLs.
    public static func canonical(_ url: String) -> String? {
        guard let scheme = ObjectStoreURL.s3Scheme(url) else { return nil }
        let rest = url.dropFirst(scheme.count + 3).split(separator: "/")
        guard let bucket = rest.first else { return nil }
        return "s3://" + ([bucket] + rest.dropFirst()).joined(separator: "/")
    }

    /// The bucket and key of a canonical path; the key is empty for the bucket itself.
    static func split(_ path: String) -> (bucket: String, key: String)? {
        guard let c = canonical(path) else { return nil }
        let rest = c.dropFirst(5)
        let bucket = rest.prefix { $0 != "/" }
        return (String(bucket), String(rest.dropFirst(bucket.count + 1)))
    }

    /// S3 URIs as canonical paths; local paths stay local paths, which exist nowhere here, so the resolver looks for
    /// them by their job-relative suffix under the checkpoint (a checkpoint copied into S3 as it was).
    public func path(ofURI uri: String) -> String? { Self.canonical(uri) ?? FilePaths.localPath(ofURI: uri) }

    public var answersExistenceLocally: Bool { false }

    // MARK: - stores

    func store(_ bucket: String) throws -> any ObjectStore {
        try stores.withLock { stores in
            if let s = stores[bucket] { return s }
            let s = try opener(bucket)
            stores[bucket] = s
            return s
        }
    }

    /// The first LIST that failed, if any: results that relied on it are not to be trusted.
    public var listingFailure: (any Error & Sendable)? { firstFailure.withLock { $0 } }

    /// Drops every listing and a listing failure, keeping fetched blocks (objects are written once): the next
    /// question lists again. `backup --watch` calls it each round to see checkpoints written since.
    public func forgetListings() {
        known.withLock { k in
            k.objects.removeAll()
            k.listed.removeAll()
        }
        firstFailure.withLock { $0 = nil }
    }

    /// Closes every store opened.
    public func close() async {
        let all = stores.withLock { Array($0.values) }
        for s in all { await s.close() }
    }

    // MARK: - what is there

    /// Keeps bytes already fetched whole (the `_metadata`), so opening it again costs no request.
    func preload(_ path: String, bytes: [UInt8]) {
        known.withLock { $0.preloaded[path] = bytes }
    }

    /// Lists `directory` (a canonical path) and everything below it, once.
    func list(_ directory: String) async throws -> [ObjectInfo] {
        guard let (bucket, key) = Self.split(directory) else { return [] }
        let prefix = key.isEmpty ? "" : key + "/"
        let infos = try await store(bucket).list(prefix: prefix)
        known.withLock { k in
            for info in infos { k.objects["s3://\(bucket)/\(info.key)"] = info }
            k.listed.insert(directory)
        }
        return infos
    }

    private func isListed(_ directory: String) -> Bool {
        known.withLock { k in
            var d = directory
            while true {
                if k.listed.contains(d) { return true }
                let p = FilePaths.parent(d)
                if p.count < "s3://x".count || p == d { return false }
                d = p
            }
        }
    }

    /// Makes sure `directory` is listed; a bucket root is never listed whole.
    private func ensureListed(_ directory: String) {
        guard let (_, key) = Self.split(directory), !key.isEmpty, !isListed(directory) else { return }
        do {
            _ = try BlockingBridge.wait { try await self.list(directory) }
        } catch {
            firstFailure.withLock { if $0 == nil { $0 = error } }
        }
    }

    /// Size and modification time from the listing of the object's directory (one LIST per directory).
    public func objectInfo(_ path: String) -> ObjectInfo? {
        guard let c = Self.canonical(path) else { return nil }
        ensureListed(FilePaths.parent(c))
        return known.withLock { $0.objects[c] }
    }

    public func info(_ path: String) -> SnapshotFileInfo? {
        objectInfo(path).map { SnapshotFileInfo(size: Int64($0.size), modifiedNs: Int64(($0.modified * 1000).rounded()) * 1_000_000) }
    }

    public func size(_ path: String) -> Int64? { objectInfo(path).map { Int64($0.size) } }

    /// The common prefixes one level below `directory` (a job directory's `chk-N`, `shared`, `taskowned`), from the
    /// same listing as `fileNames`.
    public func directoryNames(in directory: String) -> [String] {
        guard let dir = Self.canonical(directory) else { return [] }
        ensureListed(dir)
        let prefix = dir + "/"
        let names = known.withLock { k in
            k.objects.keys.compactMap { key -> String? in
                guard key.hasPrefix(prefix) else { return nil }
                let rest = key.dropFirst(prefix.count)
                guard let slash = rest.firstIndex(of: "/") else { return nil }
                return String(rest[..<slash])
            }
        }
        return Set(names).sorted()
    }

    public func fileNames(in directory: String) -> [String] {
        guard let dir = Self.canonical(directory) else { return [] }
        ensureListed(dir)
        let prefix = dir + "/"
        return known.withLock { k in
            k.objects.keys.filter { $0.hasPrefix(prefix) && !$0.dropFirst(prefix.count).contains("/") }
                .map { String($0.dropFirst(prefix.count)) }.sorted()
        }
    }

    // MARK: - reading

    public func open(_ path: String) throws(IOError) -> any RandomAccessSource {
        guard let c = Self.canonical(path), let (bucket, key) = Self.split(c), !key.isEmpty else {
            throw IOError(path: path, operation: "open", message: "not an s3://bucket/key URL")
        }
        if let bytes = known.withLock({ $0.preloaded[c] }) { return MemorySource(bytes, name: c) }
        var size = known.withLock { $0.objects[c]?.size }
        if size == nil {
            // Not listed: one HEAD rather than listing a whole directory for one file.
            let info: ObjectInfo?
            do {
                let s = try store(bucket)
                info = try BlockingBridge.wait { try await s.head(key) }
            } catch {
                throw IOError(path: c, operation: "open (HEAD)", message: Self.reason(error))
            }
            guard let info else { throw IOError(path: c, operation: "open", message: "no such object") }
            known.withLock { $0.objects[c] = ObjectInfo(key: c, size: info.size, modified: info.modified) }
            size = info.size
        }
        return ObjectStoreFileSource(name: c, bucket: bucket, key: key, size: size ?? 0, files: self)
    }

    /// `count` bytes at `offset`: whole blocks through the cache, or one ranged GET for reads larger than two blocks.
    func read(_ source: ObjectStoreFileSource, at offset: UInt64, count: Int) throws(IOError) -> [UInt8] {
        if count == 0 { return [] }
        let block = UInt64(blockSize)
        if count > 2 * blockSize { return try fetch(source, from: offset, count: count) }
        let first = offset / block, last = (offset + UInt64(count) - 1) / block
        var blocks: [UInt64: [UInt8]] = [:]
        var missing: [UInt64] = []
        for b in first...last {
            if let hit = cache.get(BlockCache.Key(path: source.name, block: b)) { blocks[b] = hit } else { missing.append(b) }
        }
        if let lo = missing.first, let hi = missing.last {
            // One GET for the run of missing blocks (cached ones inside it are fetched again: rare and small).
            let start = lo * block, end = min(source.size, (hi + 1) * block)
            let bytes = try fetch(source, from: start, count: Int(end - start))
            for b in lo...hi {
                let from = Int((b - lo) * block), to = min(bytes.count, from + blockSize)
                let piece = Array(bytes[from..<to])
                blocks[b] = piece
                cache.put(BlockCache.Key(path: source.name, block: b), piece)
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(count)
        var position = offset
        let end = offset + UInt64(count)
        for b in first...last {
            guard let bytes = blocks[b] else { break }
            let blockStart = b * block
            let from = Int(position - blockStart), to = Int(min(end, blockStart + UInt64(bytes.count)) - blockStart)
            guard from <= to else { break }
            out.append(contentsOf: bytes[from..<to])
            position = blockStart + UInt64(to)
        }
        guard out.count == count else {
            throw IOError(path: source.name, operation: "read \(count) bytes at offset \(offset)", message: "the object is shorter than its listed \(source.size) bytes; was it replaced while being read?")
        }
        return out
    }

    private func fetch(_ source: ObjectStoreFileSource, from offset: UInt64, count: Int) throws(IOError) -> [UInt8] {
        let bucket = source.bucket, key = source.key
        do {
            let s = try store(bucket)
            return try BlockingBridge.wait { try await s.get(key, offset: offset, count: count) }
        } catch {
            throw IOError(path: source.name, operation: "GET bytes \(offset)-\(offset + UInt64(max(count, 1)) - 1)", message: Self.reason(error))
        }
    }

    /// The store's own words (it names the status and code), without repeating the place.
    static func reason(_ error: any Error) -> String {
        if let e = error as? ObjectStoreError { return e.message + (e.hint.map { " (\($0))" } ?? "") }
        return "\(error)"
    }
}

/// One object as a `RandomAccessSource`; reads go through the shared block cache of its `ObjectStoreSnapshotFiles`.
final class ObjectStoreFileSource: RandomAccessSource {
    let name: String
    let size: UInt64
    let bucket: String
    let key: String
    private let files: ObjectStoreSnapshotFiles
    private let counter = Locked<UInt64>(0)

    init(name: String, bucket: String, key: String, size: UInt64, files: ObjectStoreSnapshotFiles) {
        self.name = name
        self.bucket = bucket
        self.key = key
        self.size = size
        self.files = files
    }

    var bytesRead: UInt64 { counter.withLock { $0 } }

    func read(at offset: UInt64, count: Int) throws(IOError) -> [UInt8] {
        guard count >= 0, offset <= size, UInt64(count) <= size - offset else {
            throw IOError(path: name, operation: "read \(count) bytes at offset \(offset)", message: "beyond the end of the \(size)-byte object")
        }
        let bytes = try files.read(self, at: offset, count: count)
        counter.withLock { $0 += UInt64(count) }
        return bytes
    }
}

/// Blocks of objects, least recently used out first, within a byte budget.
final class BlockCache: Sendable {
    struct Key: Hashable, Sendable {
        var path: String
        var block: UInt64
    }

    private struct State {
        var blocks: [Key: (bytes: [UInt8], used: UInt64)] = [:]
        var bytes = 0
        var clock: UInt64 = 0
    }

    private let budget: Int
    private let state = Locked<State>(State())

    init(budget: Int) { self.budget = budget }

    func get(_ key: Key) -> [UInt8]? {
        state.withLock { s in
            guard let hit = s.blocks[key] else { return nil }
            s.clock += 1
            s.blocks[key] = (hit.bytes, s.clock)
            return hit.bytes
        }
    }

    func put(_ key: Key, _ bytes: [UInt8]) {
        state.withLock { s in
            s.clock += 1
            if let old = s.blocks[key] { s.bytes -= old.bytes.count }
            s.blocks[key] = (bytes, s.clock)
            s.bytes += bytes.count
            while s.bytes > budget, let oldest = s.blocks.min(by: { $0.value.used < $1.value.used }) {
                s.bytes -= oldest.value.bytes.count
                s.blocks[oldest.key] = nil
            }
        }
    }
}
