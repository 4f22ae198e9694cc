import CairnCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension FlinkSnapshot {
    /// The directory every file of the snapshot must lie in for push and `rewrite --copy-files`: for a retained
    /// checkpoint (`<job-id>/chk-N`) the checkpoint root above the job directory (Flink writes `shared/`,
    /// `taskowned/` and changelog files there), else the directory holding the snapshot's directory (a pulled
    /// checkpoint keeps `shared/` beside `chk-N`). A `_metadata` is outside input: a reference that leaves this tree
    /// (`/etc/passwd`, `../../x`, a symlink out) is never read for push or copied.
    /// An object-store snapshot (`s3://bucket/…`) keeps its scheme and bucket: only the key part is walked up.
    public var fileTreeRoot: String {
        var directory = location.directory
        var scheme = ""
        if let colon = directory.firstIndex(of: ":"), directory[colon...].hasPrefix("://"), !directory[..<colon].contains("/") {
            let rest = directory.index(colon, offsetBy: 3)
            scheme = String(directory[..<rest])
            directory = "/" + directory[rest...]
        }
        let dir = scheme.isEmpty ? FileOperations.absolute(FilePaths.normalize(directory)) : FilePaths.normalize(directory)
        let parent = FilePaths.parent(dir)
        let root = FilePaths.isJobID(FilePaths.lastComponent(parent)) ? FilePaths.parent(parent) : parent
        // Never above the bucket: `s3://bucket` is the widest tree an object-store snapshot has.
        guard !scheme.isEmpty else { return root }
        let bucket = directory.split(separator: "/").first.map(String.init) ?? ""
        return scheme + (root == "/" ? bucket : String(root.dropFirst()))
    }

    /// Whether the file at `path` (as the resolver gives it) lies outside `fileTreeRoot`. Local paths are compared
    /// after resolving symlinks; object keys and store paths by their text, where any `..` segment is outside.
    public func isOutsideFileTree(_ path: String) -> Bool {
        let root = fileTreeRoot
        if resolver.files is LocalFiles, let real = Self.realPath(path), let realRoot = Self.realPath(root) {
            return !(realRoot == "/" || real.hasPrefix(realRoot + "/"))
        }
        if path.split(separator: "/").contains("..") { return true }
        return !(root == "/" || path.hasPrefix(root + "/"))
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
