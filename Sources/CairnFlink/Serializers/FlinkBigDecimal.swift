/// Converts between Java's `BigInteger.toByteArray()` (big-endian two's complement, minimal) and decimal strings,
/// and between `BigDecimal` (unscaled value + scale) and its plain decimal string — what Flink's BigInt/BigDec
/// serializers and SQL DECIMAL store, without a big-number library.
public enum FlinkBigDecimal {
    /// Values longer than this many bytes are refused (a `BigInteger` of 1 MiB is already absurd as state).
    public static let maxBytes = 1 << 16

    /// The decimal string of a two's-complement big-endian integer (`"0"` for no bytes).
    public static func decimalString(twosComplement bytes: [UInt8]) -> String {
        guard let first = bytes.first else { return "0" }
        let negative = first & 0x80 != 0
        var mag = bytes
        if negative {
            // magnitude = ~x + 1
            for i in mag.indices { mag[i] = ~mag[i] }
            var i = mag.count - 1
            while i >= 0 { mag[i] &+= 1; if mag[i] != 0 { break }; i -= 1 }
        }
        // Big-endian bytes to little-endian 32-bit limbs.
        var limbs: [UInt32] = []
        var end = mag.count
        while end > 0 {
            let start = max(0, end - 4)
            var v: UInt32 = 0
            for b in mag[start..<end] { v = v << 8 | UInt32(b) }
            limbs.append(v)
            end = start
        }
        while limbs.last == 0 { limbs.removeLast() }
        if limbs.isEmpty { return "0" }
        var chunks: [UInt32] = []
        while !limbs.isEmpty {
            var rem: UInt64 = 0
            for i in stride(from: limbs.count - 1, through: 0, by: -1) {
                let cur = rem << 32 | UInt64(limbs[i])
                limbs[i] = UInt32(cur / 1_000_000_000)
                rem = cur % 1_000_000_000
            }
            chunks.append(UInt32(rem))
            while limbs.last == 0 { limbs.removeLast() }
        }
        var s = String(chunks.last ?? 0)
        for c in chunks.dropLast().reversed() {
            let t = String(c)
            s += String(repeating: "0", count: 9 - t.count) + t
        }
        return negative ? "-" + s : s
    }

    /// `BigInteger.toByteArray()` of a decimal integer string; nil when the string is not one.
    public static func twosComplement(decimal: String) -> [UInt8]? {
        var digits = Substring(decimal)
        var negative = false
        if digits.first == "-" { negative = true; digits = digits.dropFirst() } else if digits.first == "+" { digits = digits.dropFirst() }
        guard !digits.isEmpty, digits.count <= maxBytes * 3, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        var limbs: [UInt32] = []  // little-endian
        for ch in digits.utf8 {
            var carry = UInt64(ch - 0x30)
            for i in limbs.indices {
                let v = UInt64(limbs[i]) * 10 + carry
                limbs[i] = UInt32(truncatingIfNeeded: v)
                carry = v >> 32
            }
            if carry > 0 { limbs.append(UInt32(carry)) }
        }
        var mag: [UInt8] = []
        for l in limbs.reversed() { mag += [UInt8(l >> 24), UInt8(truncatingIfNeeded: l >> 16), UInt8(truncatingIfNeeded: l >> 8), UInt8(truncatingIfNeeded: l)] }
        while mag.first == 0 { mag.removeFirst() }
        if mag.isEmpty { return [0] }
        if !negative {
            if mag[0] & 0x80 != 0 { mag.insert(0, at: 0) }
            return mag
        }
        // two's complement of the magnitude, then drop redundant 0xFF sign bytes.
        var out = [UInt8(0)] + mag
        for i in out.indices { out[i] = ~out[i] }
        var i = out.count - 1
        while i >= 0 { out[i] &+= 1; if out[i] != 0 { break }; i -= 1 }
        while out.count > 1 && out[0] == 0xFF && out[1] & 0x80 != 0 { out.removeFirst() }
        return out
    }

    /// The decimal string of unscaled × 10^-scale: plain (`"-12.50"`, trailing zeros kept so the scale survives), or
    /// `"<unscaled>E+<n>"` for a negative scale (`BigDecimal("1E+3")`), so that the value writes back to the same bytes.
    public static func plainString(unscaled: String, scale: Int) -> String {
        let negative = unscaled.hasPrefix("-")
        let digits = negative ? String(unscaled.dropFirst()) : unscaled
        var s: String
        if scale < 0 {
            s = digits + "E+" + String(-scale)
        } else if scale == 0 {
            s = digits
        } else if digits.count > scale {
            s = String(digits.dropLast(scale)) + "." + String(digits.suffix(scale))
        } else {
            s = "0." + String(repeating: "0", count: scale - digits.count) + digits
        }
        if negative { s = "-" + s }
        return s
    }

    /// The unscaled integer string and scale of a decimal string (`"-1.50"` → (`"-150"`, 2), `"12E+3"` → (`"12"`, -3)).
    public static func unscaled(_ text: String) -> (unscaled: String, scale: Int)? {
        var plain = Substring(text)
        var exponent = 0
        if let e = plain.firstIndex(where: { $0 == "E" || $0 == "e" }) {
            var digits = plain[plain.index(after: e)...]
            if digits.first == "+" { digits = digits.dropFirst() }
            guard let x = Int(digits), abs(x) < 1 << 20 else { return nil }
            exponent = x
            plain = plain[..<e]
        }
        let parts = plain.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2 else { return nil }
        let whole = String(parts[0])
        let frac = parts.count == 2 ? String(parts[1]) : ""
        guard frac.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        var u = whole + frac
        let negative = u.hasPrefix("-")
        if negative || u.hasPrefix("+") { u.removeFirst() }
        while u.count > 1 && u.hasPrefix("0") { u.removeFirst() }
        guard !u.isEmpty, u.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return ((negative && u != "0" ? "-" : "") + u, frac.count - exponent)
    }
}
