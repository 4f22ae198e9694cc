#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A directory that files are written into by relative paths from outside input (a pulled manifest), without ever
/// leaving it: every path is checked by `RelativePath`, every directory below the root is opened relative to its
/// parent with `O_NOFOLLOW` (a symlink planted in the tree is refused, never followed), files are created with
/// `O_EXCL | O_NOFOLLOW` under a temporary name and linked into place without replacing anything.
public final class ConfinedDirectory: @unchecked Sendable {
    /// The root as given; the root itself may be a symlink the user chose.
    public let root: String
    private let rootFD: Int32

    /// Opens `root`, which must be a directory.
    public init(root: String) throws(IOError) {
        self.root = root
        rootFD = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard rootFD >= 0 else { throw IOError(path: root, operation: "open directory", errno: errno) }
    }

    deinit { POSIX.close(rootFD) }

    /// Why `path` cannot be written here, or nil: it must be a safe relative path, no directory on the way may be a
    /// symlink or anything but a directory, and nothing may be at the path itself yet.
    public func problem(creating path: String) -> IOError? {
        if let p = RelativePath.problem(path) { return refusal(path, "the path \(p)") }
        let parts = path.split(separator: "/").map(String.init)
        var dir = root
        for (i, part) in parts.enumerated() {
            let full = dir + "/" + part
            var st = stat()
            guard lstat(full, &st) == 0 else {
                if errno == ENOENT { return nil }
                return IOError(path: full, operation: "check", errno: errno)
            }
            if i == parts.count - 1 {
                return IOError(path: full, operation: "create", message: "already exists; pull never overwrites")
            }
            switch st.st_mode & S_IFMT {
            case S_IFDIR: dir = full
            case S_IFLNK: return refusal(full, "is a symlink; pull never follows symlinks inside its target")
            default: return refusal(full, "is not a directory")
            }
        }
        return nil
    }

    /// A new file at `path` (below the root), written through a temporary name beside it; the parents are made as
    /// needed. Throws when `problem(creating:)` would object, also when the tree changed since it was asked.
    public func create(_ path: String) throws(IOError) -> ConfinedFile {
        if let p = RelativePath.problem(path) { throw refusal(path, "the path \(p)") }
        let parts = path.split(separator: "/").map(String.init)
        var fd = dup(rootFD)
        guard fd >= 0 else { throw IOError(path: root, operation: "open directory", errno: errno) }
        var dir = root
        for part in parts.dropLast() {
            let full = dir + "/" + part
            if mkdirat(fd, part, 0o755) != 0 && errno != EEXIST {
                let e = errno
                POSIX.close(fd)
                throw IOError(path: full, operation: "create directory", errno: e)
            }
            let next = openat(fd, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            let e = errno
            POSIX.close(fd)
            guard next >= 0 else {
                if e == ELOOP { throw refusal(full, "is a symlink; pull never follows symlinks inside its target") }
                if e == ENOTDIR { throw refusal(full, "is not a directory") }
                throw IOError(path: full, operation: "open directory", errno: e)
            }
            fd = next
            dir = full
        }
        do { return try ConfinedFile(directoryFD: fd, directory: dir, name: parts[parts.count - 1]) } catch {
            POSIX.close(fd)
            throw error
        }
    }

    private func refusal(_ path: String, _ why: String) -> IOError {
        IOError(path: RelativePath.printable(path.hasPrefix("/") || path.hasPrefix(root) ? path : root + "/" + path), operation: "write", message: "refused: \(why)")
    }
}

/// One file being written by `ConfinedDirectory.create`: bytes go to a hidden temporary file in the same directory;
/// `commit` fsyncs it, sets its mode and times, and links it to its name (failing, never replacing, if something
/// appeared there). Dropped without `commit`, the temporary file is removed.
public final class ConfinedFile: ByteSink {
    public let path: String
    private let directoryFD: Int32
    private let name: String
    private let temporaryName: String
    private var fd: Int32
    private var buffer: [UInt8] = []
    private let bufferLimit = 1 << 20
    private var done = false
    /// Applied at `commit`: permission bits and the modification time in nanoseconds since 1970.
    public var mode: mode_t = 0o644
    public var modificationTimeNs: Int64?

    init(directoryFD: Int32, directory: String, name: String) throws(IOError) {
        self.directoryFD = directoryFD
        self.name = name
        path = directory + "/" + name
        (temporaryName, fd) = try TemporaryFiles.createFile(in: directoryFD, directory: directory, beside: name, hidden: true, mode: 0o600)
    }

    deinit {
        if fd >= 0 { POSIX.close(fd) }
        if !done { unlinkat(directoryFD, temporaryName, 0) }
        POSIX.close(directoryFD)
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(IOError) {
        if buffer.count + bytes.count > bufferLimit { try flush() }
        if bytes.count >= bufferLimit {
            if let e = POSIX.writeAll(fd, bytes) { throw IOError(path: path, operation: "write", errno: e) }
        } else {
            buffer.append(contentsOf: bytes)
        }
    }

    private func flush() throws(IOError) {
        guard !buffer.isEmpty else { return }
        if let e = buffer.withUnsafeBytes({ POSIX.writeAll(fd, $0) }) { throw IOError(path: path, operation: "write", errno: e) }
        buffer.removeAll(keepingCapacity: true)
    }

    public func commit() throws(IOError) {
        try flush()
        fchmod(fd, mode & 0o7777)
        if let ns = modificationTimeNs {
            let t = timespec(tv_sec: Int(ns / 1_000_000_000), tv_nsec: Int(ns % 1_000_000_000))
            var times = [t, t]
            futimens(fd, &times)
        }
        guard fsync(fd) == 0 else { throw IOError(path: path, operation: "fsync", errno: errno) }
        guard linkat(directoryFD, temporaryName, directoryFD, name, 0) == 0 else {
            let e = errno
            throw IOError(path: path, operation: "create", errno: e,
                          message: e == EEXIST ? "already exists (appeared while pulling); pull never overwrites" : nil)
        }
        unlinkat(directoryFD, temporaryName, 0)
        done = true
        POSIX.close(fd)
        fd = -1
        fsync(directoryFD)
    }
}
