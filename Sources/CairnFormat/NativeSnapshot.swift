import CairnCore
import CairnModel

/// A native `.cairn` snapshot as a `SnapshotView`.
public struct NativeSnapshot: SnapshotView {
    public let reader: SnapshotReader
    /// For a delta, its chain: sizes then count the bases' keyed state (format spec §13.4) and deep checks cover
    /// every link. Nil reads the file alone.
    public let chain: SnapshotChain?

    public init(reader: SnapshotReader) {
        self.reader = reader
        self.chain = nil
    }

    /// A snapshot with its bases; `chain.top` is the snapshot.
    public init(chain: SnapshotChain) {
        self.reader = chain.top
        self.chain = chain.isDelta ? chain : nil
    }

    /// Opens a local file and, for a delta, its chain.
    public init(path: String) throws { self.init(chain: try SnapshotChain(path: path)) }

    public var bytesRead: UInt64 { reader.source.bytesRead }

    private func size(_ span: BlockSpan) -> Int64 {
        span.range.reduce(Int64(0)) { $0 + reader.index.blocks[$1].size }
    }

    /// Keyed bytes per (operator, state, key group) held by the bases of the chain.
    private func baseKeyedSizes() -> [String: Int64] {
        guard let chain else { return [:] }
        var out: [String: Int64] = [:]
        for link in chain.links.dropFirst() {
            for op in link.index.operators {
                for st in op.subtasks {
                    for u in st.keyed {
                        for seg in u.segments {
                            let s = seg.blocks.range.reduce(Int64(0)) { $0 + link.index.blocks[$1].size }
                            out["\(op.info.id.hex)/\(op.info.maxParallelism)/\(op.states[u.stateIndex].name)/\(seg.keyGroup)", default: 0] += s
                        }
                    }
                }
            }
        }
        return out
    }

    public func summary() throws -> SnapshotSummary {
        let idx = reader.index
        let baseSizes = baseKeyedSizes()
        var ops: [OperatorSummary] = []
        for op in idx.operators {
            var states = op.states.map { d in
                StateSummary(
                    descriptor: d, keySerializer: d.keySerializer.map { idx.serializers[$0] },
                    valueSerializer: d.valueSerializer.map { idx.serializers[$0] }, size: 0, entryCount: 0,
                    sizeBySubtask: [:], keyGroups: [])
            }
            var subtasks: [SubtaskSummary] = []
            var extra: [String: StateSummary] = [:]
            for st in op.subtasks {
                var keyed: Int64 = 0
                var operatorSize: Int64 = 0
                var input: Int64 = 0
                var output: Int64 = 0
                var range: KeyGroupRange?
                var inBases: Int64 = 0
                for u in st.keyed {
                    range = range ?? u.range
                    for seg in u.segments {
                        let s = size(seg.blocks)
                        keyed += s
                        states[u.stateIndex].size += s
                        states[u.stateIndex].entryCount! += Int64(seg.entryCount)
                        states[u.stateIndex].sizeBySubtask[st.index, default: 0] += s
                        states[u.stateIndex].keyGroups.append(KeyGroupSize(keyGroup: seg.keyGroup, size: s, entries: Int64(seg.entryCount)))
                    }
                    // A delta's state size adds what its bases hold for the same key groups (§13.4); entry counts of
                    // the merged state are not known without reading it.
                    guard !baseSizes.isEmpty else { continue }
                    let prefix = "\(op.info.id.hex)/\(op.info.maxParallelism)/\(op.states[u.stateIndex].name)/"
                    for kg in u.range.start..<u.range.end {
                        guard let s = baseSizes[prefix + "\(kg)"] else { continue }
                        inBases += s
                        states[u.stateIndex].size += s
                        states[u.stateIndex].sizeBySubtask[st.index, default: 0] += s
                    }
                }
                for u in st.operatorState {
                    let s = size(u.blocks)
                    operatorSize += s
                    states[u.stateIndex].size += s
                    states[u.stateIndex].entryCount! += Int64(u.elementCount)
                    states[u.stateIndex].sizeBySubtask[st.index, default: 0] += s
                }
                for c in st.channels {
                    if c.channel.direction == .input { input += size(c.blocks) } else { output += size(c.blocks) }
                }
                // Opaque units count the size their engine recorded, so converted snapshots report that engine's numbers.
                for u in st.opaque {
                    let recorded = Int64(u.recordedSize)
                    switch u.role {
                    case .managedKeyedState, .rawKeyedState:
                        keyed += recorded
                        if range == nil && u.keyGroups.count > 0 { range = u.keyGroups }
                    case .managedOperatorState, .rawOperatorState:
                        operatorSize += recorded
                        let length = Int64(u.blocks.range.reduce(0) { $0 + idx.blocks[$1].rawLength })
                        let spans = OffsetSpans(all: u.namedOffsets.flatMap(\.offsets).map { Int64($0) }, end: length)
                        for n in u.namedOffsets {
                            let bytes = spans.bytes(n.offsets.map { Int64($0) })
                            let kind: StateKind = n.mode == 1 ? .operatorUnion : n.mode == 2 ? .broadcast : .operatorList
                            var s = extra[n.name] ?? StateSummary(descriptor: StateDescriptor(name: n.name, kind: kind), keySerializer: nil,
                                                                  valueSerializer: nil, size: 0, entryCount: 0, sizeBySubtask: [:], keyGroups: [])
                            s.size += bytes
                            s.entryCount = (s.entryCount ?? 0) + Int64(n.offsets.count)
                            s.sizeBySubtask[st.index, default: 0] += bytes
                            extra[n.name] = s
                        }
                    case .inputChannels: input += recorded
                    case .outputSubpartitions: output += recorded
                    }
                }
                subtasks.append(SubtaskSummary(
                    index: st.index, keyedSize: keyed + inBases, operatorSize: operatorSize, inputChannelSize: input,
                    outputSubpartitionSize: output, checkpointedSize: keyed + operatorSize + input + output, keyGroups: range, splits: st.splits))
            }
            for i in states.indices { states[i].keyGroups.sort { $0.keyGroup < $1.keyGroup } }
            if !baseSizes.isEmpty {
                for i in states.indices where states[i].descriptor.kind.isKeyed { states[i].entryCount = nil }
            }
            states += extra.keys.sorted().map { extra[$0]! }
            ops.append(OperatorSummary(info: op.info, coordinatorSize: size(op.coordinator), subtasks: subtasks, states: states))
        }
        return SnapshotSummary(metadata: idx.metadata, format: "cairn \(reader.version.major).\(reader.version.minor)", operators: ops)
    }

