import CairnCore

/// Reads what Java's `DataOutputStream` writes: big-endian fixed-width integers and `writeUTF` strings (modified
/// UTF-8), with every length checked against the bytes that remain and errors that give the offset.
public struct JavaDataInput: Sendable {
    /// The bounds-checked big-endian reads are CairnCore's; this adds Java's signed views, counts and `readUTF`.
    private var reader: ByteReader

    public init(_ bytes: [UInt8], from start: Int = 0, to end: Int? = nil) {
        reader = ByteReader(bytes, from: start, to: end)
    }

    public var bytes: [UInt8] { reader.buffer }
    public var position: Int { reader.position }
    public var end: Int { reader.end }
    public var remaining: Int { reader.remaining }
    public var isAtEnd: Bool { reader.isAtEnd }

    public mutating func readU8(_ what: String) throws(DecodeError) -> UInt8 { try reader.readU8(what) }

    public mutating func readBool(_ what: String) throws(DecodeError) -> Bool {
        let at = position
        switch try readU8(what) {
        case 0: return false
        case 1: return true
        case let v: throw DecodeError(.invalidValue, "\(what) must be a boolean (0 or 1), found \(v)", at: at)
        }
    }

    public mutating func readU16(_ what: String) throws(DecodeError) -> UInt16 { try reader.readU16(what) }
    public mutating func readI32(_ what: String) throws(DecodeError) -> Int32 { Int32(bitPattern: try reader.readU32(what)) }
    public mutating func readI64(_ what: String) throws(DecodeError) -> Int64 { try reader.readI64(what) }

    /// An `int` count of items that each take at least `minimumItemSize` bytes; negative or impossible counts fail.
    public mutating func readCount(_ what: String, minimumItemSize: Int = 1) throws(DecodeError) -> Int {
        let at = position
        let n = try readI32(what)
        guard n >= 0 else { throw DecodeError(.invalidValue, "\(what) is negative (\(n))", at: at) }
        guard Int(n) * max(1, minimumItemSize) <= remaining else {
            throw DecodeError(.lengthOutOfBounds, "\(what) is \(n), more than the \(remaining) remaining bytes can hold", at: at)
        }
        return Int(n)
    }

    /// `n` raw bytes; a length beyond what remains is `lengthOutOfBounds`, checked before copying.
    public mutating func readBytes(_ n: Int, _ what: String) throws(DecodeError) -> [UInt8] {
        guard n >= 0, n <= remaining else {
            throw DecodeError(.lengthOutOfBounds, "\(what) claims \(n) bytes, \(remaining) remain", at: position)
        }
        return try reader.readRaw(n, what)
    }

    public mutating func skip(_ n: Int, _ what: String) throws(DecodeError) { try reader.skip(n, what) }

    /// `DataInput.readUTF`: an unsigned 16-bit byte count, then modified UTF-8 (NUL as C0 80, supplementary
    /// characters as surrogate pairs of three bytes each).
    public mutating func readUTF(_ what: String) throws(DecodeError) -> String {
        let at = position
        let n = Int(try readU16("length of \(what)"))
        guard n <= remaining else {
            throw DecodeError(.lengthOutOfBounds, "\(what) claims \(n) bytes, \(remaining) remain", at: at)
        }
        let start = position
        try reader.skip(n, what)
        // Fast path: plain ASCII is the common case (paths, names, UUIDs).
        var ascii = true
        for i in start..<(start + n) where bytes[i] & 0x80 != 0 || bytes[i] == 0 { ascii = false; break }
        if ascii { return String(decoding: bytes[start..<(start + n)], as: UTF8.self) }
        guard let s = ModifiedUTF8.decode(bytes[start..<(start + n)]) else {
            throw DecodeError(.invalidUTF8, "\(what) is not valid modified UTF-8", at: at)
        }
        return s
    }
}

/// Java's modified UTF-8, as written by `DataOutputStream.writeUTF`.
public enum ModifiedUTF8 {
    public static func decode(_ bytes: ArraySlice<UInt8>) -> String? {
        var units: [UInt16] = []
        units.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let b = bytes[i]
            if b & 0x80 == 0 {
                guard b != 0 else { return nil }
                units.append(UInt16(b))
                i += 1
            } else if b & 0xE0 == 0xC0 {
                guard i + 1 < bytes.endIndex, bytes[i + 1] & 0xC0 == 0x80 else { return nil }
                units.append(UInt16(b & 0x1F) << 6 | UInt16(bytes[i + 1] & 0x3F))
                i += 2
            } else if b & 0xF0 == 0xE0 {
                guard i + 2 < bytes.endIndex, bytes[i + 1] & 0xC0 == 0x80, bytes[i + 2] & 0xC0 == 0x80 else { return nil }
                units.append(UInt16(b & 0x0F) << 12 | UInt16(bytes[i + 1] & 0x3F) << 6 | UInt16(bytes[i + 2] & 0x3F))
                i += 3
            } else {
                return nil
            }
        }
        // Lone surrogates are possible in Java strings; they become U+FFFD here.
        return String(decoding: units, as: UTF16.self)
    }

    public static func encode(_ s: String) -> [UInt8] {
        var out: [UInt8] = []
        for u in s.utf16 {
            switch u {
            case 0x0001...0x007F: out.append(UInt8(u))
            case 0x0000, 0x0080...0x07FF:
                out.append(0xC0 | UInt8(u >> 6))
                out.append(0x80 | UInt8(u & 0x3F))
            default:
                out.append(0xE0 | UInt8(u >> 12))
                out.append(0x80 | UInt8((u >> 6) & 0x3F))
                out.append(0x80 | UInt8(u & 0x3F))
            }
        }
        return out
    }
}
