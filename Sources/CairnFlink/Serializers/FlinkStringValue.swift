import CairnCore

/// Flink's `StringValue.writeString` encoding (§2.1): `len + 1` as a little-endian base-128 varint (0 = null), then
/// every UTF-16 code unit as a varint. Used by `StringSerializer` and Avro snapshots; not UTF-8.
public enum FlinkStringValue {
    /// Strings longer than this many UTF-16 units are refused (Flink's own limit is `Integer.MAX_VALUE`).
    public static let maxUnits = 1 << 28

    /// The string, or nil for Java `null`. Lone surrogates become U+FFFD.
    public static func read(_ r: inout JavaDataInput, _ what: String) throws -> String? {
        // Fast path: an ASCII string is its own bytes (one varint byte per unit below 0x80).
        var probe = r
        let n = try varint(&probe, what)
        if n == 0 { r = probe; return nil }
        let len = n - 1
        if len <= probe.remaining, len <= maxUnits {
            let bytes = probe.bytes
            let from = probe.position
            var ascii = true
            for i in from..<(from + len) where bytes[i] >= 0x80 { ascii = false; break }
            if ascii {
                try probe.skip(len, what)
                r = probe
                return String(decoding: bytes[from..<(from + len)], as: UTF8.self)
            }
        }
        guard let units = try readUnits(&r, what) else { return nil }
        return String(decoding: units, as: UTF16.self)
    }

    /// The UTF-16 code units as written, or nil for null.
    public static func readUnits(_ r: inout JavaDataInput, _ what: String) throws -> [UInt16]? {
        let at = r.position
        let n = try varint(&r, what)
        if n == 0 { return nil }
        let len = n - 1
        // Every unit takes at least one byte, so a length beyond what remains is damage, caught before allocating.
        guard len <= maxUnits, len <= r.remaining else {
            throw FlinkSerializerError(.malformed, "\(what): string of \(len) characters, \(r.remaining) bytes remain", at: at)
        }
        var units: [UInt16] = []
        units.reserveCapacity(len)
        for _ in 0..<len {
            let c = try varint(&r, what)
            guard c <= 0xFFFF else { throw FlinkSerializerError(.malformed, "\(what): character code \(c) beyond UTF-16", at: r.position) }
            units.append(UInt16(c))
        }
        return units
    }

    static func varint(_ r: inout JavaDataInput, _ what: String) throws -> Int {
        let at = r.position
        var value = 0, shift = 0
        while true {
            let b = Int(try r.readU8(what))
            guard shift <= 28 else { throw FlinkSerializerError(.malformed, "\(what): varint longer than 5 bytes", at: at) }
            value |= (b & 0x7F) << shift
            if b < 0x80 { return value }
            shift += 7
        }
    }

    /// Appends `s` (nil writes Java `null`).
    public static func write(_ s: String?, to w: inout ByteWriter) {
        guard let s else { w.writeU8(0); return }
        writeUnits(Array(s.utf16), to: &w)
    }

    public static func writeUnits(_ units: [UInt16], to w: inout ByteWriter) {
        w.writeVarint(UInt64(units.count + 1))
        for u in units { w.writeVarint(UInt64(u)) }
    }
}
