import CairnCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file written beside its destination and moved there only after it was checked.
///
/// `AtomicFileSink` renames at `commit`, which a `SnapshotWriter` calls in `finish`; a rewrite must validate the
/// finished file before anyone can see it, so the sink commits to this staging path and `publish` does the final
/// rename. Anything not published is removed, so a failed rewrite leaves nothing at the destination.
final class StagedFile {
    let destination: String
    let stagingPath: String
    private var published = false
    /// Kept until the file is published: its open descriptor claims the staging file (see `TemporaryFiles`).
    private var staging: AtomicFileSink?

    /// Also removes what a killed rewrite to the same destination left behind (`<name>.cairn-rewrite-…`).
    init(destination: String) {
        self.destination = destination
        let name = FilePaths.lastComponent(destination)
        TemporaryFiles.removeAbandoned(in: FilePaths.parent(destination)) { $0.hasPrefix(name + ".cairn-rewrite-") }
        var g = SystemRandomNumberGenerator()
        self.stagingPath = destination + ".cairn-rewrite-\(getpid())-" + String(UInt32.random(in: 0...UInt32.max, using: &g), radix: 36)
    }

    deinit {
        if !published { unlink(stagingPath) }
    }

    /// A sink that writes the staging file (itself through a temporary file, so even a crash leaves no partial one).
    func sink() throws(IOError) -> AtomicFileSink {
        let sink = try AtomicFileSink(path: stagingPath)
        staging = sink
        return sink
    }

    /// Moves the checked file into place.
    func publish() throws(IOError) {
        guard rename(stagingPath, destination) == 0 else {
            throw IOError(path: destination, operation: "rename into place", errno: errno)
        }
        published = true
    }

    /// True if both paths name the same file: equal after resolving links, or the same inode when both exist.
    static func sameFile(_ a: String, _ b: String) -> Bool {
        var sa = stat(), sb = stat()
        if stat(a, &sa) == 0, stat(b, &sb) == 0 { return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino }
        return canonical(a) == canonical(b)
    }

    /// The path with its directory resolved (the file itself may not exist yet).
    private static func canonical(_ path: String) -> String {
        let slash = path.lastIndex(of: "/")
        let dir = slash.map { String(path[..<$0]) } ?? "."
        let base = slash.map { String(path[path.index(after: $0)...]) } ?? path
        guard let resolved = realpath(dir.isEmpty ? "/" : dir, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved) + "/" + base
    }
}
