/// The live contents of one column family spread over several SSTs (a RocksDB checkpoint's files of that family),
/// as RocksDB's own iterator would show them: user keys ascending (bytewise), each with its newest visible value.
///
/// A k-way merge over the tables' entry iterators by (user key ascending, sequence descending): the newest entry
/// of a key decides; Deletion and SingleDeletion hide older entries; a range deletion hides entries of its range with
/// a lower sequence; merge operands combine, older to newer, on top of a base value or alone. Memory: one data block
/// per table, the range deletions, and the entries of the key being merged.
public struct RocksDBColumnFamilyScan {
    /// One live key and its final value.
    public struct Entry: Sendable, Equatable {
        public var key: [UInt8]
        public var value: [UInt8]
    }

    private struct Cursor {
        var iterator: SSTEntryIterator
        var head: SSTEntry
        var order: Int
    }

    private var cursors: [Cursor] = []
    private let tombstones: [SSTRangeTombstone]
    private var activeTombstones: [SSTRangeTombstone] = []
    private var nextTombstone = 0
    private let mergeOperator: RocksDBMergeOperator?

    /// Prepares the scan; refuses tables with another comparator, and merge operands when no operator is known
    /// (`mergeOperator` nil: the one the tables name).
    public init(files: [SSTFile], mergeOperator: RocksDBMergeOperator? = nil) throws(RocksDBError) {
        var named: RocksDBMergeOperator? = mergeOperator
        var tombstones: [SSTRangeTombstone] = []
        for file in files {
            let comparator = file.properties.comparatorName ?? "leveldb.BytewiseComparator"
            guard comparator == "leveldb.BytewiseComparator" else {
                throw RocksDBError(.unsupportedComparator,
                                   "the table is sorted by \"\(comparator)\"; Cairn merges only tables of leveldb.BytewiseComparator (Flink's)",
                                   file: file.name, block: "properties")
            }
            if named == nil, let name = file.properties.mergeOperatorName, name != "nullptr" { named = RocksDBMergeOperator(name: name) }
            tombstones += try file.rangeTombstones()
        }
        self.mergeOperator = named
        self.tombstones = tombstones.sorted { $0.start.lexicographicallyPrecedes($1.start) }
        for (i, file) in files.enumerated() {
            var it = file.entries()
            if let head = try it.next() { cursors.append(Cursor(iterator: it, head: head, order: i)) }
        }
        // A binary min-heap on (user key, sequence descending).
        var i = cursors.count / 2 - 1
        while i >= 0 {
            siftDown(i)
            i -= 1
        }
    }

    /// Files of this order: a's head comes first.
    private static func precedes(_ a: Cursor, _ b: Cursor) -> Bool {
        let order = compare(a.head.userKey, b.head.userKey)
        if order != 0 { return order < 0 }
        if a.head.sequence != b.head.sequence { return a.head.sequence > b.head.sequence }
        return a.order < b.order
    }

    /// Bytewise three-way comparison (memcmp, then length).
    static func compare(_ a: ArraySlice<UInt8>, _ b: ArraySlice<UInt8>) -> Int {
        a.withUnsafeBytes { pa in
            b.withUnsafeBytes { pb in
                let n = min(pa.count, pb.count)
                for i in 0..<n where pa[i] != pb[i] { return pa[i] < pb[i] ? -1 : 1 }
                return pa.count == pb.count ? 0 : (pa.count < pb.count ? -1 : 1)
            }
        }
    }

    private mutating func siftDown(_ start: Int) {
        var i = start
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < cursors.count, Self.precedes(cursors[l], cursors[m]) { m = l }
            if r < cursors.count, Self.precedes(cursors[r], cursors[m]) { m = r }
            if m == i { return }
            cursors.swapAt(i, m)
            i = m
        }
    }

    /// Takes the smallest head and advances its table.
    private mutating func pop() throws(RocksDBError) -> SSTEntry? {
        guard !cursors.isEmpty else { return nil }
        let entry = cursors[0].head
        if let next = try cursors[0].iterator.next() {
            cursors[0].head = next
        } else {
            cursors.swapAt(0, cursors.count - 1)
            cursors.removeLast()
        }
        if !cursors.isEmpty { siftDown(0) }
        return entry
    }

    /// The sequence below which range deletions hide `key` (0: none); keys must come in ascending order.
    private mutating func rangeDeletionSequence(_ key: ArraySlice<UInt8>) -> UInt64 {
        if tombstones.isEmpty { return 0 }
        while nextTombstone < tombstones.count, Self.compare(tombstones[nextTombstone].start[...], key) <= 0 {
            activeTombstones.append(tombstones[nextTombstone])
            nextTombstone += 1
        }
        activeTombstones.removeAll { Self.compare($0.end[...], key) <= 0 }
        return activeTombstones.reduce(0) { max($0, $1.sequence) }
    }

    /// The next live key and its value, nil at the end.
    public mutating func next() throws(RocksDBError) -> Entry? {
        while let first = try pop() {
            let key = Array(first.userKey)
            let hiddenBelow = rangeDeletionSequence(key[...])
            var operands: [ArraySlice<UInt8>] = []
            var result: [UInt8]?
            var decided = false
            var entry: SSTEntry? = first
            // Newest to oldest entries of this key; the first Value or deletion decides.
            while let e = entry {
                if !decided {
                    if e.sequence < hiddenBelow {
                        decided = true
                    } else {
                        switch e.type {
                        case .value:
                            result = operands.isEmpty ? Array(e.value) : try merged(base: e.value, operands: operands, key: key)
                            decided = true
                        case .merge:
                            operands.append(Array(e.value)[...])
                        case .deletion, .singleDeletion:
                            decided = true
                        default:
                            decided = true
                        }
                    }
                    if decided, result == nil, !operands.isEmpty { result = try merged(base: nil, operands: operands, key: key) }
                }
                guard let top = cursors.first, Self.compare(top.head.userKey, key[...]) == 0 else { break }
                entry = try pop()
            }
            if !decided, !operands.isEmpty { result = try merged(base: nil, operands: operands, key: key) }
            if let result { return Entry(key: key, value: result) }
        }
        return nil
    }

    private func merged(base: ArraySlice<UInt8>?, operands: [ArraySlice<UInt8>], key: [UInt8]) throws(RocksDBError) -> [UInt8] {
        guard let mergeOperator else {
            throw RocksDBError(.unsupportedMergeOperator,
                               "key 0x\(key.prefix(32).map { String($0, radix: 16) }.joined()) has merge operands but the tables name no merge operator Cairn knows",
                               file: "column family scan", advice: "Pass the merge operator (Flink's is \"stringappendtest\")")
        }
        return mergeOperator.merge(base: base, operands: operands.reversed())
    }
}
