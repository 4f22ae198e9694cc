/// Raw (unframed) Snappy block decompression: the format inside Flink's framed snapshot streams and inside RocksDB
/// SST blocks.
///
/// The output length comes from the block's own varint header and is checked against `maxLength` before anything is
/// allocated, so a damaged or hostile header cannot make it allocate more than the caller allows.
public enum Snappy {
    /// The length a raw Snappy block says it decodes to, and the size of that varint header.
    public static func uncompressedLength(_ input: UnsafeRawBufferPointer) throws(DecodeError) -> (length: Int, headerSize: Int) {
        var length = 0
        var shift = 0
        var p = 0
        while true {
            guard p < input.count, shift <= 28 else { throw DecodeError(.invalidValue, "bad Snappy length header", at: p) }
            let b = input[p]
            p += 1
            length |= Int(b & 0x7F) << shift
            if b & 0x80 == 0 { break }
            shift += 7
        }
        guard length <= Int(UInt32.max) else { throw DecodeError(.invalidValue, "Snappy length header overflows 32 bits", at: 0) }
        return (length, p)
    }

    /// Decodes the raw Snappy block `input[range]`; refuses one that claims more than `maxLength` bytes.
    public static func decompress(_ input: [UInt8], _ range: Range<Int>, maxLength: Int) throws(DecodeError) -> [UInt8] {
        guard range.lowerBound >= 0, range.upperBound <= input.count else {
            throw DecodeError(.lengthOutOfBounds, "Snappy block range \(range) outside its \(input.count)-byte buffer", at: 0)
        }
        let result: Result<[UInt8], DecodeError> = input.withUnsafeBytes { all in
            do throws(DecodeError) {
                return .success(try decompress(UnsafeRawBufferPointer(rebasing: all[range]), maxLength: maxLength))
            } catch {
                return .failure(DecodeError(error.code, error.message, at: error.offset + range.lowerBound))
            }
        }
        return try result.get()
    }

    /// Decodes one raw Snappy block; offsets in errors are relative to `input`.
    public static func decompress(_ input: UnsafeRawBufferPointer, maxLength: Int) throws(DecodeError) -> [UInt8] {
        let (length, header) = try uncompressedLength(input)
        guard length <= maxLength else {
            throw DecodeError(.lengthOutOfBounds, "Snappy block claims \(length) bytes, more than the \(maxLength) allowed", at: 0)
        }
        var failure: DecodeError?
        let out = [UInt8](unsafeUninitializedCapacity: length) { buffer, initialized in
            switch decode(input, from: header, into: buffer) {
            case .success(let n): initialized = n
            case .failure(let e):
                failure = e
                initialized = 0
            }
        }
        if let failure { throw failure }
        return out
    }

    /// The tag loop: literals are copied, back-references expanded; every length and offset is bounds-checked.
    private static func decode(_ src: UnsafeRawBufferPointer, from start: Int, into dst: UnsafeMutableBufferPointer<UInt8>)
        -> Result<Int, DecodeError>
    {
        guard dst.count > 0, let out = dst.baseAddress else {
            return start == src.count ? .success(0) : .failure(DecodeError(.lengthOutOfBounds, "Snappy data after an empty block", at: start))
        }
        let n = src.count
        let capacity = dst.count
        var ip = start
        var op = 0
        while ip < n {
            let tag = src[ip]
            ip += 1
            if tag & 3 == 0 {
                var len = Int(tag >> 2) + 1
                if len > 60 {
                    let extra = len - 60
                    guard ip + extra <= n else { return .failure(DecodeError(.truncated, "Snappy literal length cut off", at: ip)) }
                    len = 0
                    for i in 0..<extra { len |= Int(src[ip + i]) << (8 * i) }
                    len += 1
                    ip += extra
                }
                guard len <= n - ip, len <= capacity - op else {
                    return .failure(DecodeError(.lengthOutOfBounds, "Snappy literal of \(len) bytes overruns", at: ip))
                }
                if let s = src.baseAddress { (out + op).update(from: s.advanced(by: ip).assumingMemoryBound(to: UInt8.self), count: len) }
                ip += len
                op += len
                continue
            }
            let len: Int
            let offset: Int
            switch tag & 3 {
            case 1:
                guard ip < n else { return .failure(DecodeError(.truncated, "Snappy copy cut off", at: ip)) }
                len = 4 + Int((tag >> 2) & 7)
                offset = Int(tag >> 5) << 8 | Int(src[ip])
                ip += 1
            case 2:
                guard ip + 2 <= n else { return .failure(DecodeError(.truncated, "Snappy copy cut off", at: ip)) }
                len = 1 + Int(tag >> 2)
                offset = Int(src[ip]) | Int(src[ip + 1]) << 8
                ip += 2
            default:
                guard ip + 4 <= n else { return .failure(DecodeError(.truncated, "Snappy copy cut off", at: ip)) }
                len = 1 + Int(tag >> 2)
                offset = Int(src[ip]) | Int(src[ip + 1]) << 8 | Int(src[ip + 2]) << 16 | Int(src[ip + 3]) << 24
                ip += 4
            }
            guard offset > 0, offset <= op, len <= capacity - op else {
                return .failure(DecodeError(.invalidValue, "Snappy copy refers outside the output", at: ip))
            }
            let from = out + (op - offset)
            if offset >= len {
                (out + op).update(from: from, count: len)
            } else {
                for i in 0..<len { out[op + i] = from[i] }
            }
            op += len
        }
        guard op == capacity else {
            return .failure(DecodeError(.decompressionFailed, "Snappy block decoded to \(op) bytes, header says \(capacity)", at: 0))
        }
        return .success(op)
    }
}
