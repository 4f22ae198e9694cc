/// LevelDB-style varints, zigzag varints and block handles over a byte range; nil when a field runs past the range,
/// so every caller decides how to name the damage.
struct FieldReader {
    let bytes: [UInt8]
    var position: Int
    let end: Int

    init(_ bytes: [UInt8], from start: Int, to end: Int) {
        self.bytes = bytes
        self.position = start
        self.end = min(end, bytes.count)
    }

    var atEnd: Bool { position >= end }

    mutating func varint64() -> UInt64? {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while position < end, shift <= 63 {
            let b = bytes[position]
            position += 1
            result |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return result }
            shift += 7
        }
        return nil
    }

    mutating func varint32() -> UInt32? {
        guard let v = varint64(), v <= UInt64(UInt32.max) else { return nil }
        return UInt32(v)
    }

    /// Zigzag-encoded signed varint (`PutVarsignedint64`).
    mutating func varsigned64() -> Int64? {
        guard let v = varint64() else { return nil }
        return Int64(bitPattern: (v >> 1) ^ (0 &- (v & 1)))
    }

    mutating func handle() -> BlockHandle? {
        guard let offset = varint64(), let size = varint64() else { return nil }
        return BlockHandle(offset: offset, size: size)
    }

    mutating func bytes(_ n: Int) -> ArraySlice<UInt8>? {
        guard n >= 0, n <= end - position else { return nil }
        defer { position += n }
        return bytes[position..<(position + n)]
    }

    mutating func lengthPrefixed() -> ArraySlice<UInt8>? {
        guard let n = varint32() else { return nil }
        return bytes(Int(n))
    }
}
