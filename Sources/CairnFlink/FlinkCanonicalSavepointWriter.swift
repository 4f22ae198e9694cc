import CairnCore
import CairnModel

/// Writes one subtask's keyed state in Flink's canonical full-snapshot format (`FullSnapshotAsyncWriter`, §3.2 of
/// the state-values notes), the file a `KeyGroupsSavepointStateHandle` (tag 7) points at:
///
/// - the keyed backend serialization proxy (version 6, compression off),
/// - per non-empty key group, at the offset the handle records: `short kvStateId`, then pairs `int klen, key,
///   int vlen, value`; the last pair of a state has bit 0x80 set in `key[0]` and is followed by the next state's
///   `short` id, or by `short 0xFFFF` at the end of the key group.
///
/// Empty key groups keep offset 0, which Flink's restore (`FullSnapshotRestoreOperation`) skips. Entries arrive in
/// (key group, state id) order; within one state of one key group any order restores. Memory is one entry.
public final class FlinkCanonicalSavepointWriter {
    /// The range of key groups this subtask owns.
    public let range: KeyGroupRange
    /// Key-group prefix bytes of the keys (1 up to max parallelism 128, else 2).
    public let prefixBytes: Int
    private let sink: any ByteSink
    private var position: Int64 = 0
    private var offsets: [Int64]
    private var buffer = ByteWriter(capacity: 1 << 20)
    private var pending: (keyGroup: Int, state: Int, key: [UInt8], value: [UInt8])?
    /// Entries written so far.
    public private(set) var entryCount = 0
    private let stateCount: Int

    /// Starts a file with `proxy` (from `FlinkKeyedProxyImage.serialized`) for `stateCount` states.
    public init(sink: any ByteSink, proxy: [UInt8], stateCount: Int, range: KeyGroupRange, maxParallelism: Int) throws(IOError) {
        self.sink = sink
        self.range = range
        self.stateCount = stateCount
        prefixBytes = maxParallelism > 128 ? 2 : 1
        offsets = Array(repeating: 0, count: range.count)
        buffer.writeRaw(proxy)
        try flushIfFull()
    }

    /// Adds one entry. `key` is the full stored key: key-group prefix (of `keyGroup`), key, namespace, user key.
    public func add(keyGroup: Int, state: Int, key: [UInt8], value: [UInt8]) throws(FlinkCanonicalWriteError) {
        guard range.contains(keyGroup) else {
            throw FlinkCanonicalWriteError("an entry of key group \(keyGroup) does not belong to this subtask's range \(range)")
        }
        guard state >= 0, state < stateCount else { throw FlinkCanonicalWriteError("state id \(state) of \(stateCount) states") }
        guard key.count > prefixBytes, key[0] & 0x80 == 0 else {
            throw FlinkCanonicalWriteError("a key of \(key.count) bytes in key group \(keyGroup) is not a prefixed key (the first byte must be below 0x80)")
        }
        if let p = pending {
            guard (p.keyGroup, p.state) <= (keyGroup, state) else {
                throw FlinkCanonicalWriteError("entries out of order: key group \(keyGroup) state \(state) after key group \(p.keyGroup) state \(p.state)")
            }
            let next: UInt16? = p.keyGroup != keyGroup ? 0xFFFF : (p.state != state ? UInt16(state) : nil)
            try writePair(p.key, p.value, then: next)
        }
        if pending?.keyGroup != keyGroup {
            offsets[keyGroup - range.start] = position + Int64(buffer.count)
            buffer.writeU16(UInt16(state))
        }
        pending = (keyGroup, state, key, value)
        entryCount += 1
    }

    private func writePair(_ key: [UInt8], _ value: [UInt8], then next: UInt16?) throws(FlinkCanonicalWriteError) {
        buffer.writeU32(UInt32(key.count))
        if next != nil {
            buffer.writeU8(key[0] | 0x80)
            buffer.writeRaw(key.dropFirst())
        } else {
            buffer.writeRaw(key)
        }
        buffer.writeU32(UInt32(value.count))
        buffer.writeRaw(value)
        if let next { buffer.writeU16(next) }
        do { try flushIfFull() } catch { throw FlinkCanonicalWriteError("\(error)") }
    }

    private func flushIfFull(force: Bool = false) throws(IOError) {
        guard buffer.count >= 1 << 20 || (force && buffer.count > 0) else { return }
        try sink.write(buffer.bytes)
        position += Int64(buffer.count)
        buffer.removeAll()
    }

    /// Ends the file and makes it durable; returns the per-key-group offsets (0 for empty key groups) and the size.
    public func finish() throws(FlinkCanonicalWriteError) -> (offsets: [Int64], size: Int64) {
        if let p = pending { try writePair(p.key, p.value, then: 0xFFFF) }
        pending = nil
        do {
            try flushIfFull(force: true)
            try sink.commit()
        } catch { throw FlinkCanonicalWriteError("\(error)") }
        return (offsets, position)
    }
}
