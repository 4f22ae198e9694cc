import CairnCore
import CairnModel

/// `--relocate`: moves the absolute locations in `_metadata` (files, file-merging physical files and directories,
/// and the would-be paths of inline bytes) from one base directory to another. Locations are compared as paths,
/// so `file:/a`, `file:///a` and `/a` all match a base of `/a`, and each keeps its own spelling.
struct FlinkPathRelocation: Sendable {
    /// A location split into its scheme part (`file:`, `file://`, `s3://bucket`, or empty for a plain path) and path.
    struct Location: Sendable, Equatable {
        var prefix: String
        var path: String
        var isLocal: Bool { prefix.isEmpty || prefix == "file:" || prefix == "file://" }

        init(prefix: String, path: String) {
            self.prefix = prefix
            self.path = path
        }

        init(_ s: String) {
            if s.hasPrefix("file://"), s.dropFirst(7).hasPrefix("/") {
                self.init(prefix: "file://", path: String(s.dropFirst(7)))
            } else if s.hasPrefix("file:"), s.dropFirst(5).hasPrefix("/") {
                self.init(prefix: "file:", path: String(s.dropFirst(5)))
            } else if let scheme = s.firstRange(of: "://") {
                let rest = s[scheme.upperBound...]
                let slash = rest.firstIndex(of: "/") ?? rest.endIndex
                self.init(prefix: String(s[..<slash]), path: String(rest[slash...]))
            } else {
                self.init(prefix: "", path: s)
            }
        }

        var text: String { prefix + path }
    }

    let from: Location
    let to: Location

    /// `from` and `to` as given; trailing slashes do not matter.
    init(from: String, to: String) {
        var f = Location(from), t = Location(to)
        f.path = FilePaths.normalize(f.path)
        t.path = FilePaths.normalize(t.path)
        if t.isLocal { t.path = FileOperations.absolute(t.path) }
        self.from = f
        self.to = t
    }

    /// The location `s` moves to, or nil when it does not start with the old base.
    func relocate(_ s: String) -> String? {
        let l = Location(s)
        guard l.isLocal == from.isLocal, l.isLocal || l.prefix == from.prefix else { return nil }
        let base = from.path == "/" ? "" : from.path
        guard l.path == base || l.path.hasPrefix(base + "/") else { return nil }
        let rest = l.path.dropFirst(base.count)
        let newBase = to.path == "/" ? "" : to.path
        if to.isLocal { return (l.isLocal ? l.prefix : "file:") + newBase + rest }
        return to.prefix + newBase + rest
    }

    /// The checkpoint base directory the metadata was written under: the part of an absolute location before
    /// `<job-id>/` where a `chk-N`, `shared`, `taskowned` or `dstl` follows (file locations first, then the names of
    /// inline bytes, which hold the same base). Nil when no location shows it (a savepoint with relative files only).
    static func derivedBase(of m: FlinkCheckpointMetadata) -> String? {
        let paths = m.allPaths
        let ordered = paths.filter { $0.kind != .inlineName && $0.kind != .relativeFile } + paths.filter { $0.kind == .inlineName }
        for (_, s) in ordered {
            let l = Location(s)
            let parts = l.path.split(separator: "/", omittingEmptySubsequences: false)
            for i in parts.indices.dropLast() where isJobID(parts[i]) {
                let next = parts[i + 1]
                if next == "shared" || next == "taskowned" || next == "dstl" || next.hasPrefix("chk-") {
                    let base = parts[..<i].joined(separator: "/")
                    return l.prefix + (base.isEmpty ? "/" : base)
                }
            }
        }
        return nil
    }

    static func isJobID(_ s: Substring) -> Bool {
        s.utf8.count == 32 && s.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    /// The local file path of a location, or nil for another file system.
    static func localPath(_ s: String) -> String? {
        let l = Location(s)
        return l.isLocal && l.path.hasPrefix("/") ? l.path : nil
    }
}
