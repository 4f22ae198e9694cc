#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CairnCore

/// Standard output as a `ByteSink`, for documents streamed as they are produced (`inspect --json`).
final class StandardOutputSink: ByteSink {
    func write(_ bytes: UnsafeRawBufferPointer) throws(IOError) {
        if let failure = POSIX.writeAll(STDOUT_FILENO, bytes) {
            throw IOError(path: "standard output", operation: "write", errno: failure)
        }
    }

    func commit() throws(IOError) {}
}
