import CairnModel
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How a `SnapshotWriter` lays out blocks. The same options and input give the same bytes.
public struct WriterOptions: Sendable, Equatable {
    public var compression: CompressionSetting
    /// A keyed block is cut on content once it holds at least this many raw bytes.
    public var minBlockSize: Int
    /// No block grows beyond this (unless one entry alone is larger).
    public var maxBlockSize: Int
    /// Content cuts happen where the low `cutMaskBits` bits of the entry's key hash are zero.
    public var cutMaskBits: Int
    /// Threads compressing blocks; the output does not depend on it.
    public var compressionThreads: Int

    public init(compression: CompressionSetting = .default, minBlockSize: Int = 64 << 10, maxBlockSize: Int = 1 << 20, cutMaskBits: Int = 18,
                compressionThreads: Int = WriterOptions.availableCores) {
        self.compression = compression
        self.compressionThreads = compressionThreads
        self.minBlockSize = minBlockSize
        self.maxBlockSize = maxBlockSize
        self.cutMaskBits = cutMaskBits
    }
}

extension WriterOptions {
    /// Cores online, at least 1.
    public static var availableCores: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }
}
