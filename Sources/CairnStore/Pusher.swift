import CairnCore
import Foundation

/// Stores a `PushSource` as a snapshot: reads and chunks the files, hashes and compresses chunks on all cores,
/// packs the new ones and uploads packs concurrently, then commits the index and, last, the manifest.
///
/// Memory is bounded by the number of chunks in flight (a few per core, each at most the chunker's maximum) plus
/// the packs being uploaded; it does not grow with the snapshot. Killed at any point, the store keeps only
/// unreferenced packs, which the next push finds by their tables and reuses.
public struct Pusher: Sendable {
    public struct Options: Sendable {
        /// Chunks hashed and compressed at once.
        public var workers: Int
        /// Packs uploaded at once.
        public var uploads: Int
        /// Read every file even when the previous snapshot of its group holds it unchanged.
        public var forceRead: Bool
        /// How long to wait for a prune to finish before giving up, in seconds.
        public var lockWait: Double
        public var progress: (@Sendable (PushProgress) -> Void)?
        /// Test-only: runs after the packs and the index are written, just before the push checks its lock and
        /// creates the manifest — where a paused push would be.
        package var beforeManifest: (@Sendable () async throws -> Void)?

        public init(workers: Int = max(2, ProcessInfo.processInfo.activeProcessorCount * 2), uploads: Int = 3, forceRead: Bool = false,
                    lockWait: Double = 600, progress: (@Sendable (PushProgress) -> Void)? = nil) {
            self.workers = workers
            self.uploads = uploads
            self.forceRead = forceRead
            self.lockWait = lockWait
            self.progress = progress
        }
    }

    public let store: SnapshotStore
    public let options: Options

    public init(store: SnapshotStore, options: Options = Options()) {
        self.store = store
        self.options = options
    }

    private enum Work: Sendable {
        case chunk(file: Int, index: Int, id: ChunkID, rawLength: Int, stored: [UInt8]?, codec: ChunkCodec)
        case uploaded(PackTable)
    }

    public func push(_ source: PushSource) async throws -> PushReport {
        try Self.checkNames(source)
        let requestsBefore = store.objects.requestCounts
        return try await StoreLock.holdingLock(in: store.objects, exclusive: false, operation: "push \(source.source)", wait: options.lockWait,
                                               clock: store.clock) { lock in
            do {
                return try await run(source, lock: lock, requestsBefore: requestsBefore, isRetry: false)
            } catch let lost as LostWhileLapsed {
                // A prune ran while this push's lock had lapsed and removed data it relied on. The lock counts again
                // (`confirmProtected` retook it), so a second run reloads the index and uploads what is gone. The
                // index object the first run wrote names packs that are gone: it is replaced by one of its packs that
                // remain, so readers never meet a record of a missing pack.
                if let key = lost.ownIndex { try await dropMissingPacks(fromIndex: key) }
                return try await run(source, lock: lock, requestsBefore: requestsBefore, isRetry: true)
            }
        }
    }

    /// Replaces the index object `key` with one naming only its packs that still exist (none: just deletes it).
    /// The replacement is written before the original goes, so a pack that exists is never unindexed.
    private func dropMissingPacks(fromIndex key: String) async throws {
        guard let packs = try? await store.indexObject(key).packs else { return }  // gone already
        let present = Set(try await store.objects.list(prefix: "packs/").compactMap { PackTable.id(fromKey: $0.key) })
        let remaining = packs.filter { present.contains($0.packID) }
        guard remaining.count < packs.count else { return }
        if !remaining.isEmpty, try await store.writeIndex(remaining) == key { return }
        try await store.objects.delete(key)
    }

    /// Thrown by `confirmProtected` on a first run: push again.
    private struct LostWhileLapsed: Error {
        /// The index object the run wrote, if it wrote one.
        var ownIndex: String?
    }

