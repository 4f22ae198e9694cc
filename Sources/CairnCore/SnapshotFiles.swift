/// The files a snapshot's metadata refers to, wherever they are: the local file system, or a snapshot kept in a
/// Cairn store (where `inspect STORE#SNAPSHOT` reads them by ranged reads without pulling). Paths are absolute.
public protocol SnapshotFiles: Sendable {
    /// Opens a file for reading at any offset.
    func open(_ path: String) throws(IOError) -> any RandomAccessSource
    /// The size of a regular file, or nil when there is none at `path`.
    func size(_ path: String) -> Int64?
    /// Names of the regular files directly in `directory`.
    func fileNames(in directory: String) -> [String]
    /// The path a URI written inside a snapshot's metadata (`s3a://bucket/key`, `file:/x`) has here, or nil when
    /// these files do not reach that file system.
    func path(ofURI uri: String) -> String?
    /// Whether asking `size` and `fileNames` is free (a local disk, a loaded manifest) rather than a request to a
    /// server; reports that only summarize skip existence checks where it is not.
    var answersExistenceLocally: Bool { get }
}

extension SnapshotFiles {
    public func path(ofURI uri: String) -> String? { FilePaths.localPath(ofURI: uri) }
    public var answersExistenceLocally: Bool { true }
}

/// The local file system.
public struct LocalFiles: SnapshotFiles {
    public init() {}

    public func open(_ path: String) throws(IOError) -> any RandomAccessSource { try FileSource(path: path) }

    public func size(_ path: String) -> Int64? { FilePaths.size(path) }

    public func fileNames(in directory: String) -> [String] {
        FilePaths.list(directory).filter { FilePaths.kind(directory + "/" + $0) == .file }
    }
}
