import CairnCore

/// Flink SQL's `BinaryRowData`, `BinaryArrayData` and `BinaryMapData` (§2.15): little-endian 8-byte slots, null bits
/// LSB-first (row bit 0–7 = header with the RowKind byte), variable data of ≤ 7 bytes inline in the slot (length in
/// the top byte with bit 7 set), longer data at `(offset << 32) | length`, word-aligned.
enum FlinkBinaryRowCodec {
    static func le(_ b: ArraySlice<UInt8>, _ at: Int, _ n: Int) throws -> UInt64 {
        guard at >= b.startIndex, at + n <= b.endIndex else {
            throw FlinkSerializerError(.malformed, "binary row data: \(n) bytes at \(at - b.startIndex) beyond its \(b.count) bytes", at: at - b.startIndex)
        }
        var v: UInt64 = 0
        for i in 0..<n { v |= UInt64(b[at + i]) << UInt64(8 * i) }
        return v
    }

    static func nullBytes(_ arity: Int) -> Int { ((arity + 63 + 8) / 64) * 8 }

    /// Decodes a whole row with the given field types.
    static func decodeRow(_ bytes: [UInt8], types: [FlinkLogicalType], depth: Int) throws -> FlinkValue {
        try decodeRow(bytes[...], types: types, depth: depth)
    }

    static func decodeRow(_ b: ArraySlice<UInt8>, types: [FlinkLogicalType], depth: Int) throws -> FlinkValue {
        guard depth <= FlinkValueDecoder.maxDepth else { throw FlinkSerializerError(.limit, "binary rows nested too deep") }
        let base = b.startIndex
        let nb = nullBytes(types.count)
        guard b.count >= nb + 8 * types.count else {
            throw FlinkSerializerError(.malformed, "binary row of \(types.count) fields needs \(nb + 8 * types.count) bytes, has \(b.count)", at: 0)
        }
        let kind = FlinkRowKind(rawValue: b[base]) ?? .insert
        var fields: [FlinkValue] = []
        for (i, t) in types.enumerated() {
            let bit = i + 8
            if b[base + bit >> 3] & (1 << UInt8(bit & 7)) != 0 { fields.append(.null); continue }
            fields.append(try field(b, slot: base + nb + 8 * i, type: t, depth: depth))
        }
        return .row(kind: kind, fields: fields)
    }

    /// The bytes of variable-length data whose slot is at `slot` (offsets relative to `b.startIndex`).
    static func variable(_ b: ArraySlice<UInt8>, slot: Int) throws -> ArraySlice<UInt8> {
        let v = try le(b, slot, 8)
        if v & (1 << 63) == 0 {
            let off = Int(v >> 32), len = Int(v & 0xFFFF_FFFF)
            guard off >= 0, len >= 0, off + len <= b.count else {
                throw FlinkSerializerError(.malformed, "variable data at \(off)+\(len) beyond the \(b.count) bytes of its row", at: slot - b.startIndex)
            }
            return b[(b.startIndex + off)..<(b.startIndex + off + len)]
        }
        let len = Int((v >> 56) & 0x7F)
        guard len <= 7 else { throw FlinkSerializerError(.malformed, "inline variable data of \(len) bytes", at: slot - b.startIndex) }
        return b[slot..<(slot + len)]
    }

    /// One field or element of type `t` stored at `slot` (8 bytes for rows; the element width for arrays).
    static func field(_ b: ArraySlice<UInt8>, slot: Int, type t: FlinkLogicalType, depth: Int) throws -> FlinkValue {
        switch t.root {
        case .boolean: return .boolean(try le(b, slot, 1) != 0)
        case .tinyint: return .byte(Int8(truncatingIfNeeded: try le(b, slot, 1)))
        case .smallint: return .short(Int16(truncatingIfNeeded: try le(b, slot, 2)))
        case .integer, .date, .time: return .int(Int32(truncatingIfNeeded: try le(b, slot, 4)))
        case .bigint: return .long(Int64(bitPattern: try le(b, slot, 8)))
        case .float: return .float(Float(bitPattern: UInt32(truncatingIfNeeded: try le(b, slot, 4))))
        case .double: return .double(Double(bitPattern: try le(b, slot, 8)))
        case .decimal:
            let scale = t.scale ?? 0
            if (t.precision ?? 10) <= 18 {
                return .decimal(FlinkBigDecimal.plainString(unscaled: String(Int64(bitPattern: try le(b, slot, 8))), scale: scale))
            }
            return .decimal(FlinkBigDecimal.plainString(unscaled: FlinkBigDecimal.decimalString(twosComplement: Array(try variable(b, slot: slot))), scale: scale))
        case .timestamp, .timestampLTZ:
            if (t.precision ?? 6) <= 3 { return .timestamp(millis: Int64(bitPattern: try le(b, slot, 8)), nanos: 0) }
            let v = try le(b, slot, 8)
            let off = Int(v >> 32)
            let millis = Int64(bitPattern: try le(b, b.startIndex + off, 8))
            return .timestamp(millis: millis, nanos: Int32(truncatingIfNeeded: v & 0xFFFF_FFFF))
        case .char, .varchar: return .string(String(decoding: try variable(b, slot: slot), as: UTF8.self))
        case .binary, .varbinary: return .bytes(Array(try variable(b, slot: slot)))
        case .row: return try decodeRow(try variable(b, slot: slot), types: t.children, depth: depth + 1)
        case .array:
            guard let e = t.children.first else { break }
            return try decodeArray(try variable(b, slot: slot), element: e, depth: depth + 1)
        case .map, .multiset:
            let k = t.children.first ?? FlinkLogicalType(root: .unknown)
            let v = t.root == .multiset ? FlinkLogicalType(root: .integer) : (t.children.count > 1 ? t.children[1] : FlinkLogicalType(root: .unknown))
            return try decodeMap(try variable(b, slot: slot), key: k, value: v, depth: depth + 1)
        default: break
        }
        return .opaque(className: t.className, bytes: Array(try variable(b, slot: slot)))
    }

