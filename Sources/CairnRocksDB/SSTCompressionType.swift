import CairnCore

/// The compression of one block, from the type byte of its trailer (`include/rocksdb/compression_type.h`). Each
/// block says its own: a block that did not shrink is stored as `none` even in a Snappy column family.
public enum SSTCompressionType: UInt8, Sendable, CaseIterable {
    case none = 0
    case snappy = 1
    case zlib = 2
    case bzip2 = 3
    case lz4 = 4
    case lz4hc = 5
    case xpress = 6
    case zstd = 7
    case zstdNotFinal = 0x40

    public var name: String {
        switch self {
        case .none: "NoCompression"
        case .snappy: "Snappy"
        case .zlib: "Zlib"
        case .bzip2: "BZip2"
        case .lz4: "LZ4"
        case .lz4hc: "LZ4HC"
        case .xpress: "Xpress"
        case .zstd: "ZSTD"
        case .zstdNotFinal: "ZSTDNotFinal"
        }
    }

    /// Whether Cairn can decompress it (zlib, bzip2 and xpress would need libraries Cairn does not link).
    public var isSupported: Bool {
        switch self {
        case .zlib, .bzip2, .xpress: false
        default: true
        }
    }

    /// Decompresses a block payload. Since format_version 2 the LZ4 and ZSTD payloads start with a varint32 of the
    /// uncompressed size (format 1 LZ4: fixed32 size in an 8-byte header); Snappy carries its own. Nothing larger
    /// than `maxSize` is allocated. Errors carry a message and an offset within `payload`.
    func decompress(_ payload: UnsafeRawBufferPointer, formatVersion: UInt32, maxSize: Int) -> Result<[UInt8], DecompressionProblem> {
        func sizeHeader() -> Result<(Int, Int), DecompressionProblem> {
            if formatVersion >= 2 {
                var size: UInt64 = 0
                var shift: UInt64 = 0
                var p = 0
                while true {
                    guard p < payload.count, p < 5 else {
                        return .failure(DecompressionProblem(code: .decompressionFailed, message: "bad varint32 uncompressed size in a \(name) block", offset: 0))
                    }
                    let b = payload[p]
                    p += 1
                    size |= UInt64(b & 0x7F) << shift
                    if b & 0x80 == 0 { break }
                    shift += 7
                }
                return .success((Int(size), p))
            }
            guard self == .lz4 || self == .lz4hc, payload.count >= 8 else {
                return .failure(DecompressionProblem(code: .unsupportedCompression, message: "\(name) blocks of format_version \(formatVersion) (before 2) are not supported", offset: 0))
            }
            let size = Int(payload[0]) | Int(payload[1]) << 8 | Int(payload[2]) << 16 | Int(payload[3]) << 24
            return .success((size, 8))
        }
        switch self {
        case .none:
            return .success(Array(payload))
        case .snappy:
            do throws(DecodeError) {
                return .success(try Snappy.decompress(payload, maxLength: maxSize))
            } catch {
                let code: RocksDBError.Code = error.code == .lengthOutOfBounds && error.offset == 0 ? .tooLarge : .decompressionFailed
                return .failure(DecompressionProblem(code: code, message: "Snappy: \(error.message)", offset: error.offset))
            }
        case .lz4, .lz4hc, .zstd, .zstdNotFinal:
            let header: (Int, Int)
            switch sizeHeader() {
            case .success(let h): header = h
            case .failure(let e): return .failure(e)
            }
            let (size, start) = header
            guard size <= maxSize else {
                return .failure(DecompressionProblem(code: .tooLarge, message: "\(name) block claims \(size) uncompressed bytes, more than the \(maxSize) Cairn allows per block", offset: 0))
            }
            let body = UnsafeRawBufferPointer(rebasing: payload[start...])
            do throws(DecodeError) {
                return .success(self == .lz4 || self == .lz4hc ? try LZ4.decompress(body, rawLength: size) : try Zstd.decompress(body, rawLength: size))
            } catch {
                return .failure(DecompressionProblem(code: .decompressionFailed, message: error.message, offset: start))
            }
        case .zlib, .bzip2, .xpress:
            return .failure(DecompressionProblem(
                code: .unsupportedCompression, message: "\(name) compression (type \(rawValue)) is not supported: Cairn links only Snappy, LZ4 and ZSTD",
                offset: 0))
        }
    }
}

/// Why a block did not decompress, before the file and block offset are known.
struct DecompressionProblem: Error {
    var code: RocksDBError.Code
    var message: String
    var offset: Int
}
