import CairnCore

/// Recomputes the key group Flink assigns a key (§4): `MathUtils.murmurHash(key.hashCode()) % maxParallelism`,
/// with the Java `hashCode` of the decoded key. Only value-based hash codes can be recomputed; enums, POJOs and
/// opaque keys use the JVM's or the user's `hashCode` and are refused.
public enum FlinkKeyHashing {
    /// `MathUtils.murmurHash(int)`: one murmur3 round plus fmix, made non-negative.
    public static func murmurHash(_ code: Int32) -> Int32 {
        var h = UInt32(bitPattern: code) &* 0xcc9e_2d51
        h = h << 15 | h >> 17
        h = h &* 0x1b87_3593
        h = h << 13 | h >> 19
        h = h &* 5 &+ 0xe654_6b64
        h ^= 4
        h ^= h >> 16
        h = h &* 0x85eb_ca6b
        h ^= h >> 13
        h = h &* 0xc2b2_ae35
        h ^= h >> 16
        let s = Int32(bitPattern: h)
        return s >= 0 ? s : (s == Int32.min ? 0 : -s)
    }

    /// `KeyGroupRangeAssignment.computeKeyGroupForKeyHash`.
    public static func keyGroup(forHash hash: Int32, maxParallelism: Int) -> Int {
        Int(murmurHash(hash)) % max(1, maxParallelism)
    }

    /// The key group of a decoded key.
    public static func keyGroup(for key: FlinkValue, serializer: FlinkTypeSerializer, maxParallelism: Int) throws -> Int {
        keyGroup(forHash: try javaHashCode(key, serializer), maxParallelism: maxParallelism)
    }

    /// `String.hashCode` over UTF-16 code units.
    public static func stringHash(_ s: String) -> Int32 {
        var h: Int32 = 0
        for u in s.utf16 { h = h &* 31 &+ Int32(u) }
        return h
    }

    static func longHash(_ v: Int64) -> Int32 { Int32(truncatingIfNeeded: v ^ Int64(bitPattern: UInt64(bitPattern: v) >> 32)) }

    /// Java's `hashCode()` of the object a serializer would deserialize the value to.
    public static func javaHashCode(_ v: FlinkValue, _ s: FlinkTypeSerializer, depth: Int = 0) throws -> Int32 {
        guard depth < 32 else { throw FlinkSerializerError(.limit, "key nested too deep to hash") }
        func refuse() -> FlinkSerializerError {
            FlinkSerializerError(.unhashableKey, "key type \(s.name) has a user-defined or identity hashCode; Cairn cannot recompute its key group")
        }
        switch (s, v) {
        case (_, .null): return 0
        case (.string, .string(let x)): return stringHash(x)
        case (.int, .int(let x)): return x
        case (.long, .long(let x)): return longHash(x)
        case (.short, .short(let x)): return Int32(x)
        case (.byte, .byte(let x)): return Int32(x)
        case (.boolean, .boolean(let b)): return b ? 1231 : 1237
        case (.char, .char(let u)): return Int32(u)
        case (.double, .double(let x)): return longHash(Int64(bitPattern: x.isNaN ? 0x7FF8_0000_0000_0000 : x.bitPattern))
        case (.float, .float(let x)): return Int32(bitPattern: x.isNaN ? 0x7FC0_0000 : x.bitPattern)
        case (.date, .long(let ms)): return longHash(ms)
        case (.bigInteger, .decimal(let d)):
            guard let h = bigIntegerHash(d) else { throw refuse() }
            return h
        case (.bigDecimal, .decimal(let d)):
            // BigDecimal.hashCode = 31 * unscaledValue().hashCode() + scale
            guard let (u, scale) = FlinkBigDecimal.unscaled(d), let h = bigIntegerHash(u) else { throw refuse() }
            return h &* 31 &+ Int32(truncatingIfNeeded: scale)
        case (.tuple(_, let fields), .tuple(let values)):
            guard fields.count == values.count else { throw refuse() }
            guard let first = values.first else { return 0 }
            var h = try javaHashCode(first, fields[0], depth: depth + 1)
            for (f, x) in zip(fields.dropFirst(), values.dropFirst()) { h = h &* 31 &+ (try javaHashCode(x, f, depth: depth + 1)) }
            return h
        case (.row(_, let fields), .row(let kind, let values)):
            // RowUtils.deepHashCodeRow: kind byte, then deepHashCode of the field array; each leaf adds 31 + hashCode.
            var arr: Int32 = 1
            for (f, x) in zip(fields, values) { arr = arr &* 31 &+ (try deepHash(x, f, depth: depth + 1)) }
            return Int32(kind.rawValue) &* 31 &+ arr
        case (.rowData, .row):
            let bytes = try FlinkValueEncoder.encode(v, as: s)
            return binaryRowHash(Array(bytes.dropFirst(4)))
        case (.bytes, _), (.primitiveArray, _), (.stringArray, _), (.genericArray, _):
            // Java arrays hash by identity.
            throw refuse()
        case (.nullable(_, let inner), _): return try javaHashCode(v, inner, depth: depth + 1)
        default: throw refuse()
        }
    }

    /// `BigInteger.hashCode`: over the magnitude's big-endian 32-bit words, `h = 31·h + word`, times the sign.
    static func bigIntegerHash(_ decimal: String) -> Int32? {
        guard let bytes = FlinkBigDecimal.twosComplement(decimal: decimal.hasPrefix("-") ? String(decimal.dropFirst()) : decimal) else { return nil }
        var mag = Array(bytes.drop { $0 == 0 })
        if mag.isEmpty { return 0 }
        mag = [UInt8](repeating: 0, count: (4 - mag.count % 4) % 4) + mag
        var h: Int32 = 0
        for i in stride(from: 0, to: mag.count, by: 4) {
            let word = UInt32(mag[i]) << 24 | UInt32(mag[i + 1]) << 16 | UInt32(mag[i + 2]) << 8 | UInt32(mag[i + 3])
            h = h &* 31 &+ Int32(bitPattern: word)
        }
        return decimal.hasPrefix("-") ? 0 &- h : h
    }

    /// A Row field's contribution: `Arrays.deepHashCode(new Object[]{o})`, with RowUtils' own rules for nested
    /// Lists and Maps.
    static func deepHash(_ v: FlinkValue, _ s: FlinkTypeSerializer, depth: Int) throws -> Int32 {
        switch (s, v) {
        case (_, .null): return 0
        case (.list(let e), .list(let items)):
            var h: Int32 = 1
            for x in items { h = h &* 31 &+ (try deepHash(x, e, depth: depth + 1)) }
            return h
        case (.map(let k, let vs), .map(let entries)):
            var h: Int32 = 1
            for e in entries { h = h &+ ((try deepHash(e.key, k, depth: depth + 1)) ^ (try deepHash(e.value, vs, depth: depth + 1))) }
            return h
        case (.bytes, .bytes(let b)):
            var h: Int32 = 1
            for x in b { h = h &* 31 &+ Int32(Int8(bitPattern: x)) }
            return 31 &+ h
        default:
            return 31 &+ (try javaHashCode(v, s, depth: depth + 1))
        }
    }

    /// `BinaryRowData.hashCode`: murmur3 x86_32, seed 42, over the row's little-endian words.
    public static func binaryRowHash(_ rowBytes: [UInt8]) -> Int32 {
        Int32(bitPattern: Murmur3.hash32(rowBytes, seed: 42))
    }
}
