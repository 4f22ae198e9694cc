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

    // The descriptions of what is read are autoclosures: they are built only for an error, never on the way.

    @inline(__always)
    public mutating func readU8(_ what: @autoclosure () -> String) throws(DecodeError) -> UInt8 {
        guard remaining >= 1 else { return try reader.readU8(what()) }
        return try reader.readU8("")
    }

    public mutating func readBool(_ what: @autoclosure () -> String) throws(DecodeError) -> Bool {
        let at = position
        switch try readU8(what()) {
        case 0: return false
        case 1: return true
        case let v: throw DecodeError(.invalidValue, "\(what()) must be a boolean (0 or 1), found \(v)", at: at)
        }
    }

    @inline(__always)
    public mutating func readU16(_ what: @autoclosure () -> String) throws(DecodeError) -> UInt16 {
        guard remaining >= 2 else { return try reader.readU16(what()) }
        return try reader.readU16("")
    }

    @inline(__always)
    public mutating func readI32(_ what: @autoclosure () -> String) throws(DecodeError) -> Int32 {
        guard remaining >= 4 else { return Int32(bitPattern: try reader.readU32(what())) }
        return Int32(bitPattern: try reader.readU32(""))
    }

    @inline(__always)
    public mutating func readI64(_ what: @autoclosure () -> String) throws(DecodeError) -> Int64 {
        guard remaining >= 8 else { return try reader.readI64(what()) }
        return try reader.readI64("")
    }

    /// An `int` count of items that each take at least `minimumItemSize` bytes; negative or impossible counts fail.
    public mutating func readCount(_ what: @autoclosure () -> String, minimumItemSize: Int = 1) throws(DecodeError) -> Int {
        let at = position
        let n = try readI32(what())
        guard n >= 0 else { throw DecodeError(.invalidValue, "\(what()) is negative (\(n))", at: at) }
        guard Int(n) * max(1, minimumItemSize) <= remaining else {
            throw DecodeError(.lengthOutOfBounds, "\(what()) is \(n), more than the \(remaining) remaining bytes can hold", at: at)
        }
        return Int(n)
    }

    /// `n` raw bytes; a length beyond what remains is `lengthOutOfBounds`, checked before copying.
    public mutating func readBytes(_ n: Int, _ what: @autoclosure () -> String) throws(DecodeError) -> [UInt8] {
        guard n >= 0, n <= remaining else {
            throw DecodeError(.lengthOutOfBounds, "\(what()) claims \(n) bytes, \(remaining) remain", at: position)
        }
        return try reader.readRaw(n, "")
    }

    public mutating func skip(_ n: Int, _ what: @autoclosure () -> String) throws(DecodeError) {
        guard n >= 0, n <= remaining else { return try reader.skip(n, what()) }
        try reader.skip(n, "")
    }

    /// `count` big-endian `long`s at once (key-group and channel offsets); the caller has checked they fit.
    mutating func readI64s(_ count: Int, _ what: @autoclosure () -> String) throws(DecodeError) -> [Int64] {
        guard count >= 0, count <= remaining / 8 else {
            throw DecodeError(.lengthOutOfBounds, "\(count) \(what()) do not fit in the \(remaining) remaining bytes", at: position)
        }
        let start = position
        try reader.skip(count * 8, "")
        return reader.buffer.withUnsafeBytes { raw in
            [Int64](unsafeUninitializedCapacity: count) { out, initialized in
                for i in 0..<count {
                    out[i] = Int64(bigEndian: raw.loadUnaligned(fromByteOffset: start + i * 8, as: Int64.self))
                }
                initialized = count
            }
        }
    }

    /// `DataInput.readUTF`: an unsigned 16-bit byte count, then modified UTF-8 (NUL as C0 80, supplementary
    /// characters as surrogate pairs of three bytes each).
    public mutating func readUTF(_ what: @autoclosure () -> String) throws(DecodeError) -> String {
        try readUTF(what(), interning: nil)
    }

    /// `readUTF`, returning the string already in `table` when the same bytes were read before, so a name that
    /// repeats on every subtask is one allocation, not hundreds of thousands.
    mutating func readUTF(_ what: @autoclosure () -> String, interning table: StringTable?) throws(DecodeError) -> String {
        let at = position
        let n = Int(try readU16("length of \(what())"))
        guard n <= remaining else {
            throw DecodeError(.lengthOutOfBounds, "\(what()) claims \(n) bytes, \(remaining) remain", at: at)
        }
        let start = position
        try reader.skip(n, "")
        let decoded: String? = reader.buffer.withUnsafeBufferPointer { all in
            let bytes = UnsafeBufferPointer(rebasing: all[start..<(start + n)])
            // Fast path: plain ASCII is the common case (paths, names, UUIDs).
            var ascii = true
            for b in bytes where b & 0x80 != 0 || b == 0 { ascii = false; break }
            guard ascii else { return ModifiedUTF8.decode(ArraySlice(bytes)) }
            if let table { return table.string(for: bytes) }
            return String(decoding: bytes, as: UTF8.self)
        }
        guard let decoded else { throw DecodeError(.invalidUTF8, "\(what()) is not valid modified UTF-8", at: at) }
        return decoded
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
