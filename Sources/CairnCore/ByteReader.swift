/// Reads the encodings of `ByteWriter` from a byte array, checking every length against what remains.
///
/// Nothing is allocated from an unchecked length: a length larger than the rest of the buffer fails with
/// `lengthOutOfBounds` before any copy.
public struct ByteReader: Sendable {
    public let buffer: [UInt8]
    public var position: Int
    public let end: Int

    @inlinable
    public init(_ buffer: [UInt8], from start: Int = 0, to end: Int? = nil) {
        self.buffer = buffer
        self.position = start
        self.end = end ?? buffer.count
    }

    @inlinable
    public var remaining: Int { end - position }
    @inlinable
    public var isAtEnd: Bool { position >= end }

    @inlinable @inline(__always)
    func need(_ n: Int, _ what: String) throws(DecodeError) {
        if n > end - position {
            throw DecodeError(.truncated, "\(what) needs \(n) bytes, \(end - position) remain", at: position)
        }
    }

    @inlinable
    public mutating func readU8(_ what: String = "u8") throws(DecodeError) -> UInt8 {
        try need(1, what)
        defer { position += 1 }
        return buffer[position]
    }

    @inlinable
    public mutating func readBool(_ what: String = "bool") throws(DecodeError) -> Bool {
        let at = position
        switch try readU8(what) {
        case 0: return false
        case 1: return true
        case let v: throw DecodeError(.invalidValue, "\(what) must be 0 or 1, found \(v)", at: at)
        }
    }

    @inlinable
    public mutating func readU16(_ what: String = "u16") throws(DecodeError) -> UInt16 {
        try need(2, what)
        defer { position += 2 }
        return UInt16(buffer[position]) << 8 | UInt16(buffer[position + 1])
    }

    @inlinable
    public mutating func readU32(_ what: String = "u32") throws(DecodeError) -> UInt32 {
        try need(4, what)
        var v: UInt32 = 0
        for i in 0..<4 { v = v << 8 | UInt32(buffer[position + i]) }
        position += 4
        return v
    }

    @inlinable
    public mutating func readU64(_ what: String = "u64") throws(DecodeError) -> UInt64 {
        try need(8, what)
        var v: UInt64 = 0
        for i in 0..<8 { v = v << 8 | UInt64(buffer[position + i]) }
        position += 8
        return v
    }

    @inlinable
    public mutating func readI64(_ what: String = "i64") throws(DecodeError) -> Int64 {
        Int64(bitPattern: try readU64(what))
    }

    /// Unsigned LEB128; rejects over-long forms and values above 2^64 − 1.
    @inlinable
    public mutating func readVarint(_ what: String = "varint") throws(DecodeError) -> UInt64 {
        let start = position
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < end else {
                throw DecodeError(.truncated, "\(what) is cut off", at: start)
            }
            let byte = buffer[position]
            position += 1
            if shift == 63 && byte > 1 {
                throw DecodeError(.invalidVarint, "\(what) overflows 64 bits", at: start)
            }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 {
                if byte == 0 && shift > 0 {
                    throw DecodeError(.invalidVarint, "\(what) is not in its shortest form", at: start)
                }
                return result
            }
            shift += 7
            if shift > 63 {
                throw DecodeError(.invalidVarint, "\(what) is longer than 10 bytes", at: start)
            }
        }
    }

    /// A varint that must fit in `Int` and be at most `limit`; `code` names a violation (a count beyond the bytes
    /// left is `lengthOutOfBounds`, a value outside its range `invalidValue`).
    @inlinable
    public mutating func readCount(_ what: String, max limit: Int = Int.max, code: DecodeError.Code = .lengthOutOfBounds) throws(DecodeError) -> Int {
        let at = position
        let v = try readVarint(what)
        guard v <= UInt64(limit) else {
            throw DecodeError(code, "\(what) is \(v), more than the \(limit) allowed here", at: at)
        }
        return Int(v)
    }

    @inlinable
    public mutating func readSVarint(_ what: String = "svarint") throws(DecodeError) -> Int64 {
        let u = try readVarint(what)
        return Int64(bitPattern: (u >> 1) ^ (0 &- (u & 1)))
    }

    /// The range of a length-prefixed byte string, without copying it.
    @inlinable
    public mutating func readBytesRange(_ what: String = "bytes") throws(DecodeError) -> Range<Int> {
        let at = position
        let n = try readVarint(what)
        guard n <= UInt64(end - position) else {
            throw DecodeError(.lengthOutOfBounds, "\(what) claims \(n) bytes, \(end - position) remain", at: at)
        }
        let r = position..<(position + Int(n))
        position += Int(n)
        return r
    }

    @inlinable
    public mutating func readBytes(_ what: String = "bytes") throws(DecodeError) -> [UInt8] {
        Array(buffer[try readBytesRange(what)])
    }

    @inlinable
    public mutating func readString(_ what: String = "string") throws(DecodeError) -> String {
        let at = position
        let r = try readBytesRange(what)
        guard let s = String(validating: buffer[r], as: UTF8.self) else {
            throw DecodeError(.invalidUTF8, "\(what) is not valid UTF-8", at: at)
        }
        return s
    }

    /// Exactly `n` raw bytes.
    @inlinable
    public mutating func readRaw(_ n: Int, _ what: String = "bytes") throws(DecodeError) -> [UInt8] {
        try need(n, what)
        defer { position += n }
        return Array(buffer[position..<(position + n)])
    }

    @inlinable
    public mutating func skip(_ n: Int, _ what: String = "bytes") throws(DecodeError) {
        try need(n, what)
        position += n
    }

    /// Fails unless the whole buffer was consumed.
    @inlinable
    public func expectEnd(_ what: String) throws(DecodeError) {
        if position != end {
            throw DecodeError(.trailingBytes, "\(end - position) unexpected bytes after \(what)", at: position)
        }
    }
}
