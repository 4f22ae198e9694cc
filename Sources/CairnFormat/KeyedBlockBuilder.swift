import CairnCore
import CairnModel

/// Encodes keyed entries into the current block and decides where blocks end (format spec §10).
///
/// A value type so that the writer's hot path touches one stored property per entry rather than a dozen
/// (each access to a class's stored property costs a dynamic exclusivity check).
struct KeyedBlockBuilder {
    let minBlockSize: Int
    let maxBlockSize: Int
    let cutMask: UInt32
    var block = ByteWriter(capacity: 1 << 20)
    private var previousKey: [UInt8] = []
    private var previousNamespace: [UInt8] = []
    private var previousUserKey: [UInt8] = []
    private var hasPrevious = false
    private var cutScratch: [UInt8] = []

    init(options: WriterOptions) {
        minBlockSize = options.minBlockSize
        maxBlockSize = options.maxBlockSize
        cutMask = (UInt32(1) << UInt32(options.cutMaskBits)) - 1
    }

    /// Forgets the previous entry (at a new key group or state).
    mutating func resetOrder() { hasPrevious = false }

    /// Checks the entry sorts after the previous one and remembers it.
    mutating func checkOrder(key: [UInt8], namespace: [UInt8]?, userKey: [UInt8]?) -> Bool {
        if hasPrevious {
            let n = namespace ?? [], u = userKey ?? []
            let less: Bool
            if previousKey != key {
                less = previousKey.lexicographicallyPrecedes(key)
            } else if previousNamespace != n {
                less = previousNamespace.lexicographicallyPrecedes(n)
            } else {
                less = previousUserKey != u && previousUserKey.lexicographicallyPrecedes(u)
            }
            guard less else { return false }
        }
        previousKey.removeAll(keepingCapacity: true)
        previousKey.append(contentsOf: key)
        previousNamespace.removeAll(keepingCapacity: true)
        if let namespace { previousNamespace.append(contentsOf: namespace) }
        previousUserKey.removeAll(keepingCapacity: true)
        if let userKey { previousUserKey.append(contentsOf: userKey) }
        hasPrevious = true
        return true
    }

    /// Encoded size of an entry.
    static func size(key: Int, namespace: Int?, userKey: Int?, value: Int, ttl: Bool) -> Int {
        func field(_ n: Int) -> Int { ByteWriter.varintSize(UInt64(n)) + n }
        var size = 1 + field(key) + field(value)
        if let namespace { size += field(namespace) }
        if let userKey { size += field(userKey) }
        return ttl ? size + 8 : size
    }

    /// True if a block holding `count` bytes must be cut before an entry of `size` bytes.
    func mustCutBefore(_ size: Int) -> Bool { block.count > 0 && block.count + size > maxBlockSize }

    /// Encodes the entry; returns true when the block should be cut after it (a content-defined boundary).
    /// Encodes a delta's reset mark (format spec §13.2), the first entry of its key group.
    mutating func appendReset() { block.writeU8(0x10) }

    /// A nil `value` encodes a tombstone (format spec §13.2): flag bit 3, no value, no TTL.
    mutating func append(key: [UInt8], namespace: [UInt8]?, userKey: [UInt8]?, value: [UInt8]?, ttl: Int64?) -> Bool {
        var flags: UInt8 = 0
        if ttl != nil { flags |= 1 }
        if namespace != nil { flags |= 2 }
        if userKey != nil { flags |= 4 }
        if value == nil { flags |= 8 }
        block.writeU8(flags)
        block.writeBytes(key)
        if let namespace { block.writeBytes(namespace) }
        if let userKey { block.writeBytes(userKey) }
        if let value { block.writeBytes(value) }
        if let ttl { block.writeI64(ttl) }
        guard block.count >= minBlockSize else { return false }
        let hash: UInt32
        if namespace == nil && userKey == nil {
            hash = Murmur3.hash32(key)
        } else {
            cutScratch.removeAll(keepingCapacity: true)
            cutScratch.append(contentsOf: key)
            if let namespace { cutScratch.append(contentsOf: namespace) }
            if let userKey { cutScratch.append(contentsOf: userKey) }
            hash = Murmur3.hash32(cutScratch)
        }
        return hash & cutMask == 0
    }
}
