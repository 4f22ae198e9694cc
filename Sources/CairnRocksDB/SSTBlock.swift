/// A decompressed block: prefix-compressed entries, then the restart offsets, then a 32-bit footer holding the
/// restart count and, in the top bit, whether a hash index (kDataBlockBinaryAndHash) sits before it
/// (`table/block_based/block_builder.cc`, `data_block_footer.cc`, `data_block_hash_index.cc`).
struct SSTBlock {
    let data: [UInt8]
    /// Entries occupy `[0, entriesEnd)`; the restart array starts there.
    let entriesEnd: Int
    let restartCount: Int

    init(_ data: [UInt8]) throws(BlockProblem) {
        guard data.count >= 4 else { throw BlockProblem("a block of \(data.count) bytes is too short for its footer", at: 0) }
        let packed = le32(data, data.count - 4)
        var end = data.count - 4
        if packed & (0x7 << 28) != 0 {
            throw BlockProblem("block footer 0x\(String(packed, radix: 16)) uses data-block features newer than format_version 6", at: end, code: .unsupportedFeature)
        }
        if packed & (1 << 31) != 0 {
            // Hash index: buckets (1 byte each), then a 16-bit bucket count, before the footer.
            guard end >= 2 else { throw BlockProblem("hash-indexed block too short", at: 0) }
            let buckets = Int(data[end - 2]) | Int(data[end - 1]) << 8
            guard buckets > 0, buckets + 2 <= end else { throw BlockProblem("hash index of \(buckets) buckets does not fit its block", at: end - 2) }
            end -= 2 + buckets
        }
        let count = Int(packed & 0x0FFF_FFFF)
        guard count <= end / 4 else { throw BlockProblem("\(count) restart points do not fit a block of \(data.count) bytes", at: data.count - 4) }
        let start = end - 4 * count
        guard count > 0 || start == 0 else { throw BlockProblem("a block with entries but no restart point", at: data.count - 4) }
        if count > 0 {
            guard le32(data, start) == 0 else { throw BlockProblem("the first restart point is not at offset 0", at: start) }
            var previous = -1
            for i in 0..<count {
                let r = Int(le32(data, start + 4 * i))
                guard r > previous, r < max(start, 1) else { throw BlockProblem("restart point \(i) at \(r) is out of order or outside the entries", at: start + 4 * i) }
                previous = r
            }
        }
        self.data = data
        self.entriesEnd = start
        self.restartCount = count
    }

    func restart(_ i: Int) -> Int { Int(le32(data, entriesEnd + 4 * i)) }

    /// Every entry of a block with explicit value lengths (metaindex, properties, range deletions, index blocks before
    /// format_version 4): full keys (prefixes expanded) and value slices.
    func entries() throws(BlockProblem) -> [(key: [UInt8], value: ArraySlice<UInt8>)] {
        var out: [(key: [UInt8], value: ArraySlice<UInt8>)] = []
        var r = FieldReader(data, from: 0, to: entriesEnd)
        var key: [UInt8] = []
        while !r.atEnd {
            let at = r.position
            guard let shared = r.varint32(), let nonShared = r.varint32(), let valueLength = r.varint32(),
                  Int(shared) <= key.count, let delta = r.bytes(Int(nonShared)), let value = r.bytes(Int(valueLength))
            else { throw BlockProblem("entry header or lengths run past the entries", at: at) }
            key.removeSubrange(Int(shared)...)
            key.append(contentsOf: delta)
            out.append((key, value))
        }
        return out
    }

    /// The block handles of an index block (or of a partitioned index's or filter's top level). From format_version 4
    /// (`valueDeltaEncoded`) entries have no value length; restart entries hold a full handle, the others only the size
    /// change, the offset following the previous block and its trailer. `withFirstKey` indexes append each block's
    /// first key.
    func indexHandles(valueDeltaEncoded: Bool, withFirstKey: Bool) throws(BlockProblem) -> [BlockHandle] {
        var out: [BlockHandle] = []
        var r = FieldReader(data, from: 0, to: entriesEnd)
        var keyLength = 0
        var nextRestart = 0
        var previous: BlockHandle?
        while !r.atEnd {
            let at = r.position
            let isRestart = nextRestart < restartCount && restart(nextRestart) == at
            if isRestart { nextRestart += 1 }
            guard let shared = r.varint32(), let nonShared = r.varint32(), Int(shared) <= keyLength else {
                throw BlockProblem("index entry header is damaged", at: at)
            }
            var valueEnd = entriesEnd
            if !valueDeltaEncoded {
                guard let n = r.varint32(), Int(n) <= entriesEnd - r.position - Int(nonShared) else {
                    throw BlockProblem("index entry value length runs past the entries", at: at)
                }
                valueEnd = r.position + Int(nonShared) + Int(n)
            }
            guard r.bytes(Int(nonShared)) != nil else { throw BlockProblem("index entry key runs past the entries", at: at) }
            keyLength = Int(shared) + Int(nonShared)
            var v = FieldReader(data, from: r.position, to: valueEnd)
            let handle: BlockHandle
            if valueDeltaEncoded, !isRestart, let previous {
                guard let delta = v.varsigned64() else { throw BlockProblem("bad delta-encoded index value", at: v.position) }
                let size = Int64(bitPattern: previous.size) &+ delta
                guard size >= 0 else { throw BlockProblem("delta-encoded index value gives a negative block size", at: v.position) }
                handle = BlockHandle(offset: previous.offset &+ previous.size &+ BlockHandle.trailerSize, size: UInt64(size))
            } else {
                guard let h = v.handle() else { throw BlockProblem("bad block handle in an index entry", at: v.position) }
                handle = h
            }
            if withFirstKey, v.lengthPrefixed() == nil { throw BlockProblem("bad first key in an index entry", at: v.position) }
            r.position = valueDeltaEncoded ? v.position : valueEnd
            out.append(handle)
            previous = handle
        }
        return out
    }
}

/// What is wrong inside a block, before the file and the block's offset are known.
struct BlockProblem: Error {
    var message: String
    var offset: Int
    var code: RocksDBError.Code

    init(_ message: String, at offset: Int, code: RocksDBError.Code = .corruptBlock) {
        self.message = message
        self.offset = offset
        self.code = code
    }
}
