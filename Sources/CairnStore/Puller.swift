import CairnCore
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Restores a snapshot into a directory, byte for byte. Chunks come from packs by the ranged reads of one
/// `PullPlan` across all files (whole packs when most of one is needed), each is checked against its SHA-256 before it is written, and each file is
/// written to a temporary name and renamed into place only when whole — a damaged pack stops the pull before
/// any wrong byte reaches a file.
public struct Puller: Sendable {
    public struct Options: Sendable {
        /// Ranged reads in flight.
        public var fetches: Int
        /// Largest ranged read, coalescing chunks of one pack.
        public var maxRequest: Int
        public var lockWait: Double
        public var progress: (@Sendable (PushProgress) -> Void)?

        public init(fetches: Int = 4, maxRequest: Int = 64 << 20, lockWait: Double = 600, progress: (@Sendable (PushProgress) -> Void)? = nil) {
            self.fetches = fetches
            self.maxRequest = maxRequest
            self.lockWait = lockWait
            self.progress = progress
        }
    }

    public struct Report: Sendable {
        public var snapshotID: String
        public var destination: String
        public var files: Int
        public var bytesWritten: UInt64
        public var chunks: Int
        public var requests: RequestCounts
        public var durationSeconds: Double
    }

    public let store: SnapshotStore
    public let options: Options

    public init(store: SnapshotStore, options: Options = Options()) {
        self.store = store
        self.options = options
    }

    public func pull(_ manifest: SnapshotManifest, to destination: String) async throws -> Report {
        try await StoreLock.holding(in: store.objects, exclusive: false, operation: "pull \(manifest.shortID)", wait: options.lockWait, clock: store.clock) {
            try await run(manifest, to: destination)
        }
    }

