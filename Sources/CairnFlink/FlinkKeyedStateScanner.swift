import CairnCore
import CairnModel

/// Scans keyed state written in Flink's full-snapshot format (canonical savepoints of every backend, research notes
/// §3.4): per state, entries and bytes, per key group, and the largest entries — without any serializer, because
/// the format delimits itself.
struct FlinkKeyedStateScanner {
    struct StateInfo {
        var name: String
        var kind: StateKind
    }

    struct Result {
        var states: [Int: EntryStatistics] = [:]
        var keyGroups: [Int: [Int: KeyGroupSize]] = [:]
        var largest: [(state: Int, keyGroup: Int, key: [UInt8], size: Int64)] = []
    }

    /// The state names of a keyed backend serialization proxy, in state-id order, found by their STATEMETA records:
    /// `UTF name, int type, int nOptions, …` followed by the option `KEYED_STATE_TYPE` (keyed states) or, for timers,
    /// no options and the serializer key `VALUE_SERIALIZER`. Serializer snapshots carry no length, so the header is
    /// not parsed in order; each record is recognized where it stands. Returns nil unless exactly `count` are found.
    static func stateNames(header: [UInt8]) -> [StateInfo]? {
        if let proxy = try? FlinkKeyedBackendProxy(parsing: header) {
            return proxy.states.map { StateInfo(name: $0.name, kind: $0.kind) }
        }
        return stateRecords(header: header)?.map(\.info)
    }

    /// Like `stateNames`, with the offset where each STATEMETA record starts (its name's length prefix), so the
    /// serializer snapshots that follow a record can be found in its span.
    static func stateRecords(header: [UInt8]) -> [(offset: Int, info: StateInfo)]? {
        guard header.count > 11 else { return nil }
        var found: [(Int, StateInfo)] = []
        let keyedType = Array("KEYED_STATE_TYPE".utf8)
        let valueSerializer = Array("VALUE_SERIALIZER".utf8)
        func utfBefore(_ end: Int) -> (String, Int)? {
            // A writeUTF string ending at `end`: try each length whose prefix matches.
            var n = 1
            while n <= min(end - 2, 512) {
                let start = end - n
                if Int(header[start - 2]) << 8 | Int(header[start - 1]) == n,
                   let s = ModifiedUTF8.decode(header[start..<end]), !s.isEmpty, s.unicodeScalars.allSatisfy({ $0.value >= 0x20 }) {
                    return (s, start - 2)
                }
                n += 1
            }
            return nil
        }
        func int(_ at: Int) -> Int32 {
            Int32(bitPattern: UInt32(header[at]) << 24 | UInt32(header[at + 1]) << 16 | UInt32(header[at + 2]) << 8 | UInt32(header[at + 3]))
        }
        var i = 0
        while i + 18 <= header.count {
            // KV states: [name][int type 0|4][int nOptions ≥ 1][u16 16]"KEYED_STATE_TYPE"[UTF value]
            if header[i] == 0, header[i + 1] == 16, Array(header[(i + 2)..<(i + 18)]) == keyedType, i >= 10 {
                let type = int(i - 8), options = int(i - 4)
                if (type == 0 || type == 4) && options >= 1 && options < 16, let (name, at) = utfBefore(i - 8) {
                    var kind = StateKind.value
                    var r = JavaDataInput(header, from: i + 18)
                    if let v = try? r.readUTF("state type") {
                        kind = ["VALUE": .value, "LIST": .list, "MAP": .map, "REDUCING": .reducing, "AGGREGATING": .aggregating][v] ?? .value
                    }
                    found.append((at, StateInfo(name: name, kind: kind)))
                }
            }
            // Timers: [name][int 3][int 0][int 1][u16 16]"VALUE_SERIALIZER"
            if header[i] == 0, header[i + 1] == 16, Array(header[(i + 2)..<(i + 18)]) == valueSerializer, i >= 14,
               int(i - 12) == 3, int(i - 8) == 0, int(i - 4) == 1, let (name, at) = utfBefore(i - 12) {
                found.append((at, StateInfo(name: name, kind: .timers)))
            }
            i += 1
        }
        let states = found.sorted { $0.0 < $1.0 }.map { (offset: $0.0, info: $0.1) }
        // `short nStates` stands right before the first record.
        guard let first = found.map(\.0).min(), first >= 2 else { return nil }
        let count = Int(header[first - 2]) << 8 | Int(header[first - 1])
        return count == states.count ? states : nil
    }