    public func formatChecks(deep: Bool) -> [String] {
        ["magic", "version", "footer", "indexChecksum", "indexStructure", "subtaskCount"]
            + (chain != nil ? ["baseIdentity"] : [])
            + (deep ? ["blockChecksums", "fullDecode", "keyGroupOfEveryKey", "entryOrder", "typedValues"] : [])
            + (deep && chain != nil ? ["everyLinkOfTheChain", "merge"] : [])
    }

    public func formatProblems(deep: Bool) -> [ValidationProblem] {
        var problems: [ValidationProblem] = []
        for (oi, op) in reader.index.operators.enumerated() {
            if op.subtasks.count != op.info.parallelism {
                let missing = Set(0..<op.info.parallelism).subtracting(op.subtasks.map(\.index)).sorted()
                problems.append(ValidationProblem(
                    code: "subtaskCount",
                    "operator has \(op.subtasks.count) subtasks but parallelism \(op.info.parallelism); missing \(missing.map(String.init).joined(separator: ", "))",
                    at: reader.location(operator: oi)))
            }
            for st in op.subtasks {
                let ranges = Set(st.keyed.map(\.range))
                if ranges.count > 1 {
                    problems.append(ValidationProblem(
                        code: "keyGroupRange",
                        "keyed states of one subtask disagree on its key-group range: \(ranges.map(\.description).sorted().joined(separator: ", "))",
                        at: reader.location(operator: oi, subtask: st.index)))
                }
            }
        }
        if deep { problems += SnapshotVerifier(reader: reader).verify() }
        if deep, let chain {
            // Every base's blocks, then the merge itself (key groups must agree down the chain).
            for link in chain.links.dropFirst() { problems += SnapshotVerifier(reader: link).verify() }
            if problems.isEmpty {
                do {
                    for op in reader.index.operators {
                        for st in op.subtasks {
                            for u in st.keyed {
                                for kg in u.range.start..<u.range.end {
                                    _ = try chain.mergedEntries(operator: op.info.id, state: op.states[u.stateIndex].name, keyGroup: kg)
                                }
                            }
                        }
                    }
                } catch let e as SnapshotError {
                    problems.append(ValidationProblem(e))
                } catch {
                    problems.append(ValidationProblem(code: "merge", "merging the chain failed: \(error)", at: SnapshotLocation(file: reader.source.name)))
                }
            }
        }
        return problems
    }

    public func scanStates() throws -> [OperatorID: [StateSummary]] {
        let stats = try entryStatistics()
        var out: [OperatorID: [StateSummary]] = [:]
        for op in try summary().operators {
            out[op.info.id] = op.states.map { s in
                var s = s
                s.statistics = stats[op.info.id]?[s.descriptor.name]
                return s
            }
        }
        return out
    }

