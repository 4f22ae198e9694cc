/// The files a snapshot's metadata refers to, wherever they are: the local file system, or a snapshot kept in a
/// Cairn store (where `inspect STORE#SNAPSHOT` reads them by ranged reads without pulling). Paths are absolute.
public protocol SnapshotFiles: Sendable {
    /// Opens a file for reading at any offset.
    func open(_ path: String) throws(IOError) -> any RandomAccessSource
    /// The size of a regular file, or nil when there is none at `path`.
    func size(_ path: String) -> Int64?
    /// Names of the regular files directly in `directory`.
    func fileNames(in directory: String) -> [String]
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
