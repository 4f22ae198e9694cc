import CairnCore
import CairnModel

/// One keyed-state entry, as ranges into a decoded block so scans do not copy.
public struct KeyedEntry: Sendable {
    /// The decoded block the ranges point into.
    public let block: [UInt8]
    public let key: Range<Int>
    public let namespace: Range<Int>?
    public let userKey: Range<Int>?
    public let value: Range<Int>
    /// Last access time in milliseconds since the epoch, if the state has TTL.
    public let ttl: Int64?
    /// Bytes the entry occupies in the decoded block.
    public let encodedLength: Int
    /// A delta's mark that the key was removed since the base (format spec §13.2); it has no value and no TTL.
    public var isTombstone: Bool = false
    /// A delta's mark, first in a key-group segment, that the base's entries of the key group are dropped: the
    /// segment then holds the key group whole (format spec §13.2). It has no key.
    public var isReset: Bool = false

    public var keyBytes: ArraySlice<UInt8> { block[key] }
    public var namespaceBytes: ArraySlice<UInt8>? { namespace.map { block[$0] } }
    public var userKeyBytes: ArraySlice<UInt8>? { userKey.map { block[$0] } }
    public var valueBytes: ArraySlice<UInt8> { block[value] }

    /// Orders entries by (key, namespace, userKey), absent parts as empty (format spec §5.1).
    public func precedes(_ other: KeyedEntry) -> Bool {
        let pairs: [(ArraySlice<UInt8>, ArraySlice<UInt8>)] = [
            (keyBytes, other.keyBytes),
            (namespaceBytes ?? [], other.namespaceBytes ?? []),
            (userKeyBytes ?? [], other.userKeyBytes ?? []),
        ]
        for (a, b) in pairs where !a.elementsEqual(b) { return a.lexicographicallyPrecedes(b) }
        return false
    }

    /// The same position in the (key, namespace, userKey) order.
    public func samePosition(as other: KeyedEntry) -> Bool {
        keyBytes.elementsEqual(other.keyBytes) && (namespaceBytes ?? []).elementsEqual(other.namespaceBytes ?? [])
            && (userKeyBytes ?? []).elementsEqual(other.userKeyBytes ?? [])
    }

    /// Decodes every entry of a KEYED_ENTRIES block; `tombstones` allows flag bit 3, which only deltas may set.
    public static func decodeAll(_ block: [UInt8], tombstones: Bool = false) throws(DecodeError) -> [KeyedEntry] {
        var r = ByteReader(block)
        var out: [KeyedEntry] = []
        let allowed: UInt8 = tombstones ? 0x1F : 0x07
        while !r.isAtEnd {
            let start = r.position
            let flags = try r.readU8("entry flags")
            guard flags & ~allowed == 0 else {
                throw DecodeError(.unknownFlags, "entry flags 0x\(String(flags, radix: 16)) set unknown bits", at: start)
            }
            if flags & 0x10 != 0 {
                guard flags == 0x10 else { throw DecodeError(.invalidValue, "a reset mark (flag bit 4) has no other flag", at: start) }
                let here = r.position..<r.position
                out.append(KeyedEntry(block: block, key: here, namespace: nil, userKey: nil, value: here, ttl: nil, encodedLength: 1, isReset: true))
                continue
            }
            let tombstone = flags & 8 != 0
            guard !tombstone || flags & 1 == 0 else {
                throw DecodeError(.invalidValue, "a tombstone (flag bit 3) must not carry a TTL (flag bit 0)", at: start)
            }
            let key = try r.readBytesRange("key")
            let ns = flags & 2 != 0 ? try r.readBytesRange("namespace") : nil
            let uk = flags & 4 != 0 ? try r.readBytesRange("user key") : nil
            let value = tombstone ? r.position..<r.position : try r.readBytesRange("value")
            let ttl = flags & 1 != 0 ? try r.readI64("ttl timestamp") : nil
            out.append(KeyedEntry(block: block, key: key, namespace: ns, userKey: uk, value: value, ttl: ttl, encodedLength: r.position - start,
                                  isTombstone: tombstone))
        }
        return out
    }
}

/// Decoders for the other block contents (format spec §5).
public enum BlockContent {
    /// Elements of an OPERATOR_ELEMENTS block.
    public static func elements(_ block: [UInt8]) throws(DecodeError) -> [[UInt8]] {
        var r = ByteReader(block)
        var out: [[UInt8]] = []
        while !r.isAtEnd { out.append(try r.readBytes("element")) }
        return out
    }

    /// Entries of a BROADCAST_ENTRIES block.
    public static func broadcastEntries(_ block: [UInt8]) throws(DecodeError) -> [(key: [UInt8], value: [UInt8])] {
        var r = ByteReader(block)
        var out: [(key: [UInt8], value: [UInt8])] = []
        while !r.isAtEnd {
            let at = r.position
            let k = try r.readBytes("broadcast key")
            if let p = out.last, !p.key.lexicographicallyPrecedes(k) {
                throw DecodeError(.outOfOrder, "broadcast keys are not strictly ascending", at: at)
            }
            out.append((k, try r.readBytes("broadcast value")))
        }
        return out
    }

    /// Buffers of an IN_FLIGHT_BUFFERS block.
    public static func buffers(_ block: [UInt8]) throws(DecodeError) -> [(sequence: UInt64, data: [UInt8])] {
        var r = ByteReader(block)
        var out: [(sequence: UInt64, data: [UInt8])] = []
        while !r.isAtEnd {
            let at = r.position
            let seq = try r.readVarint("sequence number")
            if let p = out.last, p.sequence >= seq {
                throw DecodeError(.outOfOrder, "buffer sequence numbers are not strictly ascending", at: at)
            }
            out.append((seq, try r.readBytes("buffer")))
        }
        return out
    }
}
