import CairnCore
import CairnFlink
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
        if source.hasPrefix("s3://") { throw CairnFlinkError.remoteUnsupported(path: source) }
        var st = stat()
        guard stat(source, &st) == 0 else {
            throw IOError(path: source, operation: "open", errno: errno)
        }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            // A directory: a Flink checkpoint or savepoint directory, or a job's checkpoint directory.
            let metadata = (source.hasSuffix("/") ? source : source + "/") + "_metadata"
            if access(metadata, F_OK) == 0 {
                let flink = try isFlink(metadata)
                if !flink { throw UsageError("\(metadata) is not a Flink _metadata file") }
            }
            return try FlinkSnapshot(source: source)
        }
        if try isFlink(source) { return try FlinkSnapshot(source: source) }
        return NativeSnapshot(reader: try SnapshotReader(source: try FileSource(path: source)))
    }

    static func isFlink(_ path: String) throws -> Bool {
        let file = try FileSource(path: path)
        guard file.size >= 4 else { return false }
        let head = try file.read(at: 0, count: 4)
        return head == flinkMagic
    }
}
