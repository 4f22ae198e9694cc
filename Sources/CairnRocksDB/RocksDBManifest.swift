import CairnCore

/// Replays a RocksDB MANIFEST (a log of VersionEdits) into the live SST files per column family, which is how
/// Cairn attributes the SST bytes of a RocksDB snapshot to Flink state names (each state is a column family named
/// after it). Only what that needs is decoded; an edit Cairn cannot skip stops the replay with its offset.
public struct RocksDBManifest: Sendable {
    /// Column family id → name (id 0 is `default`).
    public var columnFamilies: [UInt32: String] = [0: "default"]
    /// Live file number → (column family id, size in bytes).
    public var liveFiles: [UInt64: (columnFamily: UInt32, size: UInt64)] = [:]

    public init(_ bytes: [UInt8]) throws(DecodeError) {
        for record in try Self.records(bytes) { try apply(record) }
    }

    /// The logical records of a RocksDB log file (32 KiB blocks, fragments FULL/FIRST/MIDDLE/LAST, also in their
    /// recyclable forms with an 11-byte header), each checked against its masked CRC32C.
    static func records(_ b: [UInt8]) throws(DecodeError) -> [(offset: Int, data: [UInt8])] {
        let blockSize = 32_768
        var out: [(offset: Int, data: [UInt8])] = []
        var pending: [UInt8] = []
        var pendingStart = 0
        var inFragment = false
        var p = 0
        while p < b.count {
            let leftInBlock = blockSize - p % blockSize
            if leftInBlock < 7 { p += leftInBlock; continue }
            guard p + 7 <= b.count else { break }
            let type = b[p + 6]
            if type == 0 { p += leftInBlock; continue }  // zero padding or preallocated space
            let recyclable = type >= 5 && type <= 8
            let header = recyclable ? 11 : 7
            guard leftInBlock >= header, p + header <= b.count else { break }
            let length = Int(b[p + 4]) | Int(b[p + 5]) << 8
            guard p + header + length <= b.count, header + length <= leftInBlock else {
                throw DecodeError(.truncated, "MANIFEST record of \(length) bytes runs past its block", at: p)
            }
            let stored = UInt32(b[p]) | UInt32(b[p + 1]) << 8 | UInt32(b[p + 2]) << 16 | UInt32(b[p + 3]) << 24
            let crcInput = Array(b[(p + 6)..<(p + header + length)])
            let crc = CRC32C.checksum(crcInput)
            let masked = ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
            guard masked == stored else { throw DecodeError(.checksumMismatch, "MANIFEST record checksum mismatch", at: p) }
            let payload = b[(p + header)..<(p + header + length)]
            switch recyclable ? type - 4 : type {
            case 1:
                out.append((p, Array(payload)))
                inFragment = false
            case 2:
                pending = Array(payload)
                pendingStart = p
                inFragment = true
            case 3:
                guard inFragment else { throw DecodeError(.invalidValue, "MANIFEST fragment without a start", at: p) }
                pending += payload
            case 4:
                guard inFragment else { throw DecodeError(.invalidValue, "MANIFEST fragment without a start", at: p) }
                pending += payload
                out.append((pendingStart, pending))
                inFragment = false
            default:
                // Metadata record types of newer RocksDB (user-defined timestamp sizes and the like).
                break
            }
            p += header + length
        }
        return out
    }

    mutating func apply(_ record: (offset: Int, data: [UInt8])) throws(DecodeError) {
        var r = VarintReader(bytes: record.data, base: record.offset)
        var cf: UInt32 = 0
        var added: [(UInt64, UInt64)] = []
        var deleted: [UInt64] = []
        var addName: String?
        var drop = false
        while !r.atEnd {
            let tagAt = r.position
            let tag = try r.varint32()
            switch tag {
            case 1: _ = try r.slice()
            case 2, 3, 4, 9, 10: _ = try r.varint64()
            case 5: _ = try r.varint32(); _ = try r.slice()
            case 6:
                _ = try r.varint32()
                deleted.append(try r.varint64())
            case 7, 100, 102, 103:
                _ = try r.varint32()  // level
                let number = try r.varint64() & 0x3FFF_FFFF_FFFF_FFFF
                if tag == 102 { _ = try r.varint32() }  // path id
                let size = try r.varint64()
                _ = try r.slice()  // smallest key
                _ = try r.slice()  // largest key
                if tag != 7 { _ = try r.varint64(); _ = try r.varint64() }  // sequence numbers
                if tag == 103 {
                    while true {
                        let custom = try r.varint32()
                        if custom == 1 { break }
                        _ = try r.slice()
                    }
                }
                added.append((number, size))
            case 200: cf = try r.varint32()
            case 201: addName = String(decoding: try r.slice(), as: UTF8.self)
            case 202: drop = true
            case 203, 300: _ = try r.varint32()
            default:
                guard tag & 0x2000 != 0 else {
                    throw DecodeError(.unknownTag, "MANIFEST edit tag \(tag) is not one Cairn can skip", at: tagAt)
                }
                _ = try r.slice()
            }
        }
        if let addName { columnFamilies[cf] = addName }
        if drop { columnFamilies[cf] = nil }
        for n in deleted { liveFiles[n] = nil }
        for (n, size) in added { liveFiles[n] = (cf, size) }
    }
}

/// LevelDB-style varints and length-prefixed slices over one record.
struct VarintReader {
    let bytes: [UInt8]
    let base: Int
    var position = 0

    var atEnd: Bool { position >= bytes.count }

    mutating func varint64() throws(DecodeError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < bytes.count, shift <= 63 else { throw DecodeError(.invalidVarint, "bad varint in MANIFEST", at: base + position) }
            let b = bytes[position]
            position += 1
            result |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return result }
            shift += 7
        }
    }

    mutating func varint32() throws(DecodeError) -> UInt32 {
        let at = position
        let v = try varint64()
        guard v <= UInt64(UInt32.max) else { throw DecodeError(.invalidVarint, "varint32 overflows in MANIFEST", at: base + at) }
        return UInt32(v)
    }

    mutating func slice() throws(DecodeError) -> ArraySlice<UInt8> {
        let at = position
        let n = Int(try varint32())
        guard n <= bytes.count - position else { throw DecodeError(.lengthOutOfBounds, "MANIFEST field of \(n) bytes overruns its record", at: base + at) }
        defer { position += n }
        return bytes[position..<(position + n)]
    }
}
