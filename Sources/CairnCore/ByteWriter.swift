/// Appends big-endian integers, LEB128 varints, length-prefixed bytes and strings to a growable buffer.
///
/// The encodings are those of the Cairn format specification §1; other formats (Flink's) reuse the
/// fixed-width big-endian writers.
public struct ByteWriter: Sendable {
    public var bytes: [UInt8]

    @inlinable
    public init(capacity: Int = 0) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    @inlinable
    public var count: Int { bytes.count }

    @inlinable
    public mutating func removeAll(keepingCapacity: Bool = true) {
        bytes.removeAll(keepingCapacity: keepingCapacity)
    }

    @inlinable
    public mutating func writeU8(_ v: UInt8) { bytes.append(v) }

    @inlinable
    public mutating func writeBool(_ v: Bool) { bytes.append(v ? 1 : 0) }

    @inlinable
    public mutating func writeU16(_ v: UInt16) {
        bytes.append(UInt8(truncatingIfNeeded: v >> 8))
        bytes.append(UInt8(truncatingIfNeeded: v))
    }

    @inlinable
    public mutating func writeU32(_ v: UInt32) {
        for shift in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: v >> UInt32(shift))) }
    }

    @inlinable
    public mutating func writeU64(_ v: UInt64) {
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: v >> UInt64(shift))) }
    }

    @inlinable
    public mutating func writeI64(_ v: Int64) { writeU64(UInt64(bitPattern: v)) }

    /// Unsigned LEB128, shortest form.
    @inlinable
    public mutating func writeVarint(_ v: UInt64) {
        var v = v
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    @inlinable
    public mutating func writeVarint(_ v: Int) { writeVarint(UInt64(v)) }

    /// Zigzag-mapped signed varint.
    @inlinable
    public mutating func writeSVarint(_ v: Int64) {
        writeVarint(UInt64(bitPattern: (v << 1) ^ (v >> 63)))
    }

    @inlinable
    public mutating func writeRaw<C: Collection>(_ data: C) where C.Element == UInt8 { bytes.append(contentsOf: data) }

    @inlinable
    public mutating func writeRaw(_ data: UnsafeRawBufferPointer) { bytes.append(contentsOf: data) }

    /// Length-prefixed bytes.
    @inlinable
    public mutating func writeBytes<C: Collection>(_ data: C) where C.Element == UInt8 {
        writeVarint(UInt64(data.count))
        bytes.append(contentsOf: data)
    }

    /// Length-prefixed UTF-8.
    @inlinable
    public mutating func writeString(_ s: String) {
        var s = s
        s.withUTF8 { utf8 in
            writeVarint(UInt64(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    /// Number of bytes `writeVarint(v)` appends.
    @inlinable
    public static func varintSize(_ v: UInt64) -> Int {
        var n = 1
        var v = v
        while v >= 0x80 { v >>= 7; n += 1 }
        return n
    }
}
