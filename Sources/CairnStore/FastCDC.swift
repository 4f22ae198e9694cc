import CairnCore
/// Content-defined chunking with FastCDC (Xia et al., USENIX ATC 2016): a Gear rolling hash, no hashing below
/// the minimum size, and normalized chunking (level 2: a stricter mask before the average size, a looser one after)
/// so chunk sizes cluster around the average. Cut points depend only on content, so inserting bytes moves only the
/// chunks around the insertion and the rest deduplicate.
///
/// The parameters, the Gear table's seed included, belong to a store's configuration: two stores with different
/// parameters cut differently.
public struct FastCDC: Sendable, Equatable {
    public struct Parameters: Sendable, Equatable {
        public var minSize: Int
        public var averageSize: Int
        public var maxSize: Int
        /// Seed of the SplitMix64 stream that fills the Gear table.
        public var gearSeed: UInt64

        public init(minSize: Int = 256 << 10, averageSize: Int = 1 << 20, maxSize: Int = 4 << 20, gearSeed: UInt64 = 0x6361_6972_6E2D_6364) {
            self.minSize = minSize
            self.averageSize = averageSize
            self.maxSize = maxSize
            self.gearSeed = gearSeed
        }

        /// Why the parameters cannot be used, or nil.
        public var problem: String? {
            guard minSize >= 64, averageSize > minSize, maxSize > averageSize else {
                return "chunk sizes must satisfy 64 ≤ min < average < max (min \(minSize), average \(averageSize), max \(maxSize))"
            }
            guard averageSize.nonzeroBitCount == 1 else { return "the average chunk size must be a power of two, not \(averageSize)" }
            guard averageSize >= 1 << 8, averageSize <= 1 << 30 else { return "the average chunk size must lie between 256 B and 1 GiB" }
            return nil
        }
    }

    public let parameters: Parameters
    private let gear: [UInt64]
    private let maskSmall: UInt64
    private let maskLarge: UInt64

    /// Fails with a description when the parameters are unusable.
    public init(_ parameters: Parameters = Parameters()) throws(ChunkerError) {
        if let problem = parameters.problem { throw ChunkerError(problem) }
        self.parameters = parameters
        var x = parameters.gearSeed
        gear = (0..<256).map { _ in
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        // The judgment uses the high bits of the fingerprint, which mix the most bytes.
        let bits = parameters.averageSize.trailingZeroBitCount
        func highMask(_ n: Int) -> UInt64 { n <= 0 ? 0 : ~UInt64(0) << UInt64(64 - min(63, n)) }
        maskSmall = highMask(bits + 2)
        maskLarge = highMask(bits - 2)
    }

    /// The length of the chunk that starts at the beginning of `data`. `data` must hold at least `maxSize` bytes
    /// unless it is the end of the input, whose rest then becomes the last chunk.
    public func cutPoint(_ data: UnsafeRawBufferPointer) -> Int {
        var n = data.count
        if n <= parameters.minSize { return n }
        if n > parameters.maxSize { n = parameters.maxSize }
        let normal = min(parameters.averageSize, n)
        var fp: UInt64 = 0
        var i = parameters.minSize
        return gear.withUnsafeBufferPointer { g in
            while i < normal {
                fp = (fp << 1) &+ g[Int(data[i])]
                if fp & maskSmall == 0 { return i + 1 }
                i += 1
            }
            while i < n {
                fp = (fp << 1) &+ g[Int(data[i])]
                if fp & maskLarge == 0 { return i + 1 }
                i += 1
            }
            return n
        }
    }

    /// Chunk lengths of a whole buffer (for inputs held in memory; files are chunked through a sliding buffer).
    public func chunkLengths(_ data: UnsafeRawBufferPointer) -> [Int] {
        var out: [Int] = []
        var start = 0
        while start < data.count {
            let len = cutPoint(UnsafeRawBufferPointer(rebasing: data[start...]))
            out.append(len)
            start += len
        }
        return out
    }
}

public struct ChunkerError: CairnError {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension ChunkerError {
    public var exitStatus: Int32 { 2 }
}
