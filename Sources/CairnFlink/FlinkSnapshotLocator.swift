import CairnCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Finds the `_metadata` a SOURCE argument means: the file itself, the directory holding it, or a job's checkpoint
/// directory (then the latest `chk-N` that has a `_metadata`, listing the others).
public struct FlinkSnapshotLocation: Sendable, Equatable {
    /// The `_metadata` file.
    public var metadataPath: String
    /// The directory relative handles are resolved against.
    public var directory: String
    /// Other complete checkpoints found beside it (`chk-N` directories with a `_metadata`), by number.
    public var otherCheckpoints: [String]

    public init(metadataPath: String, directory: String, otherCheckpoints: [String] = []) {
        self.metadataPath = metadataPath
        self.directory = directory
        self.otherCheckpoints = otherCheckpoints
    }

    public static func locate(_ source: String) throws -> FlinkSnapshotLocation {
        let path = FilePaths.normalize(source)
        guard let kind = FilePaths.kind(path) else { throw IOError(path: source, operation: "open", errno: errno) }
        if kind == .file {
            return FlinkSnapshotLocation(metadataPath: path, directory: FilePaths.parent(path), otherCheckpoints: siblings(of: FilePaths.parent(path)))
        }
        let direct = path + "/_metadata"
        if FilePaths.kind(direct) == .file {
            return FlinkSnapshotLocation(metadataPath: direct, directory: path, otherCheckpoints: siblings(of: path))
        }
        // A job's checkpoint directory: pick the highest complete chk-N.
        let checkpoints = completeCheckpoints(inJob: path)
        if let latest = checkpoints.last {
            let dir = path + "/" + latest.name
            return FlinkSnapshotLocation(metadataPath: dir + "/_metadata", directory: dir,
                                         otherCheckpoints: checkpoints.dropLast().map { path + "/" + $0.name })
        }
        // A checkpoint root with one job directory below it.
        let jobs = FilePaths.list(path).filter { FilePaths.isJobID($0) && FilePaths.kind(path + "/" + $0) == .directory }
        if jobs.count == 1 { return try locate(path + "/" + jobs[0]) }
        throw CairnFlinkError.noMetadata(path: source, jobs: jobs)
    }

    /// Every complete checkpoint of a job's checkpoint directory: each `chk-N` directory with a `_metadata`, by number.
    /// A `chk-N` without `_metadata` is still being written (or was abandoned) and is left out. Lists through `files`,
    /// so a job directory in a Cairn store or object storage is listed the same way as a local one; `locate` picks
    /// the last of these, `cairn history` reads them all, `backup` pushes the ones not yet stored.
    public static func completeCheckpoints(inJob dir: String, files: any SnapshotFiles = LocalFiles()) -> [FlinkCheckpointDirectory] {
        files.directoryNames(in: dir).compactMap { name -> FlinkCheckpointDirectory? in
            guard name.hasPrefix("chk-"), let n = Int(name.dropFirst(4)), n >= 0 else { return nil }
            let path = dir + "/" + name
            guard files.size(path + "/_metadata") != nil else { return nil }
            return FlinkCheckpointDirectory(name: name, number: n, path: path)
        }.sorted { $0.number < $1.number }
    }

    /// Other complete checkpoints of the same job, when `dir` is a `chk-N` directory.
    static func siblings(of dir: String) -> [String] {
        let name = FilePaths.lastComponent(dir)
        guard name.hasPrefix("chk-") else { return [] }
        let parent = FilePaths.parent(dir)
        return completeCheckpoints(inJob: parent).filter { $0.name != name }.map { parent + "/" + $0.name }
    }
}

/// One retained `chk-N` of a job's checkpoint directory.
public struct FlinkCheckpointDirectory: Sendable, Equatable {
    /// `chk-N`.
    public var name: String
    /// N, Flink's checkpoint id.
    public var number: Int
    /// The directory, `<job dir>/chk-N`.
    public var path: String

    /// The `_metadata` inside it.
    public var metadataPath: String { path + "/_metadata" }
}

extension FilePaths {
    /// A Flink job id: 32 lowercase hex digits.
    public static func isJobID(_ s: String) -> Bool {
        s.utf8.count == 32 && s.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }
}