    /// Refuses, before anything is stored, a file path a pull could not write safely (control characters, `..`)
    /// and an unsafe series name: what push stores, pull must be able to restore.
    static func checkNames(_ source: PushSource) throws(StoreError) {
        for f in source.files {
            if let problem = RelativePath.problem(f.relativePath) {
                throw StoreError(.source, place: RelativePath.printable(f.absolutePath),
                                 message: "cannot be stored: its path \"\(RelativePath.printable(f.relativePath))\" \(problem)",
                                 hint: "rename the file, or push a directory without it")
            }
        }
        if let series = source.attributes["series"], let problem = RelativePath.nameProblem(series) {
            throw StoreError(.source, place: source.source, message: "the series name \"\(RelativePath.printable(series))\" \(problem)",
                             hint: "choose a name without '/', '..' or control characters")
        }
    }

    /// The stages, in order: load the previous snapshot and the index; per file, skip it (`unchangedChunks`) or read
    /// and cut it (`unitCut`, else FastCDC); hash and compress chunks in child tasks; pack new chunks and upload full
    /// packs concurrently; then `commit` the index and the manifest.
    private func run(_ source: PushSource, lock: HeldStoreLock, requestsBefore: RequestCounts, isRetry: Bool) async throws -> PushReport {
        let started = Date()
        _ = await store.objects.removeAbandonedTemporaries()
        let chunker = try FastCDC(store.config.chunkerParameters)
        let maxChunk = store.config.chunkMaxSize
        let grouper = UnitGrouper(maxGroup: UInt64(min(store.config.chunkMinSize, 64 << 10)))
        let packTarget = store.config.packTargetSize
        let level = Int32(store.config.zstdLevel)

        // Manifests first, then indexes (the readers' ordering rule).
        let previous = try await latestSnapshot(ofGroup: source.group)
        let (index, recovered) = try await store.loadIndex(recoverPacks: true)
        let known = index.chunks
        let compressors = CompressorPool(level: level)

        var parentFiles: [String: SnapshotManifest.File] = [:]
        if let previous, !options.forceRead {
            for f in previous.files { parentFiles[f.path] = f }
        }

        var fileChunks: [[ChunkID?]] = Array(repeating: [], count: source.files.count)
        var pending: Set<ChunkID> = []
        var newPacks: [PackTable] = []
        // Room for the table too (49 bytes a chunk, chunks of 4 KiB and up), so sealing never copies the pack.
        var writer = PackWriter(capacity: packTarget + maxChunk + 49 * ((packTarget + maxChunk) / 4096 + 1) + 20)
        var bytesRead: UInt64 = 0, bytesSkipped: UInt64 = 0
        var chunks = 0, newChunks = 0, reused = 0
        var newBytes: UInt64 = 0, storedBytes: UInt64 = 0
        let total = source.logicalSize
        var lastProgress = Date.distantPast
        let progress = options.progress
        let objects = store.objects

        func report(force: Bool = false) {
            guard let progress else { return }
            let now = Date()
            guard force || now.timeIntervalSince(lastProgress) >= 0.2 else { return }
            lastProgress = now
            progress(PushProgress(bytesDone: bytesRead + bytesSkipped, bytesTotal: total,
                                  bytesUploaded: objects.requestCounts.bytesSent &- requestsBefore.bytesSent,
                                  elapsedSeconds: now.timeIntervalSince(started)))
        }

        try await withThrowingTaskGroup(of: Work.self) { group in
            var chunksInFlight = 0, uploadsInFlight = 0

            func startUpload() {
                guard !writer.isEmpty else { return }
                let (bytes, entries) = writer.seal()
                uploadsInFlight += 1
                group.addTask {
                    let table = PackTable.named(bytes: bytes, entries: entries)
                    try await objects.put(PackTable.key(for: table.packID), data: bytes)
                    return .uploaded(table)
                }
            }

            func handleNext() async throws {
                guard let work = try await group.next() else { return }
                switch work {
                case let .uploaded(table):
                    uploadsInFlight -= 1
                    newPacks.append(table)
                case let .chunk(file, i, id, rawLength, stored, codec):
                    chunksInFlight -= 1
                    fileChunks[file][i] = id
                    chunks += 1
                    if known[id] != nil {
                        reused += 1
                    } else if pending.contains(id) {
                        reused += 1
                    } else if let stored {
                        pending.insert(id)
                        newChunks += 1
                        newBytes += UInt64(rawLength)
                        storedBytes += UInt64(stored.count)
                        writer.append(id: id, stored: stored, rawLength: rawLength, codec: codec)
                        if writer.size >= packTarget {
                            while uploadsInFlight >= options.uploads { try await handleNext() }
                            // Waiting handled other results, which may have sealed this pack already.
                            if writer.size >= packTarget { startUpload() }
                        }
                    }
                    report()
                }
            }

            for (fileNumber, file) in source.files.enumerated() {
                if let ids = Self.unchangedChunks(of: file, previous: parentFiles[file.relativePath], known: known) {
                    fileChunks[fileNumber] = ids
                    chunks += ids.count
                    reused += ids.count
                    bytesSkipped += file.size
                    report()
                    continue
                }
                let reader = try PushFileReader.open(file, in: source)
                var buffer: [UInt8] = []
                var position = 0
                var offset: UInt64 = 0
                var chunkNumber = 0
                var nextBoundary = 0
                let window = max(16 << 20, maxChunk * 4)
                while true {
                    if buffer.count - position < maxChunk && offset < reader.size {
                        buffer.removeSubrange(0..<position)
                        position = 0
                        let n = Int(min(UInt64(window), reader.size - offset))
                        buffer.append(contentsOf: try await reader.read(at: offset, count: n))
                        offset += UInt64(n)
                        bytesRead += UInt64(n)
                    }
                    if position == buffer.count { break }
                    let available = buffer.count - position
                    let length = buffer.withUnsafeBytes { all in
                        let window = UnsafeRawBufferPointer(rebasing: all[position...])
                        let (limit, exact) = file.boundaries.isEmpty
                            ? (available, false)
                            : Self.unitCut(file, at: offset - UInt64(available), window: window, next: &nextBoundary,
                                           grouper: grouper, maxChunk: maxChunk)
                        return exact ? limit : chunker.cutPoint(UnsafeRawBufferPointer(rebasing: window[..<limit]))
                    }
                    let piece = Array(buffer[position..<(position + length)])
                    position += length
                    fileChunks[fileNumber].append(nil)
                    let number = chunkNumber
                    chunkNumber += 1
                    while chunksInFlight >= options.workers { try await handleNext() }
                    chunksInFlight += 1
                    group.addTask {
                        let id = ChunkID.hash(piece)
                        if known[id] != nil { return .chunk(file: fileNumber, index: number, id: id, rawLength: piece.count, stored: nil, codec: .raw) }
                        let (stored, codec) = compressors.compress(piece)
                        return .chunk(file: fileNumber, index: number, id: id, rawLength: piece.count, stored: stored, codec: codec)
                    }
                }
            }
            while chunksInFlight > 0 { try await handleNext() }
            while uploadsInFlight >= options.uploads { try await handleNext() }
            if !writer.isEmpty { startUpload() }
            while uploadsInFlight > 0 { try await handleNext() }
        }
        report(force: true)

        let (manifest, outcome) = try await commit(source, lock: lock, isRetry: isRetry, fileChunks: fileChunks, packs: newPacks,
                                                   recovered: recovered, started: started,
                                                   stats: .init(chunks: chunks, newChunks: newChunks, newBytes: newBytes, storedBytes: storedBytes,
                                                                durationSeconds: 0))

        return PushReport(
            snapshotID: manifest.id, created: outcome == .created, kind: source.kind, source: source.source, files: manifest.files.count,
            logicalSize: manifest.logicalSize, bytesRead: bytesRead, bytesSkipped: bytesSkipped, chunks: chunks, newChunks: newChunks,
            reusedChunks: reused, newBytes: newBytes, storedBytes: storedBytes, packsUploaded: newPacks.count, packsRecovered: recovered.count,
            requests: store.objects.requestCounts - requestsBefore, durationSeconds: Date().timeIntervalSince(started))
    }

