#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Temporary files and directories that a killed writer may leave behind, and their safe removal.
///
/// A writer holds an exclusive `flock` on its temporary for as long as it may still use it; the kernel drops the lock
/// when the process ends, however it ends (SIGKILL included). So a temporary whose lock can be taken belongs to no
/// live writer and may go: `removeAbandoned` takes the lock before it deletes, and a writer checks after taking its
/// own lock that its file is still linked (else it makes another), so the two never race.
public enum TemporaryFiles {
    /// Part of every temporary name Cairn makes beside an output.
    public static let marker = ".cairn-tmp-"

    /// A fresh name `<name>.cairn-tmp-<pid>-<random>` (with a leading `.` when `hidden`).
    public static func name(for name: String, hidden: Bool = false) -> String {
        var g = SystemRandomNumberGenerator()
        return (hidden ? "." : "") + name + marker + "\(getpid())-" + String(UInt64.random(in: 0...UInt64.max, using: &g), radix: 36)
    }

    /// Creates and claims a new temporary file in the directory `dirFD` (`AT_FDCWD` for paths): `O_EXCL`,
    /// `O_NOFOLLOW`, locked. Returns its name and open descriptor; the lock lasts until the descriptor is closed.
    public static func createFile(in dirFD: Int32 = AT_FDCWD, directory: String, beside name: String, hidden: Bool = false,
                                  mode: mode_t = 0o644) throws(IOError) -> (name: String, fd: Int32) {
        for _ in 0..<8 {
            let temp = Self.name(for: name, hidden: hidden)
            let path = dirFD == AT_FDCWD ? directory + "/" + temp : temp
            let fd = openat(dirFD, path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
            guard fd >= 0 else {
                if errno == EEXIST { continue }
                throw IOError(path: directory + "/" + temp, operation: "create", errno: errno)
            }
            if claim(fd) { return (temp, fd) }
            POSIX.close(fd)  // a cleaner took it between create and claim; make another
        }
        throw IOError(path: directory + "/" + name, operation: "create a temporary file", message: "kept disappearing")
    }

    /// Makes and claims a new temporary directory `path`; returns the descriptor that holds the claim.
    public static func createDirectory(_ path: String) throws(IOError) -> Int32 {
        guard mkdir(path, 0o755) == 0 else { throw IOError(path: path, operation: "create directory", errno: errno) }
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw IOError(path: path, operation: "open directory", errno: errno) }
        guard claim(fd) else {
            POSIX.close(fd)
            throw IOError(path: path, operation: "create directory", message: "removed while being created")
        }
        return fd
    }

    /// Locks `fd` (waiting out a cleaner that holds it for a moment); false when the file was removed meanwhile.
    @discardableResult
    public static func claim(_ fd: Int32) -> Bool {
        while flock(fd, LOCK_EX) != 0 {
            if errno != EINTR { return true }  // a file system without flock: nothing to clean up safely, nothing lost
        }
        var st = stat()
        return fstat(fd, &st) == 0 && st.st_nlink > 0
    }

    /// Removes, in `directory`, every file or directory whose name satisfies `matches` and whose claim is free (its
    /// writer is gone). Returns how many went. A temporary on a file system without `flock` is left alone.
    @discardableResult
    public static func removeAbandoned(in directory: String, where matches: (String) -> Bool) -> Int {
        var removed = 0
        for name in FilePaths.list(directory) where matches(name) {
            let path = directory + "/" + name
            var before = stat()
            guard lstat(path, &before) == 0 else { continue }
            let isDirectory = before.st_mode & S_IFMT == S_IFDIR
            guard isDirectory || before.st_mode & S_IFMT == S_IFREG else { continue }
            let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | (isDirectory ? O_DIRECTORY : 0))
            guard fd >= 0 else { continue }
            defer { POSIX.close(fd) }
            guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { continue }  // a live writer holds it
            var held = stat()
            guard fstat(fd, &held) == 0, held.st_ino == before.st_ino, held.st_dev == before.st_dev else { continue }
            if isDirectory { FileOperations.removeTree(path) } else { unlink(path) }
            removed += 1
        }
        return removed
    }

    /// `removeAbandoned` of the temporaries beside `path` that were made for it (`<name>.cairn-tmp-…`, hidden or not).
    @discardableResult
    public static func removeAbandoned(beside path: String) -> Int {
        let name = FilePaths.lastComponent(path)
        return removeAbandoned(in: FilePaths.parent(path)) { $0.hasPrefix(name + marker) || $0.hasPrefix("." + name + marker) }
    }
}
