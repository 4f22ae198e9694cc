import CairnCore
import CairnModel

extension FlinkKeyedStateScanner {
    /// Calls `body` with (state id, key, value) for every entry of one key group in the full-snapshot format. The key
    /// is as written — key-group prefix, key, namespace (and user key for RocksDB map state) — with Flink's
    /// "last entry of this state" flag (bit 7 of its first byte) cleared.
    /// With `only`, entries of other states are skipped without being copied: `body` sees only state `only`.
    static func forEachEntry(
        keyGroupBytes bytes: [UInt8], compressed: Bool, keyGroup: Int, at offset: Int64, only: Int? = nil,
        _ body: (Int, [UInt8], [UInt8]) throws -> Void
    ) throws {
        guard !bytes.isEmpty else { return }
        var source = try KeyGroupSource(bytes, from: 0, to: bytes.count, compressed: compressed)
        var state = Int(try source.u16())
        while true {
            let klen = Int(try source.i32())
            guard klen >= 1, klen <= 1 << 28 else { throw DecodeError(.invalidValue, "key length \(klen) in key group \(keyGroup)", at: Int(offset)) }
            if let only, only != state {
                // Only the flag in the key's first byte matters here.
                let first = try source.read(1)[0]
                try source.skip(klen - 1)
                let vlen = Int(try source.i32())
                guard vlen >= 0, vlen <= 1 << 30 else { throw DecodeError(.invalidValue, "value length \(vlen) in key group \(keyGroup)", at: Int(offset)) }
                try source.skip(vlen)
                if first & 0x80 != 0 {
                    let next = try source.u16()
                    if next == 0xFFFF { break }
                    state = Int(next)
                }
                continue
            }
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