    /// Opens a file to push, checking it is still the size it was listed with. A file that is gone or has another
    /// size is `.vanished`, which `backup` tells apart from other failures: Flink deleted or rewrote it mid-push.
    static func openUnchanged(_ file: PushSource.File, in storage: any SnapshotFiles) throws(StoreError) -> any RandomAccessSource {
        let reader: any RandomAccessSource
        do throws(IOError) { reader = try storage.open(file.absolutePath) } catch {
            if error.isNotFound {
                throw StoreError(.vanished, place: file.absolutePath, message: "disappeared while pushing; nothing of this snapshot was committed",
                                 hint: "Flink deletes subsumed checkpoints; push one it still retains")
            }
            throw StoreError(.source, place: file.absolutePath, message: "cannot read: \(error.message)")
        }
        guard reader.size == file.size else {
            throw StoreError(.vanished, place: file.absolutePath, message: "changed size while pushing (\(file.size) → \(reader.size) bytes); nothing of this snapshot was committed",
                             hint: "push a checkpoint that is complete and no longer written")
        }
        return reader
    }

    /// A read that failed part way: `.vanished` when the file is gone or has changed size since it was listed.
    static func readFailure(_ error: IOError, file: PushSource.File, storage: any SnapshotFiles) -> StoreError {
        let now = storage.size(file.absolutePath)
        if error.isNotFound || now == nil || now != Int64(clamping: file.size) {
            return StoreError(.vanished, place: file.absolutePath, message: "disappeared or changed size while pushing (\(error.message)); nothing of this snapshot was committed")
        }
        return StoreError(.source, place: file.absolutePath, message: error.message)
    }

