#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a streaming writer puts its bytes.
public protocol ByteSink: AnyObject {
    func write(_ bytes: UnsafeRawBufferPointer) throws(IOError)
    /// Makes everything written durable and visible; nothing is visible before.
    func commit() throws(IOError)
}

extension ByteSink {
    public func write(_ bytes: [UInt8]) throws(IOError) {
        let result = bytes.withUnsafeBytes { b in Result { () throws(IOError) in try write(b) } }
        try result.get()
    }
}

/// Writes a file atomically: bytes go to a temporary file beside the destination (`<name>.cairn-tmp-…`, claimed, see
/// `TemporaryFiles`), which `commit` fsyncs and renames over it. Until then the destination is untouched; an
/// abandoned sink removes its temporary file, and a new sink removes what a killed writer left beside the same
/// destination. The descriptor stays open (and the claim held) until the sink goes, so a file staged at its name
/// for a later rename is not taken for abandoned.
public final class AtomicFileSink: ByteSink {
    public let path: String
    private let temporaryPath: String
    private var fd: Int32
    private var buffer: [UInt8] = []
    private let bufferLimit = 1 << 20
    private var committed = false

    public init(path: String) throws(IOError) {
        self.path = path
        TemporaryFiles.removeAbandoned(beside: path)
        let dir = FilePaths.parent(path)
        let (name, fd) = try TemporaryFiles.createFile(directory: dir, beside: FilePaths.lastComponent(path))
        self.temporaryPath = dir + "/" + name
        self.fd = fd
        buffer.reserveCapacity(bufferLimit)
    }

    deinit {
        if !committed { unlink(temporaryPath) }
        if fd >= 0 { close(fd) }
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(IOError) {
        if buffer.count + bytes.count > bufferLimit { try flush() }
        if bytes.count >= bufferLimit {
            try writeAll(bytes)
        } else {
            buffer.append(contentsOf: bytes)
        }
    }

    private func flush() throws(IOError) {
        guard !buffer.isEmpty else { return }
        let result = buffer.withUnsafeBytes { b in Result { () throws(IOError) in try writeAll(b) } }
        try result.get()
        buffer.removeAll(keepingCapacity: true)
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws(IOError) {
        if let failure = POSIX.writeAll(fd, bytes) { throw IOError(path: path, operation: "write", errno: failure) }
    }

    public func commit() throws(IOError) {
        try flush()
        guard fsync(fd) == 0 else { throw IOError(path: path, operation: "fsync", errno: errno) }
        guard rename(temporaryPath, path) == 0 else { throw IOError(path: path, operation: "rename into place", errno: errno) }
        committed = true
    }
}

/// Collects bytes in memory; for tests and small outputs.
public final class MemorySink: ByteSink {
    public private(set) var bytes: [UInt8] = []
    public private(set) var isCommitted = false

    public init() {}

    public func write(_ bytes: UnsafeRawBufferPointer) throws(IOError) { self.bytes.append(contentsOf: bytes) }
    public func commit() throws(IOError) { isCommitted = true }
}