    /// Scans one `KeyGroupsSavepointStateHandle`'s stream of `length` bytes, fetching one key group at a time with
    /// `fetch(from, to)`, so memory is bounded by the largest key group.
    static func scan(
        length: Int64, compressed: Bool, range: KeyGroupRange, offsets: [Int64], topLimit: Int, into result: inout Result,
        fetch: (Int64, Int64) throws -> [UInt8]
    ) throws {
        let starts = offsets.enumerated().filter { $0.element > 0 }
        for (n, (i, offset)) in starts.enumerated() {
            let keyGroup = range.start + i
            let end = n + 1 < starts.count ? starts[n + 1].element : length
            guard offset < length, offset <= end else {
                throw DecodeError(.lengthOutOfBounds, "key group \(keyGroup) starts at \(offset), past the stream's \(length) bytes", at: Int(offset))
            }
            guard end - offset <= 1 << 30 else {
                throw DecodeError(.lengthOutOfBounds, "key group \(keyGroup) spans \(end - offset) bytes; Cairn scans key groups up to 1 GiB", at: Int(offset))
            }
            let bytes = try fetch(offset, end)
            var source = try KeyGroupSource(bytes, from: 0, to: bytes.count, compressed: compressed)
            var state = Int(try source.u16())
            while true {
                let klen = Int(try source.i32())
                guard klen >= 1, klen <= 1 << 28 else { throw DecodeError(.invalidValue, "key length \(klen) in key group \(keyGroup)", at: Int(offset)) }
                let key = try source.read(klen)
                let vlen = Int(try source.i32())
                guard vlen >= 0, vlen <= 1 << 30 else { throw DecodeError(.invalidValue, "value length \(vlen) in key group \(keyGroup)", at: Int(offset)) }
                try source.skip(vlen)
                let size = Int64(8 + klen + vlen)
                var stats = result.states[state] ?? EntryStatistics()
                stats.entries += 1
                stats.rawSize += size
                stats.keyBytes += Int64(klen)
                stats.valueBytes += Int64(vlen)
                stats.largestEntry = max(stats.largestEntry, size)
                result.states[state] = stats
                var kg = result.keyGroups[state, default: [:]][keyGroup] ?? KeyGroupSize(keyGroup: keyGroup, size: 0, entries: 0)
                kg.size += size
                kg.entries += 1
                result.keyGroups[state, default: [:]][keyGroup] = kg
                if topLimit > 0 && (result.largest.count < topLimit || size > result.largest.last!.size) {
                    var k = key
                    k[0] &= 0x7F
                    result.largest.append((state, keyGroup, k, size))
                    result.largest.sort { $0.size > $1.size }
                    if result.largest.count > topLimit { result.largest.removeLast() }
                }
                if key[0] & 0x80 != 0 {
                    let next = try source.u16()
                    if next == 0xFFFF { break }
                    state = Int(next)
                }
            }
        }
    }

    /// The bytes of one key group, plain or Snappy-framed.
    struct KeyGroupSource {
        var plain: JavaDataInput?
        var snappy: SnappyFrameDecoder?

        init(_ bytes: [UInt8], from: Int, to: Int, compressed: Bool) throws(DecodeError) {
            if compressed {
                snappy = try SnappyFrameDecoder(Array(bytes[from..<to]), at: 0)
            } else {
                plain = JavaDataInput(bytes, from: from, to: to)
            }
        }

        mutating func read(_ n: Int) throws(DecodeError) -> [UInt8] {
            if snappy != nil { return try snappy!.read(n) }
            return try plain!.readBytes(n, "entry bytes")
        }

        mutating func skip(_ n: Int) throws(DecodeError) {
            if snappy != nil { try snappy!.skip(n) } else { try plain!.skip(n, "value") }
        }

        mutating func u16() throws(DecodeError) -> UInt16 {
            if plain != nil { return try plain!.readU16("state id") }
            let b = try read(2)
            return UInt16(b[0]) << 8 | UInt16(b[1])
        }

        mutating func i32() throws(DecodeError) -> Int32 {
            if plain != nil { return try plain!.readI32("length") }
            let b = try read(4)
            return Int32(bitPattern: UInt32(b[0]) << 24 | UInt32(b[1]) << 16 | UInt32(b[2]) << 8 | UInt32(b[3]))
        }
    }
}
