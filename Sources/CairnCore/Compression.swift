import CLZ4
import CZstd

/// Thin, typed wrappers over liblz4's block API and libzstd's one-frame API.
///
/// Compression writes into a caller-owned buffer so a writer can reuse it; decompression is bounded by the
/// length the caller expects, so a corrupted or hostile input can never make it allocate more.
public enum Zstd {
    public static let defaultLevel: Int32 = 3
    public static var maxLevel: Int32 { ZSTD_maxCLevel() }

    /// A reusable compression context (not thread-safe; use one per task).
    public final class Compressor {
        private let context: OpaquePointer
        public let level: Int32

        public init(level: Int32 = Zstd.defaultLevel) {
            // ZSTD_createCCtx only fails when out of memory.
            context = ZSTD_createCCtx()!
            self.level = level
            ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, level)
            ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, 0)
            ZSTD_CCtx_setParameter(context, ZSTD_c_contentSizeFlag, 1)
        }

        deinit { ZSTD_freeCCtx(context) }

        /// Compresses `input` into `output` (replacing its contents); returns false if the result would not be
        /// smaller than the input, in which case `output` is unspecified.
        public func compress(_ input: UnsafeRawBufferPointer, into output: inout [UInt8]) -> Bool {
            let bound = ZSTD_compressBound(input.count)
            if output.count < bound { output = [UInt8](repeating: 0, count: bound) }
            let written = output.withUnsafeMutableBytes { out in
                ZSTD_compress2(context, out.baseAddress, out.count, input.baseAddress, input.count)
            }
            if ZSTD_isError(written) != 0 { return false }
            output.removeSubrange(written...)
            return written < input.count
        }
    }

    /// Decodes one frame that must produce exactly `rawLength` bytes.
    public static func decompress(_ input: UnsafeRawBufferPointer, rawLength: Int) throws(DecodeError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: rawLength)
        let n = out.withUnsafeMutableBytes { o in
            ZSTD_decompress(o.baseAddress, rawLength, input.baseAddress, input.count)
        }
        if ZSTD_isError(n) != 0 {
            let name = String(cString: ZSTD_getErrorName(n))
            throw DecodeError(.decompressionFailed, "zstd: \(name)", at: 0)
        }
        guard n == rawLength else {
            throw DecodeError(.decompressionFailed, "zstd produced \(n) bytes, expected \(rawLength)", at: 0)
        }
        return out
    }
}

public enum LZ4 {
    /// Compresses `input` as one LZ4 block into `output`; returns false if it would not shrink.
    public static func compress(_ input: UnsafeRawBufferPointer, into output: inout [UInt8]) -> Bool {
        guard input.count <= Int(LZ4_MAX_INPUT_SIZE) else { return false }
        let bound = Int(LZ4_compressBound(Int32(input.count)))
        if output.count < bound { output = [UInt8](repeating: 0, count: bound) }
        let written = output.withUnsafeMutableBytes { out in
            LZ4_compress_default(
                input.baseAddress?.assumingMemoryBound(to: CChar.self),
                out.baseAddress?.assumingMemoryBound(to: CChar.self),
                Int32(input.count), Int32(out.count))
        }
        guard written > 0 else { return false }
        output.removeSubrange(Int(written)...)
        return Int(written) < input.count
    }

    /// Decodes one LZ4 block that must produce exactly `rawLength` bytes.
    public static func decompress(_ input: UnsafeRawBufferPointer, rawLength: Int) throws(DecodeError) -> [UInt8] {
        guard input.count <= Int(Int32.max), rawLength <= Int(Int32.max) else {
            throw DecodeError(.decompressionFailed, "lz4 block too large", at: 0)
        }
        var out = [UInt8](repeating: 0, count: rawLength)
        let n = out.withUnsafeMutableBytes { o in
            LZ4_decompress_safe(
                input.baseAddress?.assumingMemoryBound(to: CChar.self),
                o.baseAddress?.assumingMemoryBound(to: CChar.self),
                Int32(input.count), Int32(rawLength))
        }
        guard n == Int32(rawLength) else {
            throw DecodeError(
                .decompressionFailed,
                n < 0 ? "lz4 block is malformed" : "lz4 produced \(n) bytes, expected \(rawLength)", at: 0)
        }
        return out
    }
}
