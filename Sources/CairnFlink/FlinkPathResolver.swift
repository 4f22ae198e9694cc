import CairnCore

/// Turns the file references of `_metadata` into local paths: relative names against the metadata's directory,
/// `file:` URIs and plain paths as they are — and, when a checkpoint was copied elsewhere so that an absolute path
/// no longer exists, by its job-relative suffix (`<job-id>/shared/…`, `chk-N/…`, `taskowned/…`, `savepoint-…/…`).
public struct FlinkPathResolver: Sendable {
    public let directory: String
    /// Where the files are: the local file system, or a snapshot in a store.
    public let files: any SnapshotFiles
    /// Directory listings, so that checking hundreds of thousands of references costs one `readdir` per directory.
    private let listings: DirectoryListings

    public init(directory: String, files: any SnapshotFiles = LocalFiles()) {
        self.directory = directory
        self.files = files
        listings = DirectoryListings(files: files)
    }

    func exists(_ path: String) -> Bool { listings.contains(path) }

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
            // The common case: a bare name in the snapshot's own directory.
            let found = ref.path.contains("/") ? exists(directory + "/" + ref.path) : listings.contains(name: ref.path, in: directory)
            return found ? .local(directory + "/" + ref.path) : .missing(expected: directory + "/" + ref.path)
        }
        guard let local = files.path(ofURI: ref.path) else { return .remote(ref.path) }
        if exists(local) { return .local(local) }
        for candidate in relocationCandidates(local) where exists(candidate) {
            return .relocated(candidate)
        }
        return .missing(expected: local)
    }

    /// Places a moved file may now be, most specific first: each suffix of the old path (longest first) under the
    /// snapshot's directory and its ancestors up to the checkpoint root above the job directory, where Flink also
    /// writes (changelog storage of 1.15 writes straight into the checkpoint root, for example). Files there carry
    /// UUID names, so a suffix match is the file.
    func relocationCandidates(_ path: String) -> [String] {
        let parts = path.split(separator: "/").map(String.init)
        var ancestors: [String] = [directory]
        var a = directory
        for _ in 0..<3 {
            let p = FilePaths.parent(a)
            if p == a || p == "/" || p == "." { break }
            ancestors.append(p)
            a = p
        }
        var out: [String] = []
        for i in 1..<max(1, parts.count) {
            let suffix = parts[i...].joined(separator: "/")
            for base in ancestors { out.append(base + "/" + suffix) }
        }
        return out
    }
}

/// Caches the regular files of each directory asked about.
final class DirectoryListings: Sendable {
    private let files = Locked<[String: Set<String>]>([:])
    private let source: any SnapshotFiles

    init(files: any SnapshotFiles) { source = files }

    func contains(_ path: String) -> Bool {
        contains(name: FilePaths.lastComponent(path), in: FilePaths.parent(path))
    }

    func contains(name: String, in dir: String) -> Bool {
        files.withLock { files in
            if let known = files[dir] { return known.contains(name) }
            let names = Set(source.fileNames(in: dir))
            files[dir] = names
            return names.contains(name)
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