    /// Element width in a `BinaryArrayData` (`calculateFixLengthPartSize`).
    static func elementSize(_ t: FlinkLogicalType) -> Int {
        switch t.root {
        case .boolean, .tinyint: 1
        case .smallint: 2
        case .integer, .float, .date, .time: 4
        default: 8
        }
    }

    static func arrayHeader(_ n: Int) -> Int { 4 + ((n + 31) / 32) * 4 }

    static func decodeArray(_ b: ArraySlice<UInt8>, element: FlinkLogicalType, depth: Int) throws -> FlinkValue {
        let n = Int(Int32(truncatingIfNeeded: try le(b, b.startIndex, 4)))
        let size = elementSize(element)
        guard n >= 0, arrayHeader(n) + n * size <= b.count else {
            throw FlinkSerializerError(.malformed, "binary array of \(n) elements in \(b.count) bytes", at: 0)
        }
        var items: [FlinkValue] = []
        let base = b.startIndex, header = arrayHeader(n)
        for i in 0..<n {
            if b[base + 4 + i >> 3] & (1 << UInt8(i & 7)) != 0 { items.append(.null); continue }
            items.append(try field(b, slot: base + header + i * size, type: element, depth: depth))
        }
        return .array(items)
    }

    static func decodeMap(_ b: ArraySlice<UInt8>, key: FlinkLogicalType, value: FlinkLogicalType, depth: Int) throws -> FlinkValue {
        let keyBytes = Int(Int32(truncatingIfNeeded: try le(b, b.startIndex, 4)))
        guard keyBytes >= 0, 4 + keyBytes <= b.count else { throw FlinkSerializerError(.malformed, "binary map key array of \(keyBytes) bytes in \(b.count)", at: 0) }
        let keysSlice = b[(b.startIndex + 4)..<(b.startIndex + 4 + keyBytes)]
        let valuesSlice = b[(b.startIndex + 4 + keyBytes)...]
        guard case .array(let keys) = try decodeArray(keysSlice, element: key, depth: depth),
              case .array(let values) = try decodeArray(valuesSlice, element: value, depth: depth), keys.count == values.count else {
            throw FlinkSerializerError(.malformed, "binary map with different key and value counts", at: 0)
        }
        return .map(zip(keys, values).map { FlinkMapEntry(key: $0, value: $1) })
    }

    // MARK: writing, as BinaryRowWriter / BinaryArrayWriter do

    static func round8(_ n: Int) -> Int { (n + 7) & ~7 }

    static func putLE(_ v: UInt64, _ n: Int, into b: inout [UInt8], at: Int) {
        for i in 0..<n { b[at + i] = UInt8(truncatingIfNeeded: v >> UInt64(8 * i)) }
    }

    static func encodeRow(_ v: FlinkValue, types: [FlinkLogicalType], depth: Int) throws -> [UInt8] {
        guard depth <= FlinkValueDecoder.maxDepth else { throw FlinkSerializerError(.limit, "binary rows nested too deep") }
        guard case .row(let kind, let fields) = v, fields.count == types.count else {
            throw FlinkSerializerError(.invalidInput, "a RowData value must be a row of \(types.count) fields")
        }
        let nb = nullBytes(types.count)
        var b = [UInt8](repeating: 0, count: nb + 8 * types.count)
        b[0] = kind.rawValue
        for (i, (f, t)) in zip(fields, types).enumerated() {
            if f == .null {
                let bit = i + 8
                b[bit >> 3] |= 1 << UInt8(bit & 7)
                continue
            }
            try writeField(f, type: t, slot: nb + 8 * i, slotSize: 8, into: &b, depth: depth)
        }
        return b
    }

    /// Writes variable data: inline when ≤ 7 bytes (only where the slot is 8 bytes), else appended word-aligned.
    static func writeVariable(_ data: [UInt8], slot: Int, inline: Bool, into b: inout [UInt8]) {
        if inline && data.count <= 7 {
            for (i, x) in data.enumerated() { b[slot + i] = x }
            b[slot + 7] = 0x80 | UInt8(data.count)
            return
        }
        let offset = b.count
        b += data
        b += [UInt8](repeating: 0, count: round8(data.count) - data.count)
        putLE(UInt64(offset) << 32 | UInt64(data.count), 8, into: &b, at: slot)
    }