    /// Stage "skip": the chunks of a file the previous snapshot of its group stored with the same size and mtime,
    /// when every one of them is still indexed; nil when the file must be read. (RocksDB SSTs and Flink state files
    /// are never rewritten in place, so size and mtime identify them.)
    static func unchangedChunks(of file: PushSource.File, previous: SnapshotManifest.File?, known: [ChunkID: ChunkLocation]) -> [ChunkID]? {
        guard let previous, previous.size == file.size, previous.mtimeNs == file.mtimeNs else { return nil }
        let ids = previous.chunks.compactMap(ChunkID.init(hex:))
        guard ids.count == previous.chunks.count, ids.allSatisfy({ known[$0] != nil }) else { return nil }
        return ids
    }

    /// Stage "cut", for files with unit boundaries (`.cairn` blocks): how many bytes of `window` (the file from
    /// offset `here`) the next chunk may take, and whether that is an exact unit end (else FastCDC cuts within it).
    /// Small units are grouped by `grouper`'s content-defined rule, so a change in one unit changes one group; a
    /// large unit is a chunk of its own, and the rest of one FastCDC split joins nothing. `next` is the first
    /// boundary after `here`, carried between calls.
    static func unitCut(_ file: PushSource.File, at here: UInt64, window: UnsafeRawBufferPointer, next: inout Int, grouper: UnitGrouper,
                        maxChunk: Int) -> (limit: Int, exact: Bool) {
        let boundaries = file.boundaries
        while next < boundaries.count && boundaries[next] <= here { next += 1 }
        func unitEnd(_ i: Int) -> UInt64? {
            i < boundaries.count ? boundaries[i] : i == boundaries.count ? max(file.size, here) : nil
        }
        var end = unitEnd(next) ?? file.size
        let unitStart = next == 0 ? 0 : boundaries[next - 1]
        if unitStart == here {
            let last = grouper.lastUnit(from: next, start: here, ends: unitEnd) { s, e in
                guard s >= here, e >= s, e - here <= UInt64(window.count) else { return nil }
                return UnsafeRawBufferPointer(rebasing: window[Int(s - here)..<Int(e - here)])
            }
            end = unitEnd(last) ?? end
        }
        let limit = Int(min(UInt64(window.count), end - here))
        return (limit, limit <= maxChunk && end - here == UInt64(limit))
    }

