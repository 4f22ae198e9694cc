import CairnCore
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Restores a snapshot into a directory, byte for byte. Chunks come from packs by ranged reads (neighbours in one
/// pack are fetched together), each is checked against its SHA-256 before it is written, and each file is
/// written to a temporary name and renamed into place only when whole — a damaged pack stops the pull before
/// any wrong byte reaches a file.
public struct Puller: Sendable {
    public struct Options: Sendable {
        /// Ranged reads in flight.
        public var fetches: Int
        /// Largest ranged read, coalescing neighbouring chunks.
        public var maxRequest: Int
        public var lockWait: Double
        public var progress: (@Sendable (PushProgress) -> Void)?

        public init(fetches: Int = 6, maxRequest: Int = 16 << 20, lockWait: Double = 600, progress: (@Sendable (PushProgress) -> Void)? = nil) {
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

    /// One ranged read: a run of chunks stored back to back in one pack.
    struct Segment: Sendable {
        var packKey: String
        var offset: UInt64
        var length: Int
        var chunks: [(id: ChunkID, location: ChunkLocation)]
    }

    public func pull(_ manifest: SnapshotManifest, to destination: String) async throws -> Report {
        try await StoreLock.holding(in: store.objects, exclusive: false, operation: "pull \(manifest.shortID)", wait: options.lockWait) {
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

        var written: UInt64 = 0
        var chunkCount = 0
        for file in manifest.files {
            let ids = file.chunks.compactMap(ChunkID.init(hex:))
            let segments = segments(for: ids, index: index)
            let target = dest + "/" + file.path
            let sink: ConfinedFile
            do { sink = try tree.create(file.path) } catch { throw Self.refusal(error) }
            sink.mode = mode_t(file.mode & 0o7777 == 0 ? 0o644 : file.mode & 0o7777)
            sink.modificationTimeNs = file.mtimeNs
            var fileBytes: UInt64 = 0
            let objects = store.objects
            let location = store.objects.location
            try await withThrowingTaskGroup(of: (Int, [[UInt8]]).self) { group in
                var next = 0, inFlight = 0
                var ready: [Int: [[UInt8]]] = [:]
                var writeNext = 0
                func launch() {
                    let n = next
                    let seg = segments[n]
                    next += 1
                    inFlight += 1
                    group.addTask {
                        let bytes = try await objects.get(seg.packKey, offset: seg.offset, count: seg.length)
                        var out: [[UInt8]] = []
                        for (id, loc) in seg.chunks {
                            let start = Int(loc.offset - seg.offset)
                            let stored = Array(bytes[start..<(start + Int(loc.storedLength))])
                            out.append(try SnapshotStore.decodeChunk(stored, id: id, location: loc, place: location + "/" + seg.packKey))
                        }
                        return (n, out)
                    }
                }
                while next < segments.count && inFlight < options.fetches { launch() }
                while inFlight > 0 {
                    guard let (n, pieces) = try await group.next() else { break }
                    inFlight -= 1
                    ready[n] = pieces
                    while let pieces = ready.removeValue(forKey: writeNext) {
                        for p in pieces {
                            do { try sink.write(p) } catch { throw StoreError(.source, place: target, message: "cannot write: \(error)") }
                            fileBytes += UInt64(p.count)
                            chunkCount += 1
                        }
                        writeNext += 1
                    }
                    while next < segments.count && inFlight < options.fetches { launch() }
                    options.progress?(PushProgress(bytesDone: written + fileBytes, bytesTotal: manifest.logicalSize, bytesUploaded: 0,
                                                   elapsedSeconds: Date().timeIntervalSince(started)))
                }
            }
            guard fileBytes == file.size else {
                throw StoreError(.corrupt, place: store.objects.location + "/" + manifest.key,
                                 message: "file \(file.path): chunks add up to \(fileBytes) bytes, the manifest says \(file.size)")
            }
            do { try sink.commit() } catch { throw Self.refusal(error) }
            written += fileBytes
        }
        return Report(snapshotID: manifest.id, destination: dest, files: manifest.files.count, bytesWritten: written, chunks: chunkCount,
                      requests: store.objects.requestCounts - before, durationSeconds: Date().timeIntervalSince(started))
    }

    /// Groups a file's chunks into ranged reads: neighbours stored back to back in one pack share a read.
    func segments(for ids: [ChunkID], index: ChunkIndex) -> [Segment] {
        var out: [Segment] = []
        for id in ids {
            guard let loc = index.chunks[id] else { continue }
            let key = PackTable.key(for: index.pack(of: loc).packID)
            if var last = out.last, last.packKey == key, last.offset + UInt64(last.length) == loc.offset,
               last.length + Int(loc.storedLength) <= options.maxRequest
            {
                last.length += Int(loc.storedLength)
                last.chunks.append((id, loc))
                out[out.count - 1] = last
            } else {
                out.append(Segment(packKey: key, offset: loc.offset, length: Int(loc.storedLength), chunks: [(id, loc)]))
            }
        }
        return out
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