    /// Statistics per operator and state name from a scan of the data.
    public func entryStatistics() throws -> [OperatorID: [String: EntryStatistics]] {
        let idx = reader.index
        var out: [OperatorID: [String: EntryStatistics]] = [:]
        for (oi, op) in idx.operators.enumerated() {
            var byState: [String: EntryStatistics] = [:]
            for st in op.subtasks {
                for u in st.operatorState {
                    var stats = byState[op.states[u.stateIndex].name] ?? EntryStatistics()
                    stats.entries += Int64(u.elementCount)
                    for b in u.blocks.range { stats.rawSize += Int64(idx.blocks[b].rawLength) }
                    byState[op.states[u.stateIndex].name] = stats
                }
                for u in st.keyed {
                    let name = op.states[u.stateIndex].name
                    var stats = byState[name] ?? EntryStatistics()
                    try forEachKeyGroup(oi, st.index, u) { _, forEach in
                        var previousKey: ArraySlice<UInt8>? = nil
                        try forEach { e in
                            stats.entries += 1
                            stats.rawSize += Int64(e.encodedLength)
                            stats.keyBytes += Int64(e.key.count)
                            stats.namespaceBytes += Int64(e.namespace?.count ?? 0)
                            stats.userKeyBytes += Int64(e.userKey?.count ?? 0)
                            stats.valueBytes += Int64(e.value.count)
                            stats.largestEntry = max(stats.largestEntry, Int64(e.encodedLength))
                            if e.ttl != nil { stats.entriesWithTTL += 1 }
                            if !(previousKey?.elementsEqual(e.keyBytes) ?? false) {
                                stats.distinctKeys += 1
                                previousKey = e.keyBytes
                            }
                        }
                    }
                    byState[name] = stats
                }
            }
            out[op.info.id] = byState
        }
        return out
    }

    /// Calls `body` per key group of a keyed unit with a function that walks its entries: the file's own, or for a
    /// delta read with its chain, the merged entries (tombstones applied).
    func forEachKeyGroup(
        _ oi: Int, _ subtask: Int, _ u: KeyedStateUnit, _ body: (Int, ((KeyedEntry) throws -> Void) throws -> Void) throws -> Void
    ) throws {
        let op = reader.index.operators[oi]
        let name = op.states[u.stateIndex].name
        if let chain {
            for kg in u.range.start..<u.range.end {
                let entries = try chain.mergedEntries(operator: op.info.id, state: name, keyGroup: kg)
                guard !entries.isEmpty else { continue }
                try body(kg) { each in for e in entries { try each(e) } }
            }
            return
        }
        for seg in u.segments {
            let loc = reader.location(operator: oi, subtask: subtask, state: name, keyGroup: seg.keyGroup)
            try body(seg.keyGroup) { each in try reader.forEachEntry(of: seg, at: loc, each) }
        }
    }

    public func largestKeys(limit: Int) throws -> [KeySize] {
        guard limit > 0 else { return [] }
        var top = TopK<KeySize>(limit: limit) { a, b in
            a.size != b.size ? a.size < b.size : b.key.lexicographicallyPrecedes(a.key)
        }
        let idx = reader.index
        for (oi, op) in idx.operators.enumerated() {
            for st in op.subtasks {
                for u in st.keyed {
                    let name = op.states[u.stateIndex].name
                    try forEachKeyGroup(oi, st.index, u) { keyGroup, forEach in
                        // Entries of one key are adjacent (sorted by key first), so a run is one key.
                        var currentKey: ArraySlice<UInt8>? = nil
                        var bytes: Int64 = 0
                        var count: Int64 = 0
                        func emit() {
                            if let k = currentKey {
                                top.insert(KeySize(operatorID: op.info.id, state: name, keyGroup: keyGroup, key: Array(k), size: bytes, entries: count))
                            }
                        }
                        try forEach { e in
                            if currentKey.map({ !$0.elementsEqual(e.keyBytes) }) ?? true {
                                emit()
                                currentKey = e.keyBytes
                                bytes = 0
                                count = 0
                            }
                            bytes += Int64(e.encodedLength)
                            count += 1
                        }
                        emit()
                    }
                }
            }
        }
        return top.sortedDescending()
    }
}

/// Keeps the `limit` largest elements seen, in O(limit) memory.
struct TopK<Element> {
    let limit: Int
    let less: (Element, Element) -> Bool
    private(set) var heap: [Element] = []  // min-heap by `less`

    init(limit: Int, less: @escaping (Element, Element) -> Bool) {
        self.limit = limit
        self.less = less
    }

    mutating func insert(_ e: Element) {
        if heap.count < limit {
            heap.append(e)
            var i = heap.count - 1
            while i > 0, less(heap[i], heap[(i - 1) / 2]) {
                heap.swapAt(i, (i - 1) / 2)
                i = (i - 1) / 2
            }
        } else if let min = heap.first, less(min, e) {
            heap[0] = e
            var i = 0
            while true {
                let l = 2 * i + 1, r = 2 * i + 2
                var m = i
                if l < heap.count, less(heap[l], heap[m]) { m = l }
                if r < heap.count, less(heap[r], heap[m]) { m = r }
                if m == i { break }
                heap.swapAt(i, m)
                i = m
            }
        }
    }

    func sortedDescending() -> [Element] { heap.sorted { less($1, $0) } }
}