    /// Stage "commit": the index of what was written (and recovered), then the manifest, created only if absent.
    /// Nothing is visible before the manifest exists.
    private func commit(_ source: PushSource, lock: HeldStoreLock, isRetry: Bool, fileChunks: [[ChunkID?]], packs: [PackTable],
                        recovered: [PackTable], started: Date, stats: SnapshotManifest.Stats) async throws -> (SnapshotManifest, CreateOutcome) {
        var ownIndex: String? = nil
        if !packs.isEmpty || !recovered.isEmpty {
            ownIndex = try await store.writeIndex(packs + recovered)
        }
        if let hook = options.beforeManifest { try await hook() }
        try await confirmProtected(fileChunks, lock: lock, isRetry: isRetry, ownIndex: ownIndex)
        var stats = stats
        stats.durationSeconds = Date().timeIntervalSince(started)
        var files: [SnapshotManifest.File] = []
        files.reserveCapacity(source.files.count)
        for (n, f) in source.files.enumerated() {
            files.append(SnapshotManifest.File(path: f.relativePath, size: f.size, mtimeNs: f.mtimeNs, mode: f.mode,
                                               chunks: fileChunks[n].map { $0?.hex ?? "" }))
        }
        let manifest = SnapshotManifest(
            kind: source.kind, source: source.source, root: source.root, host: ProcessInfo.processInfo.hostName,
            createdAt: Date(timeIntervalSince1970: started.timeIntervalSince1970 + store.clock.offset),
            attributes: source.attributes, files: files, stats: stats)
        let encoded = manifest.encoded()
        let outcome = try await store.objects.create(manifest.key, data: encoded)
        if outcome == .created { store.indexCache?.write(manifest.key, bytes: encoded) }
        return (manifest, outcome)
    }

    /// Stage "confirm" (STORE.md §6): the manifest may be created only while everything it references is safe.
    /// While the push's lock has counted without a break, no prune can have run, and one LIST of `locks/` shows it.
    /// Otherwise (the push was paused, or cut off, longer than `StoreLock.lapseAfter`, or a prune judged its lock
    /// stale and deleted it) the push retakes its lock, waiting out a running prune, and checks that every chunk
    /// is still indexed in a pack that exists. If one is gone, a first run is repeated (uploading again what was
    /// lost); a repeated run fails, with nothing committed.
    private func confirmProtected(_ fileChunks: [[ChunkID?]], lock: HeldStoreLock, isRetry: Bool, ownIndex: String?) async throws {
        if try await lock.isIntact() { return }
        try await lock.retake(wait: options.lockWait, clock: store.clock)
        // Every chunk must be in a pack that exists and that an index object names, as readers find chunks.
        let (index, recovered) = try await store.loadIndex(recoverPacks: true)
        let unindexed = Set(recovered.map(\.packID))
        let lost = fileChunks.contains { ids in
            ids.contains { id in
                guard let id else { return false }
                guard let location = index.chunks[id] else { return true }
                return unindexed.contains(index.pack(of: location).packID)
            }
        }
        if lost {
            if !isRetry { throw LostWhileLapsed(ownIndex: ownIndex) }
            if let ownIndex { try await dropMissingPacks(fromIndex: ownIndex) }
            throw StoreError(.missing, place: store.objects.location,
                             message: "a prune removed data this push needs while its lock had lapsed; nothing was committed",
                             hint: "run the push again")
        }
    }

    /// The newest snapshot of `group`, whose unchanged files need not be read again.
    private func latestSnapshot(ofGroup group: String) async throws -> SnapshotManifest? {
        try await store.snapshots().last { ($0.attributes["group"] ?? $0.root) == group }
    }
}

/// zstd contexts shared by the chunk workers: each task borrows one, so contexts are made once per core, not
/// once per chunk.
final class CompressorPool: Sendable {
    private let level: Int32
    private let free = Locked<[Zstd.Compressor]>([])

    init(level: Int32) { self.level = level }

    /// The stored form of `raw`: zstd when it shrinks, raw otherwise (and always raw at level 0).
    func compress(_ raw: [UInt8]) -> ([UInt8], ChunkCodec) {
        guard level > 0 else { return (raw, .raw) }
        let compressor = free.withLock { $0.popLast() } ?? Zstd.Compressor(level: level)
        defer { free.withLock { $0.append(compressor) } }
        var out: [UInt8] = []
        let smaller = raw.withUnsafeBytes { compressor.compress($0, into: &out) }
        return smaller ? (out, .zstd) : (raw, .raw)
    }
}
