#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The POSIX calls Cairn makes by name, spelled once for Linux (Glibc) and macOS (Darwin), so no other file has to
/// say which C library it is on. Everything else (open, pread, rename, fsync) has one name on both.
public enum POSIX {
    /// Writes every byte of `bytes` to `fd`, retrying short writes and `EINTR`.
    /// - Returns: nil when all was written, else the `errno` of the failed write.
    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32? {
        guard var next = bytes.baseAddress else { return nil }
        var left = bytes.count
        while left > 0 {
            #if canImport(Glibc)
            let n = Glibc.write(fd, next, left)
            #else
            let n = Darwin.write(fd, next, left)
            #endif
            if n < 0 {
                if errno == EINTR { continue }
                return errno
            }
            next += n
            left -= n
        }
        return nil
    }

    /// Writes every byte of `bytes` to `fd`, or throws naming `path`.
    public static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(IOError) {
        if let failure = bytes.withUnsafeBytes({ writeAll(fd, $0) }) {
            throw IOError(path: path, operation: "write", errno: failure)
        }
    }

    /// Closes `fd`; the result is 0 or -1 with `errno` set, as close(2) gives it.
    @discardableResult
    public static func close(_ fd: Int32) -> Int32 {
        #if canImport(Glibc)
        Glibc.close(fd)
        #else
        Darwin.close(fd)
        #endif
    }

    /// Ends the process with `status` without unwinding (buffered standard output is flushed).
    public static func exit(_ status: Int32) -> Never {
        #if canImport(Glibc)
        Glibc.exit(status)
        #else
        Darwin.exit(status)
        #endif
    }

    /// Ignores `signal`'s default action, so a `DispatchSource` can handle it instead.
    public static func ignore(signal number: Int32) {
        #if canImport(Glibc)
        _ = Glibc.signal(number, SIG_IGN)
        #else
        _ = Darwin.signal(number, SIG_IGN)
        #endif
    }
}
