import CairnCore

/// What `push` stores: a set of files under one root, and what they are. Built by CairnTools (which knows a Flink
/// checkpoint's file set) or from any directory; CairnStore only reads the files.
public struct PushSource: Sendable {
    public struct File: Sendable, Equatable {
        /// Relative to `root`, `/`-separated; becomes the path under DEST on pull.
        public var relativePath: String
        public var absolutePath: String
        public var size: UInt64
        public var mtimeNs: Int64
        public var mode: UInt32
        /// Offsets where the file's own format starts a unit (a `.cairn` file's blocks), ascending. Chunks are cut
        /// there instead of by FastCDC — blocks are already cut on content and compressed one by one, so one
        /// changed block then costs one chunk — with small units grouped by content (`UnitGrouper`) and large
        /// ones split by FastCDC.
        public var boundaries: [UInt64]

        public init(relativePath: String, absolutePath: String, size: UInt64, mtimeNs: Int64, mode: UInt32, boundaries: [UInt64] = []) {
            self.relativePath = relativePath
            self.absolutePath = absolutePath
            self.size = size
            self.mtimeNs = mtimeNs
            self.mode = mode
            self.boundaries = boundaries
        }
    }

    /// "native", "flink-checkpoint", "flink-savepoint" or "directory".
    public var kind: String
    /// The SOURCE argument as given.
    public var source: String
    /// Absolute directory the files are relative to.
    public var root: String
    /// Facts kept in the manifest. `group` names the series a snapshot belongs to (a Flink job id, a directory):
    /// `prune --keep-last` counts per group, and push finds unchanged files in the group's latest snapshot.
    public var attributes: [String: String]
    public var files: [File]
    /// Where the files are read from (`absolutePath` is a path there): the local file system, or another
    /// `SnapshotFiles`, through which a file that vanishes mid-push is told apart from one that cannot be read.
    public var storage: any SnapshotFiles
    /// Set when the files are objects of this store (a live checkpoint in S3): each `File.absolutePath` is then a
    /// key in it, read by ranged GETs in large windows instead of through `storage`.
    public var objects: (any ObjectStore)?

    public init(kind: String, source: String, root: String, attributes: [String: String], files: [File],
                storage: any SnapshotFiles = LocalFiles(), objects: (any ObjectStore)? = nil) {
        self.kind = kind
        self.source = source
        self.root = root
        self.attributes = attributes
        self.files = files
        self.storage = storage
        self.objects = objects
    }

    public var group: String { attributes["group"] ?? root }
    public var logicalSize: UInt64 { files.reduce(0) { $0 + $1.size } }
}
