#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The file operations a directory-producing rewrite needs (POSIX, no Foundation): link or copy, compare, write
/// durably, and remove a half-written tree again.
public enum FileOperations {
    /// Hard-links `source` to `target` when both are on one file system (Flink never changes a state file in place,
    /// so sharing the inode is safe), else copies it. The target must not exist.
    public static func linkOrCopy(_ source: String, to target: String) throws(IOError) {
        if link(source, target) == 0 { return }
        if errno == EEXIST { throw IOError(path: target, operation: "create", errno: EEXIST) }
        try copy(source, to: target)
    }

    /// Copies `source` to a new file `target` in 1 MiB pieces, then fsyncs it.
    public static func copy(_ source: String, to target: String) throws(IOError) {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw IOError(path: source, operation: "open", errno: errno) }
        defer { close(input) }
        let output = open(target, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard output >= 0 else { throw IOError(path: target, operation: "create", errno: errno) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var failure: IOError?
        while failure == nil {
            let n = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                failure = IOError(path: source, operation: "read", errno: errno)
                break
            }
            if n == 0 { break }
            do { try POSIX.writeAll(output, Array(buffer[0..<n]), path: target) } catch { failure = error }
        }
        if failure == nil, fsync(output) != 0 { failure = IOError(path: target, operation: "fsync", errno: errno) }
        close(output)
        if let failure {
            unlink(target)
            throw failure
        }
    }

    /// Copies all of `source` (a file in S3 or in a store, read at random) to a new file `target` in 4 MiB pieces,
    /// then fsyncs it; a failure removes `target`.
    public static func copy(_ source: any RandomAccessSource, to target: String) throws(IOError) {
        try create(target) { fd throws(IOError) in
            var offset: UInt64 = 0
            while offset < source.size {
                let n = Int(min(UInt64(4 << 20), source.size - offset))
                try POSIX.writeAll(fd, try source.read(at: offset, count: n), path: target)
                offset += UInt64(n)
            }
        }
    }

    /// Writes a new file with `bytes` and fsyncs it.
    public static func write(_ bytes: [UInt8], to path: String) throws(IOError) {
        try create(path) { fd throws(IOError) in try POSIX.writeAll(fd, bytes, path: path) }
    }

    /// Creates `path` (never replacing a file), lets `fill` write it and fsyncs it; a failure removes it again.
    private static func create(_ path: String, _ fill: (Int32) throws(IOError) -> Void) throws(IOError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw IOError(path: path, operation: "create", errno: errno) }
        do throws(IOError) {
            try fill(fd)
            guard fsync(fd) == 0 else { throw IOError(path: path, operation: "fsync", errno: errno) }
        } catch {
            close(fd)
            unlink(path)
            throw error
        }
        close(fd)
    }

    /// True when both files have the same bytes.
    public static func sameContents(_ a: String, _ b: String) throws(IOError) -> Bool {
        guard let sa = FilePaths.size(a), let sb = FilePaths.size(b), sa == sb else { return false }
        let fa = try FileSource(path: a), fb = try FileSource(path: b)
        var at: UInt64 = 0
        while at < UInt64(sa) {
            let n = Int(min(UInt64(1 << 20), UInt64(sa) - at))
            if try fa.read(at: at, count: n) != fb.read(at: at, count: n) { return false }
            at += UInt64(n)
        }
        return true
    }

    /// Removes `path` and everything below it; quietly skips what is already gone. Symlinks are removed, never
    /// followed, so a link planted in the tree cannot make this delete anything outside it.
    public static func removeTree(_ path: String) {
        var st = stat()
        guard lstat(path, &st) == 0 else { return }
        if st.st_mode & S_IFMT == S_IFDIR {
            for name in FilePaths.list(path) { removeTree(path + "/" + name) }
            rmdir(path)
        } else {
            unlink(path)
        }
    }

    /// `path` made absolute against the working directory, without `.` components or trailing slashes.
    public static func absolute(_ path: String) -> String {
        var p = path
        if !p.hasPrefix("/") {
            var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let cwd = getcwd(&buf, buf.count) != nil
                ? String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "."
            p = cwd + "/" + p
        }
        var parts: [Substring] = []
        for c in p.split(separator: "/") where c != "." {
            if c == ".." { if !parts.isEmpty { parts.removeLast() } } else { parts.append(c) }
        }
        return "/" + parts.joined(separator: "/")
    }

    /// A random (version 4) UUID in Flink's lowercase form, as Flink names state files.
    public static func randomUUID() -> String {
        var g = SystemRandomNumberGenerator()
        var b = (0..<16).map { _ in UInt8.random(in: 0...255, using: &g) }
        b[6] = (b[6] & 0x0F) | 0x40
        b[8] = (b[8] & 0x3F) | 0x80
        let h = Hex.encode(b)
        let c = Array(h)
        return [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(c[$0]) }.joined(separator: "-")
    }
}
