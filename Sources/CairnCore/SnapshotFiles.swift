/// The files a snapshot's metadata refers to, wherever they are: the local file system, or a snapshot kept in a
/// Cairn store (where `inspect STORE#SNAPSHOT` reads them by ranged reads without pulling). Paths are absolute.
public protocol SnapshotFiles: Sendable {
    /// Opens a file for reading at any offset.
    func open(_ path: String) throws(IOError) -> any RandomAccessSource
    /// The size of a regular file, or nil when there is none at `path`.
    func size(_ path: String) -> Int64?
    /// Names of the regular files directly in `directory`.
    func fileNames(in directory: String) -> [String]
    /// Names of the directories directly in `directory` (in object storage: the common prefixes one level down), so a
    /// job's checkpoint directory can be listed for its `chk-N` wherever it lives.
    func directoryNames(in directory: String) -> [String]
    /// When the file was last written, in milliseconds since 1970, or nil when unknown. Flink's `_metadata` records
    /// no time, so a checkpoint's time (and a growth rate per hour) comes from here.
    func modificationTime(_ path: String) -> Int64?
}

extension SnapshotFiles {
    public func modificationTime(_ path: String) -> Int64? { nil }
}

/// The local file system.
public struct LocalFiles: SnapshotFiles {
    public init() {}

    public func open(_ path: String) throws(IOError) -> any RandomAccessSource { try FileSource(path: path) }

    public func size(_ path: String) -> Int64? { FilePaths.size(path) }

    public func fileNames(in directory: String) -> [String] {
        FilePaths.list(directory).filter { FilePaths.kind(directory + "/" + $0) == .file }
    }

    public func directoryNames(in directory: String) -> [String] {
        FilePaths.list(directory).filter { FilePaths.kind(directory + "/" + $0) == .directory }
    }

    public func modificationTime(_ path: String) -> Int64? { FilePaths.modificationTimeMillis(path) }
}
