import CairnCore

extension TypedValue {
    /// Checks that the bytes at `r` hold one value of `schema` (every rule `decode` enforces) without building it:
    /// deep validation walks every value of a snapshot, and allocating a tree per value would dominate its cost.
    public static func validate(_ schema: Schema, from r: inout ByteReader, depth: Int = 0) throws(DecodeError) {
        guard depth < Schema.maxDepth else {
            throw DecodeError(.invalidValue, "value nests deeper than \(Schema.maxDepth)", at: r.position)
        }
        switch schema {
        case .boolean: _ = try r.readBool("boolean")
        case .int32:
            let at = r.position
            let v = try r.readSVarint("int32")
            guard v >= Int64(Int32.min) && v <= Int64(Int32.max) else {
                throw DecodeError(.invalidValue, "int32 value \(v) out of range", at: at)
            }
        case .int64: _ = try r.readSVarint("int64")
        case .float32: try r.skip(4, "float32")
        case .float64: try r.skip(8, "float64")
        case .string:
            let at = r.position
            let range = try r.readBytesRange("string value")
            guard UTF8Validation.isValid(r.buffer, range) else {
                throw DecodeError(.invalidUTF8, "string value is not valid UTF-8", at: at)
            }
        case .bytes: _ = try r.readBytesRange("bytes value")
        case .optional(let inner):
            let at = r.position
            switch try r.readU8("optional marker") {
            case 0: break
            case 1: try validate(inner, from: &r, depth: depth + 1)
            case let m: throw DecodeError(.invalidValue, "optional marker must be 0 or 1, found \(m)", at: at)
            }
        case .list(let item):
            let n = try r.readCount("list length", max: r.remaining)
            for _ in 0..<n { try validate(item, from: &r, depth: depth + 1) }
        case .map(let ks, let vs):
            let n = try r.readCount("map size", max: r.remaining)
            var previous: Range<Int>? = nil
            for _ in 0..<n {
                let keyStart = r.position
                try validate(ks, from: &r, depth: depth + 1)
                let key = keyStart..<r.position
                if let p = previous, !r.buffer[p].lexicographicallyPrecedes(r.buffer[key]) {
                    throw DecodeError(.outOfOrder, "map keys are not strictly ascending", at: keyStart)
                }
                previous = key
                try validate(vs, from: &r, depth: depth + 1)
            }
        case .record(_, let fields):
            for f in fields { try validate(f.type, from: &r, depth: depth + 1) }
        }
    }
}

/// UTF-8 well-formedness (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF) without allocating.
enum UTF8Validation {
    static func isValid(_ bytes: [UInt8], _ range: Range<Int>) -> Bool {
        var i = range.lowerBound
        let end = range.upperBound
        while i < end {
            let b0 = bytes[i]
            if b0 < 0x80 { i += 1; continue }
            let need: Int
            var lower: UInt8 = 0x80, upper: UInt8 = 0xBF
            switch b0 {
            case 0xC2...0xDF: need = 1
            case 0xE0: need = 2; lower = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: need = 2
            case 0xED: need = 2; upper = 0x9F
            case 0xF0: need = 3; lower = 0x90
            case 0xF1...0xF3: need = 3
            case 0xF4: need = 3; upper = 0x8F
            default: return false
            }
            guard end - i > need else { return false }
            let b1 = bytes[i + 1]
            guard b1 >= lower && b1 <= upper else { return false }
            for k in 2..<(need + 1) where bytes[i + k] & 0xC0 != 0x80 { return false }
            i += need + 1
        }
        return true
    }
}
