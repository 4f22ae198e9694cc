/// Walks a table's point entries lazily: the index is read on the first call, then one data block at a time.
///
/// Throws instead of stopping on damage, naming the file, block offset and problem. Entries come in file order (user
/// key ascending, then sequence descending); `SSTEntry`'s slices point into buffers reused by the next call.
public struct SSTEntryIterator {
    let file: SSTFile
    private let reader: BlockReader
    private var handles: [BlockHandle]?
    private var nextBlock = 0
    private var data: [UInt8] = []
    private var position = 0
    private var end = 0
    private var current = BlockHandle(offset: 0, size: 0)
    private var key: [UInt8] = []
    /// Data blocks read so far.
    public private(set) var blocksRead = 0
    /// Compressed bytes (with trailers) of the data blocks read so far.
    public private(set) var bytesRead: UInt64 = 0

    init(file: SSTFile) {
        self.file = file
        self.reader = file.reader
    }

    /// The next entry, or nil at the end of the table.
    public mutating func next() throws(RocksDBError) -> SSTEntry? {
        while position >= end {
            if handles == nil { handles = try file.dataBlockHandles() }
            guard let handles, nextBlock < handles.count else { return nil }
            current = handles[nextBlock]
            nextBlock += 1
            let block = try reader.block(current, kind: "data")
            blocksRead += 1
            bytesRead += current.size + BlockHandle.trailerSize
            data = block.data
            position = 0
            end = block.entriesEnd
            key.removeAll(keepingCapacity: true)
        }
        var k: [UInt8] = []
        swap(&k, &key)
        defer { swap(&k, &key) }
        let at = position
        let decoded = data.withUnsafeBufferPointer { p -> (value: Range<Int>, next: Int)? in
            var i = at
            @inline(__always) func varint() -> Int? {
                var result = 0
                var shift = 0
                while i < end, shift <= 28 {
                    let b = p[i]
                    i += 1
                    result |= Int(b & 0x7F) << shift
                    if b & 0x80 == 0 { return result }
                    shift += 7
                }
                return nil
            }
            let shared: Int, nonShared: Int, valueLength: Int
            if i + 3 <= end, (p[i] | p[i + 1] | p[i + 2]) < 0x80 {
                shared = Int(p[i]); nonShared = Int(p[i + 1]); valueLength = Int(p[i + 2])
                i += 3
            } else {
                guard let s = varint(), let n = varint(), let v = varint() else { return nil }
                shared = s; nonShared = n; valueLength = v
            }
            guard shared <= k.count, nonShared <= end - i, valueLength <= end - i - nonShared else { return nil }
            k.removeSubrange(shared...)
            k.append(contentsOf: UnsafeBufferPointer(rebasing: p[i..<(i + nonShared)]))
            i += nonShared
            return (i..<(i + valueLength), i + valueLength)
        }
        guard let decoded else {
            throw reader.error(.corruptBlock, "entry at offset \(at) of the decompressed block has a damaged header or lengths", current, "data")
        }
        guard k.count >= 8 else {
            throw reader.error(.corruptBlock, "internal key of \(k.count) bytes at offset \(at) of the decompressed block is shorter than its 8-byte trailer", current, "data")
        }
        position = decoded.next
        let trailer = k.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: k.count - 8, as: UInt64.self)) }
        guard let type = SSTValueType(rawValue: UInt8(trailer & 0xFF)), type != .rangeDeletion else {
            throw reader.error(.corruptBlock, "unknown value type 0x\(String(trailer & 0xFF, radix: 16)) at offset \(at) of the decompressed block", current, "data")
        }
        guard type.isSupported else {
            throw reader.error(.unsupportedValueType,
                               "entry of type \(type.name) (0x\(String(type.rawValue, radix: 16))) at offset \(at) of the decompressed block: BlobDB values, user-defined timestamps and wide columns are not supported",
                               current, "data")
        }
        return SSTEntry(userKey: k[0..<(k.count - 8)], sequence: trailer >> 8, type: type, value: data[decoded.value])
    }
}
