import CairnCore
import CairnFlink
import CairnFormat
import CairnModel

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Turns a SOURCE argument into a `SnapshotView`, recognizing the format by its first bytes.
public enum SnapshotOpener {
    /// Flink's `_metadata` files start with this magic number.
    static let flinkMagic: [UInt8] = [0x49, 0x60, 0x67, 0x2D]

    public static func open(_ source: String) throws -> any SnapshotView {
        if ObjectStoreURL.isS3(source) { throw CairnFlinkError.remoteUnsupported(path: source) }
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
        // A delta is read with its chain of bases from the same directory (format spec §13).
        return try NativeSnapshot(path: source)
    }

    /// The snapshot a store holds, read in place. Blocks on store reads: call it off the cooperative pool
    /// (`BlockingBridge.offPool`).
    public static func open(_ files: StoreSnapshotFiles) throws -> any SnapshotView {
        let m = files.manifest
        let place = "\(files.store.objects.location)#\(m.shortID)"
        switch m.kind {
        case "native":
            guard let name = m.attributes["snapshotFile"] ?? m.files.first?.path else {
                throw UsageError("\(place): the snapshot holds no file")
            }
            return NativeSnapshot(reader: try SnapshotReader(source: try files.open(files.path(of: name))))
        case "flink-checkpoint", "flink-savepoint":
            guard let metadata = m.attributes["metadataPath"] else { throw UsageError("\(place): the manifest does not name the _metadata file") }
            let path = files.path(of: metadata)
            let directory = path.split(separator: "/").dropLast().joined(separator: "/")
            return try FlinkSnapshot(location: FlinkSnapshotLocation(metadataPath: path, directory: "/" + directory), files: files)
        default:
            throw UsageError("\(place) is a stored \(m.kind), not a checkpoint or savepoint; pull it to look inside")
        }
    }

    static func isFlink(_ path: String) throws -> Bool {
        let file = try FileSource(path: path)
        guard file.size >= 4 else { return false }
        let head = try file.read(at: 0, count: 4)
        return head == flinkMagic
    }
}

