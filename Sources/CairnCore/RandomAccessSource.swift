#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Bytes that can be read at any offset: a local file today, an S3 object through ranged GETs tomorrow.
///
/// Readers of snapshot formats depend only on this, which is how `inspect` answers size questions by reading
/// the footer and index of a large snapshot without touching its data.
public protocol RandomAccessSource: Sendable {
    /// Total size in bytes.
    var size: UInt64 { get }
    /// A name for messages: a path or URL.
    var name: String { get }
    /// Reads exactly `count` bytes at `offset`, or throws.
    func read(at offset: UInt64, count: Int) throws(IOError) -> [UInt8]
    /// Bytes read so far, for reporting how little a question needed.
    var bytesRead: UInt64 { get }
}

/// A thread-safe counter for `bytesRead`.
final class ByteCounter: Sendable {
    private let total = Locked<UInt64>(0)
    func add(_ n: UInt64) { total.withLock { $0 &+= n } }
    var current: UInt64 { total.withLock { $0 } }
}

/// A local file read with `pread`, safe to share between tasks.
public final class FileSource: RandomAccessSource, @unchecked Sendable {
    public let name: String
    public let size: UInt64
    private let fd: Int32
    private let counter = ByteCounter()

    public init(path: String) throws(IOError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw IOError(path: path, operation: "open for reading", errno: errno) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let e = errno
            close(fd)
            throw IOError(path: path, operation: "stat", errno: e)
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw IOError(path: path, operation: "read", message: "not a regular file")
        }
        self.fd = fd
        self.name = path
        self.size = UInt64(st.st_size)
    }

    deinit { close(fd) }

    public var bytesRead: UInt64 { counter.current }

    public func read(at offset: UInt64, count: Int) throws(IOError) -> [UInt8] {
        guard count >= 0, offset <= size, UInt64(count) <= size - offset else {
            throw IOError(path: name, operation: "read \(count) bytes at offset \(offset)", message: "beyond the end of the \(size)-byte file")
        }
        var out = [UInt8](repeating: 0, count: count)
        var done = 0
        var failure: Int32 = 0
        out.withUnsafeMutableBytes { buf in
            while done < count {
                let n = pread(fd, buf.baseAddress! + done, count - done, off_t(offset) + off_t(done))
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                if n == 0 { failure = -1; return }
                done += n
            }
        }
        if failure != 0 {
            throw IOError(path: name, operation: "read at offset \(offset)", errno: failure > 0 ? failure : nil,
                          message: failure > 0 ? nil : "file shrank while reading")
        }
        counter.add(UInt64(count))
        return out
    }
}

/// Bytes in memory as a source; for tests and for data already fetched.
public struct MemorySource: RandomAccessSource {
    public let bytes: [UInt8]
    public let name: String
    private let counter = ByteCounter()

    public init(_ bytes: [UInt8], name: String = "<memory>") {
        self.bytes = bytes
        self.name = name
    }

    public var size: UInt64 { UInt64(bytes.count) }
    public var bytesRead: UInt64 { counter.current }

    public func read(at offset: UInt64, count: Int) throws(IOError) -> [UInt8] {
        guard count >= 0, offset <= size, UInt64(count) <= size - offset else {
            throw IOError(path: name, operation: "read \(count) bytes at offset \(offset)", message: "beyond the end of the \(size)-byte buffer")
        }
        counter.add(UInt64(count))
        return Array(bytes[Int(offset)..<(Int(offset) + count)])
    }
}


/// A window of another source: a file-merging segment, a state stream inside a shared file.
public struct SliceSource: RandomAccessSource {
    public let base: any RandomAccessSource
    public let offset: UInt64
    public let size: UInt64
    public let name: String

    /// `size` bytes of `base` from `offset`; reads past the window throw as past the end of a file would.
    public init(_ base: any RandomAccessSource, offset: UInt64, size: UInt64, name: String? = nil) {
        self.base = base
        self.offset = offset
        self.size = size
        self.name = name ?? "\(base.name)@\(offset)+\(size)"
    }

    public var bytesRead: UInt64 { base.bytesRead }

    public func read(at position: UInt64, count: Int) throws(IOError) -> [UInt8] {
        guard count >= 0, position <= size, UInt64(count) <= size - position else {
            throw IOError(path: name, operation: "read \(count) bytes at offset \(position)", message: "beyond the end of the \(size)-byte segment")
        }
        return try base.read(at: offset + position, count: count)
    }
}
