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
    public var fileTreeRoot: String {
        let dir = FileOperations.absolute(FilePaths.normalize(location.directory))
        let parent = FilePaths.parent(dir)
        if FilePaths.isJobID(FilePaths.lastComponent(parent)) { return FilePaths.parent(parent) }
        return parent
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
