import CairnCore

/// Turns the file references of `_metadata` into local paths: relative names against the metadata's directory,
/// `file:` URIs and plain paths as they are — and, when a checkpoint was copied elsewhere so that an absolute path
/// no longer exists, by its job-relative suffix (`<job-id>/shared/…`, `chk-N/…`, `taskowned/…`, `savepoint-…/…`).
public struct FlinkPathResolver: Sendable {
    public let directory: String

    public init(directory: String) { self.directory = directory }

    public enum Resolution: Sendable, Equatable {
        /// Found where the metadata says.
        case local(String)
        /// Not where the metadata says, but found under the snapshot's own tree.
        case relocated(String)
        /// On a file system Cairn does not read yet (s3://, hdfs://…).
        case remote(String)
        /// Nowhere to be found; `expected` is where it was looked for.
        case missing(expected: String)

        public var localPath: String? {
            switch self {
            case .local(let p), .relocated(let p): p
            default: nil
            }
        }
    }

    public func resolve(_ ref: FlinkFileReference) -> Resolution {
        if ref.relative {
            let p = directory + "/" + ref.path
            return FilePaths.kind(p) == .file ? .local(p) : .missing(expected: p)
        }
        guard let local = Self.localPath(ofURI: ref.path) else { return .remote(ref.path) }
        if FilePaths.kind(local) == .file { return .local(local) }
        for candidate in relocationCandidates(local) where FilePaths.kind(candidate) == .file {
            return .relocated(candidate)
        }
        return .missing(expected: local)
    }

    /// `file:/x`, `file:///x` and plain absolute paths; nil for other schemes.
    static func localPath(ofURI uri: String) -> String? {
        if uri.hasPrefix("file://") {
            let rest = uri.dropFirst(7)
            return rest.hasPrefix("/") ? String(rest) : "/" + rest.drop { $0 != "/" }.dropFirst()
        }
        if uri.hasPrefix("file:") { return String(uri.dropFirst(5)) }
        if uri.hasPrefix("/") { return uri }
        if !uri.contains("://") && !uri.contains(":") { return uri }
        return nil
    }

    /// Places a moved file may now be, most specific first.
    func relocationCandidates(_ path: String) -> [String] {
        let parts = path.split(separator: "/").map(String.init)
        // The job directory is the parent of a chk-N directory; a savepoint directory stands alone.
        let dirName = FilePaths.lastComponent(directory)
        let jobDir = dirName.hasPrefix("chk-") ? FilePaths.parent(directory) : nil
        var out: [String] = []
        for (i, part) in parts.enumerated() {
            let suffix = parts[i...].joined(separator: "/")
            if let jobDir {
                if part == "shared" || part == "taskowned" || part.hasPrefix("chk-") { out.append(jobDir + "/" + suffix) }
                if FilePaths.isJobID(part) { out.append(FilePaths.parent(jobDir) + "/" + suffix) }
            }
            if part.hasPrefix("savepoint-") { out.append(FilePaths.parent(directory) + "/" + suffix) }
        }
        // A file directly in the snapshot's directory (savepoints keep everything there).
        if let last = parts.last { out.append(directory + "/" + last) }
        return out
    }
}