    static func writeField(_ v: FlinkValue, type t: FlinkLogicalType, slot: Int, slotSize: Int, into b: inout [UInt8], depth: Int) throws {
        func bad() -> FlinkSerializerError { FlinkSerializerError(.invalidInput, "value \(v) does not fit SQL type \(t)") }
        switch (t.root, v) {
        case (.boolean, .boolean(let x)): b[slot] = x ? 1 : 0
        case (.tinyint, .byte(let x)): b[slot] = UInt8(bitPattern: x)
        case (.smallint, .short(let x)): putLE(UInt64(UInt16(bitPattern: x)), 2, into: &b, at: slot)
        case (.integer, .int(let x)), (.date, .int(let x)), (.time, .int(let x)): putLE(UInt64(UInt32(bitPattern: x)), 4, into: &b, at: slot)
        case (.bigint, .long(let x)): putLE(UInt64(bitPattern: x), 8, into: &b, at: slot)
        case (.float, .float(let x)): putLE(UInt64(x.bitPattern), 4, into: &b, at: slot)
        case (.double, .double(let x)): putLE(x.bitPattern, 8, into: &b, at: slot)
        case (.decimal, .decimal(let s)):
            guard let (u, sc) = FlinkBigDecimal.unscaled(s), sc == (t.scale ?? 0) else { throw bad() }
            if (t.precision ?? 10) <= 18 {
                guard let l = Int64(u) else { throw bad() }
                putLE(UInt64(bitPattern: l), 8, into: &b, at: slot)
            } else {
                guard let bytes = FlinkBigDecimal.twosComplement(decimal: u), bytes.count <= 16 else { throw bad() }
                let offset = b.count
                b += bytes + [UInt8](repeating: 0, count: 16 - bytes.count)
                putLE(UInt64(offset) << 32 | UInt64(bytes.count), 8, into: &b, at: slot)
            }
        case (.timestamp, .timestamp(let ms, let ns)), (.timestampLTZ, .timestamp(let ms, let ns)):
            if (t.precision ?? 6) <= 3 {
                putLE(UInt64(bitPattern: ms), 8, into: &b, at: slot)
            } else {
                let offset = b.count
                b += [UInt8](repeating: 0, count: 8)
                putLE(UInt64(bitPattern: ms), 8, into: &b, at: offset)
                putLE(UInt64(offset) << 32 | UInt64(UInt32(bitPattern: ns)), 8, into: &b, at: slot)
            }
        case (.char, .string(let s)), (.varchar, .string(let s)): writeVariable(Array(s.utf8), slot: slot, inline: slotSize == 8, into: &b)
        case (.binary, .bytes(let x)), (.varbinary, .bytes(let x)): writeVariable(x, slot: slot, inline: slotSize == 8, into: &b)
        case (.row, .row):
            writeVariable(try encodeRow(v, types: t.children, depth: depth + 1), slot: slot, inline: false, into: &b)
        case (.array, .array(let items)):
            guard let e = t.children.first else { throw bad() }
            writeVariable(try encodeArray(items, element: e, depth: depth + 1), slot: slot, inline: false, into: &b)
        case (.map, .map(let entries)), (.multiset, .map(let entries)):
            let k = t.children.first ?? FlinkLogicalType(root: .unknown)
            let vt = t.root == .multiset ? FlinkLogicalType(root: .integer) : (t.children.count > 1 ? t.children[1] : FlinkLogicalType(root: .unknown))
            writeVariable(try encodeMap(entries, key: k, value: vt, depth: depth + 1), slot: slot, inline: false, into: &b)
        case (_, .opaque(_, let x)): writeVariable(x, slot: slot, inline: slotSize == 8, into: &b)
        default: throw bad()
        }
    }

    static func encodeArray(_ items: [FlinkValue], element: FlinkLogicalType, depth: Int) throws -> [UInt8] {
        let size = elementSize(element), header = arrayHeader(items.count)
        var b = [UInt8](repeating: 0, count: round8(header + size * items.count))
        putLE(UInt64(items.count), 4, into: &b, at: 0)
        for (i, x) in items.enumerated() {
            if x == .null {
                b[4 + i >> 3] |= 1 << UInt8(i & 7)
                continue
            }
            try writeField(x, type: element, slot: header + i * size, slotSize: size, into: &b, depth: depth)
        }
        return b
    }

    static func encodeMap(_ entries: [FlinkMapEntry], key: FlinkLogicalType, value: FlinkLogicalType, depth: Int) throws -> [UInt8] {
        let keys = try encodeArray(entries.map(\.key), element: key, depth: depth)
        let values = try encodeArray(entries.map(\.value), element: value, depth: depth)
        var b = [UInt8](repeating: 0, count: 4)
        putLE(UInt64(keys.count), 4, into: &b, at: 0)
        return b + keys + values
    }
}
