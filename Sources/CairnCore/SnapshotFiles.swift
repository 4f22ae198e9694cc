#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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

    public func size(_ path: String) -> Int64? {
        var st = stat()
        guard stat(path, &st) == 0, st.st_mode & S_IFMT == S_IFREG else { return nil }
        return Int64(st.st_size)
    }

    public func fileNames(in directory: String) -> [String] {
        guard let d = opendir(directory) else { return [] }
        defer { closedir(d) }
        var out: [String] = []
        while let e = readdir(d) {
            let name = withUnsafePointer(to: e.pointee.d_name) { p in
                p.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." && size(directory + "/" + name) != nil { out.append(name) }
        }
        return out
    }
}
