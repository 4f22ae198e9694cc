#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The files a snapshot's metadata refers to, wherever they are: the local file system, or a snapshot kept in a
/// Cairn store (where `inspect STORE#SNAPSHOT` reads them by ranged reads without pulling). Paths are absolute.
///
/// A file that is not there is reported by `open` as an `IOError` whose `errno` is `ENOENT` (object stores map
/// "not found" to it), so `backup` can tell a file Flink deleted from a file it cannot read.
public protocol SnapshotFiles: Sendable {
    /// Opens a file for reading at any offset.
    func open(_ path: String) throws(IOError) -> any RandomAccessSource
    /// The size of a regular file, or nil when there is none at `path`.
    func size(_ path: String) -> Int64?
    /// Size, modification time and mode of a regular file, or nil when there is none at `path`. `backup` uses the
    /// time to leave a `_metadata` that may still be written for the next round; `push` records all three.
    func info(_ path: String) -> SnapshotFileInfo?
    /// Names of the regular files directly in `directory`.
    func fileNames(in directory: String) -> [String]
    /// Names of the directories (object-store prefixes) directly in `directory`: a job's `chk-N`.
    func directoryNames(in directory: String) -> [String]
    /// The path a URI written inside a snapshot's metadata (`s3a://bucket/key`, `file:/x`) has here, or nil when
    /// these files do not reach that file system.
    func path(ofURI uri: String) -> String?
    /// Whether asking `size` and `fileNames` is free (a local disk, a loaded manifest) rather than a request to a
    /// server; reports that only summarize skip existence checks where it is not.
    var answersExistenceLocally: Bool { get }
    /// A listing that failed (object storage): `size` and `fileNames` then answered as if nothing were there, so
    /// callers report this instead of "missing files". Nil where listing cannot fail.
    var listingFailure: (any Error & Sendable)? { get }
    /// Forgets what was listed, so the next question lists again (`backup --watch`, each round). A no-op where
    /// nothing is cached.
    func forgetListings()
}

extension SnapshotFiles {
    public func path(ofURI uri: String) -> String? { FilePaths.localPath(ofURI: uri) }
    public var answersExistenceLocally: Bool { true }
    public var listingFailure: (any Error & Sendable)? { nil }
    public func forgetListings() {}

    /// When the file was last written, in milliseconds since 1970, or nil when unknown. Flink's `_metadata` records
    /// no time, so a checkpoint's time (and a growth rate per hour) comes from here.
    public func modificationTime(_ path: String) -> Int64? { info(path).map { $0.modifiedNs / 1_000_000 } }
}

/// What `SnapshotFiles.info` knows about a file.
public struct SnapshotFileInfo: Sendable, Equatable {
    public var size: Int64
    /// Nanoseconds since 1970.
    public var modifiedNs: Int64
    /// Permission bits (0o644 where the storage has none).
    public var mode: UInt32

    public init(size: Int64, modifiedNs: Int64, mode: UInt32 = 0o644) {
        self.size = size
        self.modifiedNs = modifiedNs
        self.mode = mode
    }
}

/// The local file system.
public struct LocalFiles: SnapshotFiles {
    public init() {}

    public func open(_ path: String) throws(IOError) -> any RandomAccessSource { try FileSource(path: path) }

    public func size(_ path: String) -> Int64? { FilePaths.size(path) }

    public func info(_ path: String) -> SnapshotFileInfo? {
        var st = stat()
        guard stat(path, &st) == 0, st.st_mode & S_IFMT == S_IFREG else { return nil }
        return SnapshotFileInfo(size: Int64(st.st_size), modifiedNs: Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec),
                                mode: UInt32(st.st_mode & 0o7777))
    }

    public func fileNames(in directory: String) -> [String] { FilePaths.regularFileNames(directory) }

    public func directoryNames(in directory: String) -> [String] {
        FilePaths.list(directory).filter { FilePaths.kind(directory + "/" + $0) == .directory }
    }
}