    private func run(_ manifest: SnapshotManifest, to destination: String) async throws -> Report {
        let started = Date()
        let before = store.objects.requestCounts
        var dest = destination
        while dest.count > 1 && dest.hasSuffix("/") { dest.removeLast() }
        let tree = try Self.prepareDestination(dest, files: manifest.files)
        let (index, _) = try await store.loadIndex(recoverPacks: false)

        // Every chunk must be known before anything is written.
        for f in manifest.files {
            for c in f.chunks {
                guard let id = ChunkID(hex: c), index.chunks[id] != nil else {
                    throw StoreError(.missing, place: store.objects.location + "/" + manifest.key,
                                     message: "file \(f.path): chunk \(c.prefix(12)) is in no index", hint: "run `cairn check` on the store")
                }
            }
        }

        // One plan across files and packs; reads run `fetches` at a time within a byte budget, and their chunks are
        // written in output order as soon as every earlier one is there.
        let plan = PullPlan(files: manifest.files.map { $0.chunks.compactMap(ChunkID.init(hex:)) }, index: index,
                            maxRequest: UInt64(options.maxRequest))
        let objects = store.objects
        let location = store.objects.location
        var written: UInt64 = 0
        var chunkCount = 0
        var nextFile = 0
        var open: (file: SnapshotManifest.File, target: String, sink: ConfinedFile, bytes: UInt64)? = nil

        func finishOpenFile() throws {
            guard let (file, _, sink, fileBytes) = open else { return }
            open = nil
            guard fileBytes == file.size else {
                throw StoreError(.corrupt, place: store.objects.location + "/" + manifest.key,
                                 message: "file \(file.path): chunks add up to \(fileBytes) bytes, the manifest says \(file.size)")
            }
            do { try sink.commit() } catch { throw Self.refusal(error) }
            written += fileBytes
        }

        /// Finishes files before `file` (empty ones included) and opens `file`.
        func advance(to file: Int) throws {
            while nextFile <= file {
                try finishOpenFile()
                let f = manifest.files[nextFile]
                let target = dest + "/" + f.path
                let sink: ConfinedFile
                do { sink = try tree.create(f.path) } catch { throw Self.refusal(error) }
                sink.mode = mode_t(f.mode & 0o7777 == 0 ? 0o644 : f.mode & 0o7777)
                sink.modificationTimeNs = f.mtimeNs
                open = (f, target, sink, 0)
                nextFile += 1
            }
        }

        // Reads keep their stored bytes until every chunk in them is written; each chunk is decoded and checked just
        // before it is written, so memory holds stored bytes (bounded by the budget and the plan's window), not
        // decompressed ones.
        let budget = max(options.maxRequest, 64 << 20)
        try await withThrowingTaskGroup(of: (Int, [UInt8]).self) { group in
            var next = 0, inFlight = 0, bytesInFlight = 0
            var buffers: [Int: (bytes: [UInt8], remaining: Int)] = [:]
            var ready: [Int: (read: Int, id: ChunkID, location: ChunkLocation)] = [:]
            var writeNext = 0
            func launch() {
                while next < plan.reads.count && inFlight < options.fetches && (inFlight == 0 || bytesInFlight + plan.reads[next].length <= budget) {
                    let n = next
                    let read = plan.reads[n]
                    next += 1
                    inFlight += 1
                    bytesInFlight += read.length
                    group.addTask { (n, try await objects.get(read.packKey, offset: read.offset, count: read.length)) }
                }
            }
            launch()
            while inFlight > 0 {
                guard let (n, bytes) = try await group.next() else { break }
                inFlight -= 1
                let read = plan.reads[n]
                bytesInFlight -= read.length
                buffers[n] = (bytes, read.parts.count)
                for part in read.parts { ready[part.ref] = (n, part.id, part.location) }
                while let (r, id, loc) = ready.removeValue(forKey: writeNext), let buffer = buffers[r] {
                    let start = Int(loc.offset - plan.reads[r].offset)
                    let stored = Array(buffer.bytes[start..<(start + Int(loc.storedLength))])
                    let piece = try SnapshotStore.decodeChunk(stored, id: id, location: loc, place: location + "/" + plan.reads[r].packKey)
                    if buffer.remaining <= 1 { buffers[r] = nil } else { buffers[r]?.remaining -= 1 }
                    let ref = plan.refs[writeNext]
                    if open == nil || nextFile <= ref.file { try advance(to: ref.file) }
                    guard let current = open else { break }
                    do { try current.sink.write(piece) } catch { throw StoreError(.source, place: current.target, message: "cannot write: \(error)") }
                    open?.bytes += UInt64(piece.count)
                    chunkCount += 1
                    writeNext += 1
                }
                launch()
                options.progress?(PushProgress(bytesDone: written + (open?.bytes ?? 0), bytesTotal: manifest.logicalSize, bytesUploaded: 0,
                                               elapsedSeconds: Date().timeIntervalSince(started)))
            }
        }
        if !manifest.files.isEmpty { try advance(to: manifest.files.count - 1) }
        try finishOpenFile()
        return Report(snapshotID: manifest.id, destination: dest, files: manifest.files.count, bytesWritten: written, chunks: chunkCount,
                      requests: store.objects.requestCounts - before, durationSeconds: Date().timeIntervalSince(started))
    }

    /// DEST may be missing or a directory; no file of the snapshot may already exist there, and no directory on
    /// the way to one may be a symlink (or anything but a directory): pull writes only below DEST, never through a
    /// link. Everything is checked before the first byte is fetched; `ConfinedDirectory` checks again as it writes.
    static func prepareDestination(_ dest: String, files: [SnapshotManifest.File]) throws -> ConfinedDirectory {
        switch FilePaths.kind(dest) {
        case nil:
            try makeParents(of: dest + "/x")
        case .directory:
            break
        default:
            throw StoreError(.source, place: dest, message: "exists and is not a directory")
        }
        let tree: ConfinedDirectory
        do { tree = try ConfinedDirectory(root: dest) } catch { throw refusal(error) }
        for f in files {
            if let problem = tree.problem(creating: f.path) { throw refusal(problem) }
        }
        return tree
    }

    /// A write pull refused or could not make, as a store error naming the file.
    static func refusal(_ error: IOError) -> StoreError {
        let exists = error.errno == EEXIST || error.message.contains("already exists")
        return StoreError(.source, place: error.path, message: "cannot \(error.operation): \(error.message)",
                          hint: exists ? "pull into an empty or new directory" : nil)
    }

    static func makeParents(of path: String) throws {
        do throws(IOError) { try FilePaths.makeDirectories(FilePaths.parent(path)) } catch {
            throw StoreError(.source, place: error.path, message: "cannot create directory: \(error.message)")
        }
    }
}
