import CairnCore
import Foundation

/// A snapshot in the store: which files, in which order of which chunks, plus what they were (STORE.md §5).
/// Manifests are created last and never changed: a snapshot exists exactly when its manifest does.
public struct SnapshotManifest: Codable, Sendable, Equatable {
    public static let formatName = "cairn-snapshot"
    public static let currentVersion = 1

    /// One stored file. `path` is relative to the snapshot's root and `/`-separated.
    public struct File: Codable, Sendable, Equatable {
        public var path: String
        public var size: UInt64
        /// Modification time in nanoseconds since 1970 when pushed (restored by `pull`).
        public var mtimeNs: Int64
        public var mode: UInt32
        /// Chunk ids as hex, in file order.
        public var chunks: [String]

        public init(path: String, size: UInt64, mtimeNs: Int64, mode: UInt32, chunks: [String]) {
            self.path = path
            self.size = size
            self.mtimeNs = mtimeNs
            self.mode = mode
            self.chunks = chunks
        }
    }

    /// What the push did, kept for `snapshots`.
    public struct Stats: Codable, Sendable, Equatable {
        public var chunks: Int
        public var newChunks: Int
        /// Raw bytes of chunks no earlier snapshot had.
        public var newBytes: UInt64
        /// What the new chunks took in packs, after compression.
        public var storedBytes: UInt64
        public var durationSeconds: Double

        public init(chunks: Int, newChunks: Int, newBytes: UInt64, storedBytes: UInt64, durationSeconds: Double) {
            self.chunks = chunks
            self.newChunks = newChunks
            self.newBytes = newBytes
            self.storedBytes = storedBytes
            self.durationSeconds = durationSeconds
        }
    }

    public var format: String
    public var version: Int
    /// SHA-256 (hex) of the content identity: kind, root, and each file's path, size and chunks.
    public var id: String
    /// "native", "flink-checkpoint", "flink-savepoint" or "directory".
    public var kind: String
    /// The SOURCE argument as given to push.
    public var source: String
    /// The absolute directory the file paths are relative to, at push time.
    public var root: String
    public var host: String
    public var createdAt: String
    /// Facts about what was pushed: `group`, `series`, `jobId`, `checkpointId`, `metadataPath` (the `_metadata`
    /// file), `snapshotFile`.
    public var attributes: [String: String]
    public var logicalSize: UInt64
    public var files: [File]
    public var stats: Stats

    public init(kind: String, source: String, root: String, host: String, createdAt: Date, attributes: [String: String], files: [File], stats: Stats) {
        format = Self.formatName
        version = Self.currentVersion
        self.kind = kind
        self.source = source
        self.root = root
        self.host = host
        self.createdAt = Self.timeFormatter().string(from: createdAt)
        self.attributes = attributes
        self.files = files
        self.stats = stats
        logicalSize = files.reduce(0) { $0 + $1.size }
        id = ""
        id = contentID.hex
    }

    /// The identity that names the snapshot: pushing the same content from the same place gives the same id, so a
    /// repeated push finds it already stored. Times, host and statistics are not part of it. A named series
    /// (`attributes["series"]`, set by `backup --series`) is, so one checkpoint can be kept in two series; without
    /// it the bytes hashed are exactly those of earlier versions, so existing ids stay valid (STORE.md §5).
    public var contentID: ChunkID {
        var w = ByteWriter()
        w.writeString(Self.formatName)
        w.writeString(kind)
        w.writeString(root)
        w.writeVarint(files.count)
        for f in files {
            w.writeString(f.path)
            w.writeVarint(f.size)
            w.writeVarint(f.chunks.count)
            for c in f.chunks { w.writeString(c) }
        }
        if let series = attributes["series"] {
            w.writeString("series")
            w.writeString(series)
        }
        return ChunkID.hash(w.bytes)
    }

    public var key: String { Self.key(id) }
    public static func key(_ id: String) -> String { "snapshots/" + id }
    public var shortID: String { String(id.prefix(12)) }

    public var createdDate: Date? { Self.timeFormatter().date(from: createdAt) }

    /// UTC with milliseconds, so snapshots pushed within one second still sort by time (the strings sort as times).
    static func timeFormatter() -> ISO8601DateFormatter {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f
    }

    public func encoded() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array((try? encoder.encode(self)) ?? Data())
    }

    /// Decodes and checks a manifest: known format and version, safe relative paths, well-formed chunk ids, and an
    /// id that matches the content and the key it was read from.
    public static func decode(_ bytes: [UInt8], key: String, place: String) throws(StoreError) -> SnapshotManifest {
        let m: SnapshotManifest
        do {
            m = try JSONDecoder().decode(SnapshotManifest.self, from: Data(bytes))
        } catch {
            throw StoreError(.corrupt, place: place, message: "manifest does not decode: \(error)")
        }
        guard m.format == formatName else { throw StoreError(.corrupt, place: place, message: "format is \"\(m.format)\"") }
        guard m.version == currentVersion else {
            throw StoreError(.unsupported, place: place, message: "manifest version \(m.version); this Cairn reads version \(currentVersion)")
        }
        for f in m.files {
            if let problem = RelativePath.problem(f.path) ?? (f.path.contains("\\") ? "holds a backslash" : nil) {
                throw StoreError(.corrupt, place: place, message: "unsafe file path \"\(RelativePath.printable(f.path))\": it \(problem); pull refuses to write it",
                                 hint: "this manifest was not written by cairn push; do not trust this store")
            }
            for c in f.chunks where ChunkID(hex: c) == nil {
                throw StoreError(.corrupt, place: place, message: "file \(f.path): chunk id \"\(c.prefix(80))\" is not 64 hex digits")
            }
        }
        // Unique paths, none a directory of another: a pull must never write one file into or over another.
        var paths = Set<String>()
        for f in m.files where !paths.insert(f.path).inserted {
            throw StoreError(.corrupt, place: place, message: "file path \(String(reflecting: f.path)) appears twice")
        }
        for f in m.files {
            var parent = Substring(f.path)
            while let slash = parent.lastIndex(of: "/") {
                parent = parent[..<slash]
                if paths.contains(String(parent)) {
                    throw StoreError(.corrupt, place: place, message: "\(String(reflecting: String(parent))) is both a file and the directory of \(f.path)")
                }
            }
        }
        guard m.logicalSize == m.files.reduce(0, { $0 + $1.size }) else {
            throw StoreError(.corrupt, place: place, message: "logicalSize \(m.logicalSize) is not the sum of the file sizes")
        }
        guard m.contentID.hex == m.id, key == Self.key(m.id) else {
            throw StoreError(.corrupt, place: place, message: "manifest content does not match its id \(m.id.prefix(12))")
        }
        return m
    }
}
