#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An I/O failure with the path and the operation that failed.
public struct IOError: CairnError, Equatable {
    public var path: String
    public var operation: String
    public var errno: Int32?
    public var message: String

    public init(path: String, operation: String, errno: Int32? = nil, message: String? = nil) {
        self.path = path
        self.operation = operation
        self.errno = errno
        if let message {
            self.message = message
        } else if let errno {
            self.message = String(cString: strerror(errno))
        } else {
            self.message = "failed"
        }
    }

    public var description: String { "\(path): cannot \(operation): \(message)" }
}

extension IOError {
    public var exitStatus: Int32 { 2 }
}

extension IOError {
    /// There is no file at `path` (any more): `ENOENT`, which object-store readers use for "not found" too.
    public var isNotFound: Bool { errno == ENOENT }
}
