import CairnCore
import CairnFormat

#if canImport(Glibc)
import Glibc
#endif

/// A problem with what the user asked for (a path, an option), as opposed to a damaged snapshot.
public struct UsageError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Turns a SOURCE argument into a `SnapshotView`, recognizing the format by its first bytes.
public enum SnapshotOpener {
    /// Flink's `_metadata` files start with this magic number.
    static let flinkMagic: [UInt8] = [0x49, 0x60, 0x67, 0x2D]

    public static func open(_ source: String) throws -> any SnapshotView {
        var path = source
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw IOError(path: source, operation: "open", errno: errno)
        }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            let metadata = path.hasSuffix("/") ? path + "_metadata" : path + "/_metadata"
            guard access(metadata, F_OK) == 0 else {
                throw UsageError("\(source) is a directory without a _metadata file; give a .cairn file or a Flink checkpoint directory")
            }
            path = metadata
        }
        let file = try FileSource(path: path)
        let head = file.size >= 8 ? try file.read(at: 0, count: 8) : []
        if head.starts(with: flinkMagic) {
            throw UsageError("\(path) is an Apache Flink _metadata file; reading Flink snapshots is not supported by this build yet")
        }
        return NativeSnapshot(reader: try SnapshotReader(source: file))
    }
}
