import CairnCore
import CairnModel

extension FlinkKeyedStateScanner {
    /// Calls `body` with (state id, key, value) for every entry of one key group in the full-snapshot format. The key
    /// is as written — key-group prefix, key, namespace (and user key for RocksDB map state) — with Flink's
    /// "last entry of this state" flag (bit 7 of its first byte) cleared.
    static func forEachEntry(
        keyGroupBytes bytes: [UInt8], compressed: Bool, keyGroup: Int, at offset: Int64,
        _ body: (Int, [UInt8], [UInt8]) throws -> Void
    ) throws {
        guard !bytes.isEmpty else { return }
        var source = try KeyGroupSource(bytes, from: 0, to: bytes.count, compressed: compressed)
        var state = Int(try source.u16())
        while true {
            let klen = Int(try source.i32())
            guard klen >= 1, klen <= 1 << 28 else { throw DecodeError(.invalidValue, "key length \(klen) in key group \(keyGroup)", at: Int(offset)) }
            var key = try source.read(klen)
            let vlen = Int(try source.i32())
            guard vlen >= 0, vlen <= 1 << 30 else { throw DecodeError(.invalidValue, "value length \(vlen) in key group \(keyGroup)", at: Int(offset)) }
            let value = try source.read(vlen)
            let last = key[0] & 0x80 != 0
            key[0] &= 0x7F
            try body(state, key, value)
            if last {
                let next = try source.u16()
                if next == 0xFFFF { break }
                state = Int(next)
            }
        }
    }
}
