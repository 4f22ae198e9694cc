import CairnCore

/// Writes a snapshot in one streaming pass with memory bounded by the block size and the index.
///
/// Callers describe the snapshot in the canonical order of format spec §10 — operators by id, and inside a
/// subtask keyed states, then operator states, then channels, each by name or id, keyed entries by key group
/// and key — and the writer refuses anything else, which is what makes the output deterministic.
public final class SnapshotWriter {
    private let sink: any ByteSink
    private let options: WriterOptions
    private let compressor: BlockCompressor
    private var metadata: SnapshotMetadata
    private var serializers: [SerializerInfo] = []
    private var blocks: [BlockEntry] = []
    private var operators: [OperatorIndex] = []
    private var offset: UInt64 = UInt64(FileLayout.headerSize)
    private var rawBytes: UInt64 = 0
    private var entryCount: UInt64 = 0
    private var finished = false

    // Current position in the canonical order.
    private var currentOperator: OperatorIndex?
    private var stateIndexByName: [String: Int] = [:]
    private var currentSubtask: SubtaskIndex?
    private enum Phase: Int { case keyed, operatorState, channels }
    private var phase: Phase = .keyed

    // The keyed unit being written.
    private var keyedUnit: KeyedStateUnit?
    private var segmentKeyGroup = -1
    private var segmentEntries = 0
    private var segmentFirstBlock = 0
    private var previousKey: [UInt8] = []
    private var hasPreviousKey = false
    private var block = ByteWriter(capacity: 1 << 20)
    private var cutScratch: [UInt8] = []
    private var entryScratch = ByteWriter(capacity: 4096)

    public init(sink: any ByteSink, metadata: SnapshotMetadata, options: WriterOptions = WriterOptions()) throws(IOError) {
        self.sink = sink
        self.metadata = metadata
        self.options = options
        self.compressor = BlockCompressor(options.compression)
        try sink.write(FileLayout.header())
    }

    /// Registers a serializer and returns its id for state descriptors.
    @discardableResult
    public func addSerializer(_ serializer: SerializerInfo) -> Int {
        if let i = serializers.firstIndex(of: serializer) { return i }
        serializers.append(serializer)
        return serializers.count - 1
    }

    // MARK: Operators and subtasks

    public func beginOperator(_ info: OperatorInfo, states: [StateDescriptor]) throws(WriterError) {
        try ensureNoOperator()
        guard info.parallelism >= 1, info.maxParallelism >= info.parallelism, info.maxParallelism <= KeyGroupRange.upperBound else {
            throw WriterError("operator \(info.displayName): need 1 ≤ parallelism (\(info.parallelism)) ≤ maxParallelism (\(info.maxParallelism)) ≤ 32768")
        }
        if let last = operators.last, !(last.info.id < info.id) {
            throw WriterError("operators must be written in ascending id order: \(info.id) after \(last.info.id)")
        }
        let sorted = states.sorted { Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8)) }
        var byName: [String: Int] = [:]
        for (i, s) in sorted.enumerated() {
            guard byName.updateValue(i, forKey: s.name) == nil else {
                throw WriterError("operator \(info.displayName) declares state '\(s.name)' twice")
            }
            for ref in [s.keySerializer, s.namespaceSerializer, s.valueSerializer] {
                if let ref, ref < 0 || ref >= serializers.count {
                    throw WriterError("state '\(s.name)' refers to serializer \(ref), which was not added")
                }
            }
        }
        stateIndexByName = byName
        currentOperator = OperatorIndex(info: info, coordinator: .empty, states: sorted, subtasks: [])
    }

    /// Stores the operator coordinator's state; call before the first subtask.
    public func writeCoordinatorState(_ bytes: [UInt8]) throws {
        guard var op = currentOperator, currentSubtask == nil, op.subtasks.isEmpty, op.coordinator.count == 0 else {
            throw WriterError("coordinator state goes right after beginOperator, once")
        }
        op.coordinator = try writeOpaque(bytes, kind: .coordinatorState)
        currentOperator = op
    }

    public func beginSubtask(_ index: Int) throws(WriterError) {
        guard let op = currentOperator else { throw WriterError("beginSubtask outside an operator") }
        guard currentSubtask == nil else { throw WriterError("subtask \(index) begun before the previous one ended") }
        guard index >= 0, index < op.info.parallelism else {
            throw WriterError("subtask \(index) of operator \(op.info.displayName) is not below its parallelism \(op.info.parallelism)")
        }
        if let last = op.subtasks.last, last.index >= index {
            throw WriterError("subtasks must be written in ascending order: \(index) after \(last.index)")
        }
        currentSubtask = SubtaskIndex(index: index)
        phase = .keyed
    }

    public func endSubtask() throws(WriterError) {
        guard keyedUnit == nil else { throw WriterError("endSubtask while keyed state is open") }
        guard let st = currentSubtask else { throw WriterError("endSubtask without beginSubtask") }
        currentOperator?.subtasks.append(st)
        currentSubtask = nil
    }

    public func endOperator() throws(WriterError) {
        guard currentSubtask == nil else { throw WriterError("endOperator while a subtask is open") }
        guard let op = currentOperator else { throw WriterError("endOperator without beginOperator") }
        operators.append(op)
        currentOperator = nil
    }

    private func ensureNoOperator() throws(WriterError) {
        guard currentOperator == nil else { throw WriterError("an operator is still open") }
        guard !finished else { throw WriterError("the writer has finished") }
    }

    private func state(named name: String, keyed: Bool) throws(WriterError) -> Int {
        guard let op = currentOperator, currentSubtask != nil else { throw WriterError("state '\(name)' written outside a subtask") }
        guard let i = stateIndexByName[name] else {
            throw WriterError("operator \(op.info.displayName) has no state named '\(name)'")
        }
        guard op.states[i].kind.isKeyed == keyed else {
            throw WriterError("state '\(name)' is \(op.states[i].kind.name) state, not \(keyed ? "keyed" : "operator") state")
        }
        return i
    }

    // MARK: Keyed state

    public func beginKeyedState(_ name: String, range: KeyGroupRange) throws(WriterError) {
        let i = try state(named: name, keyed: true)
        guard phase == .keyed else { throw WriterError("keyed state '\(name)' must come before operator state and channels") }
        guard keyedUnit == nil else { throw WriterError("keyed state '\(name)' begun while another is open") }
        if let last = currentSubtask?.keyed.last, last.stateIndex >= i {
            throw WriterError("keyed states must be written in name order; '\(name)' comes too late")
        }
        let info = currentOperator!.info
        let expected = KeyGroupRange.forSubtask(currentSubtask!.index, parallelism: info.parallelism, maxParallelism: info.maxParallelism)
        guard range == expected else {
            throw WriterError("keyed state '\(name)' of subtask \(currentSubtask!.index) must cover its key groups \(expected), not \(range)")
        }
        keyedUnit = KeyedStateUnit(stateIndex: i, range: range, segments: [])
        segmentKeyGroup = -1
        hasPreviousKey = false
    }

    /// Appends one entry; entries arrive by key group, then by (key, namespace, userKey).
    public func append(
        key: [UInt8], namespace: [UInt8]? = nil, userKey: [UInt8]? = nil, value: [UInt8], ttl: Int64? = nil
    ) throws {
        guard var unit = keyedUnit, let op = currentOperator else { throw WriterError("append outside keyed state") }
        let kg = KeyGroupRange.keyGroup(ofKey: key, maxParallelism: op.info.maxParallelism)
        guard unit.range.contains(kg) else {
            throw WriterError("key in key group \(kg) does not belong to this subtask's range \(unit.range)")
        }
        // Sort key: key ‖ 0x00-free separation is not possible for arbitrary bytes, so compare the triple.
        entryScratch.removeAll()
        entryScratch.writeBytes(key)
        entryScratch.writeBytes(namespace ?? [])
        entryScratch.writeBytes(userKey ?? [])
        let tripleEncoding = entryScratch.bytes
        if kg != segmentKeyGroup {
            guard kg > segmentKeyGroup else {
                throw WriterError("entries must be ordered by key group: \(kg) after \(segmentKeyGroup)")
            }
            try closeSegment(&unit)
            segmentKeyGroup = kg
            segmentFirstBlock = blocks.count
            segmentEntries = 0
            hasPreviousKey = false
        } else if hasPreviousKey {
            guard Self.tripleLess(previous: previousKey, key: key, namespace: namespace ?? [], userKey: userKey ?? []) else {
                throw WriterError("entries of key group \(kg) must be in strictly ascending (key, namespace, userKey) order")
            }
        }
        previousKey = tripleEncoding
        hasPreviousKey = true

        entryScratch.removeAll()
        var flags: UInt8 = 0
        if ttl != nil { flags |= 1 }
        if namespace != nil { flags |= 2 }
        if userKey != nil { flags |= 4 }
        entryScratch.writeU8(flags)
        entryScratch.writeBytes(key)
        if let namespace { entryScratch.writeBytes(namespace) }
        if let userKey { entryScratch.writeBytes(userKey) }
        entryScratch.writeBytes(value)
        if let ttl { entryScratch.writeI64(ttl) }
        guard entryScratch.count <= FileLayout.maxDataBlockRawLength else {
            throw WriterError("one entry of \(entryScratch.count) bytes exceeds the 64 MiB block limit")
        }
        if block.count > 0 && block.count + entryScratch.count > options.maxBlockSize {
            try flushBlock(kind: .keyedEntries)
        }
        block.writeRaw(entryScratch.bytes)
        segmentEntries += 1
        entryCount += 1
        if block.count >= options.minBlockSize {
            cutScratch.removeAll(keepingCapacity: true)
            cutScratch += key
            if let namespace { cutScratch += namespace }
            if let userKey { cutScratch += userKey }
            let mask = (UInt32(1) << UInt32(options.cutMaskBits)) - 1
            if Murmur3.hash32(cutScratch) & mask == 0 { try flushBlock(kind: .keyedEntries) }
        }
        keyedUnit = unit
    }

    /// Compares the new triple with the previous one, decoding the previous from its length-prefixed form.
    private static func tripleLess(previous: [UInt8], key: [UInt8], namespace: [UInt8], userKey: [UInt8]) -> Bool {
        var r = ByteReader(previous)
        guard let pk = try? r.readBytesRange(), let pn = try? r.readBytesRange(), let pu = try? r.readBytesRange() else { return false }
        for (a, b) in [(previous[pk], key[...]), (previous[pn], namespace[...]), (previous[pu], userKey[...])] {
            if a.elementsEqual(b) { continue }
            return a.lexicographicallyPrecedes(b)
        }
        return false
    }

    private func closeSegment(_ unit: inout KeyedStateUnit) throws {
        guard segmentKeyGroup >= 0, segmentEntries > 0 else { return }
        try flushBlock(kind: .keyedEntries)
        unit.segments.append(
            KeyGroupSegment(keyGroup: segmentKeyGroup, entryCount: segmentEntries,
                            blocks: BlockSpan(first: segmentFirstBlock, count: blocks.count - segmentFirstBlock)))
        segmentEntries = 0
    }

    public func endKeyedState() throws {
        guard var unit = keyedUnit else { throw WriterError("endKeyedState without beginKeyedState") }
        try closeSegment(&unit)
        currentSubtask?.keyed.append(unit)
        keyedUnit = nil
        segmentKeyGroup = -1
    }

    // MARK: Operator state, channels, splits

    /// Writes a list or union operator state (elements in order), or a broadcast state's entries (sorted here).
    public func writeOperatorState(_ name: String, elements: [[UInt8]]) throws {
        let i = try state(named: name, keyed: false)
        guard currentOperator!.states[i].kind != .broadcast else {
            throw WriterError("state '\(name)' is broadcast state; use writeBroadcastState")
        }
        try enterPhase(.operatorState, stateIndex: i, name: name)
        let first = blocks.count
        for e in elements {
            entryScratch.removeAll()
            entryScratch.writeBytes(e)
            try appendRecord(kind: .operatorElements)
        }
        try flushBlock(kind: .operatorElements)
        currentSubtask?.operatorState.append(
            OperatorStateUnit(stateIndex: i, elementCount: elements.count, blocks: BlockSpan(first: first, count: blocks.count - first)))
    }

    public func writeBroadcastState(_ name: String, entries: [(key: [UInt8], value: [UInt8])]) throws {
        let i = try state(named: name, keyed: false)
        guard currentOperator!.states[i].kind == .broadcast else {
            throw WriterError("state '\(name)' is not broadcast state; use writeOperatorState")
        }
        try enterPhase(.operatorState, stateIndex: i, name: name)
        let sorted = entries.sorted { $0.key.lexicographicallyPrecedes($1.key) }
        for (a, b) in zip(sorted, sorted.dropFirst()) where a.key == b.key {
            throw WriterError("broadcast state '\(name)' has a duplicate key 0x\(Hex.encode(a.key))")
        }
        let first = blocks.count
        for e in sorted {
            entryScratch.removeAll()
            entryScratch.writeBytes(e.key)
            entryScratch.writeBytes(e.value)
            try appendRecord(kind: .broadcastEntries)
        }
        try flushBlock(kind: .broadcastEntries)
        currentSubtask?.operatorState.append(
            OperatorStateUnit(stateIndex: i, elementCount: sorted.count, blocks: BlockSpan(first: first, count: blocks.count - first)))
    }

    private func enterPhase(_ p: Phase, stateIndex: Int?, name: String) throws(WriterError) {
        guard keyedUnit == nil else { throw WriterError("'\(name)' written while keyed state is open") }
        guard p.rawValue >= phase.rawValue else {
            throw WriterError("'\(name)' comes too late: keyed state, then operator state, then channels")
        }
        phase = p
        if let stateIndex, let last = currentSubtask?.operatorState.last, last.stateIndex >= stateIndex {
            throw WriterError("operator states must be written in name order; '\(name)' comes too late")
        }
    }

    /// Writes the persisted buffers of one channel, sequence numbers strictly ascending.
    public func writeChannel(_ channel: ChannelID, buffers: [(sequence: UInt64, data: [UInt8])]) throws {
        guard currentSubtask != nil else { throw WriterError("channel written outside a subtask") }
        try enterPhase(.channels, stateIndex: nil, name: "\(channel)")
        if let last = currentSubtask?.channels.last, !(last.channel < channel) {
            throw WriterError("channels must be written in ascending order: \(channel) after \(last.channel)")
        }
        let first = blocks.count
        var previous: UInt64?
        for b in buffers {
            if let p = previous, p >= b.sequence {
                throw WriterError("\(channel): buffer sequence numbers must ascend strictly")
            }
            previous = b.sequence
            entryScratch.removeAll()
            entryScratch.writeVarint(b.sequence)
            entryScratch.writeBytes(b.data)
            try appendRecord(kind: .inFlightBuffers)
        }
        try flushBlock(kind: .inFlightBuffers)
        currentSubtask?.channels.append(ChannelUnit(channel: channel, bufferCount: buffers.count, blocks: BlockSpan(first: first, count: blocks.count - first)))
    }

    /// Records a source split's position; splits are sorted by id when the subtask ends.
    public func addSplit(_ split: SourceSplit) throws(WriterError) {
        guard currentSubtask != nil else { throw WriterError("split written outside a subtask") }
        if currentSubtask!.splits.contains(where: { $0.splitId == split.splitId }) {
            throw WriterError("split '\(split.splitId)' added twice")
        }
        currentSubtask!.splits.append(split)
        currentSubtask!.splits.sort { Array($0.splitId.utf8).lexicographicallyPrecedes(Array($1.splitId.utf8)) }
    }

    // MARK: Blocks

    private func appendRecord(kind: BlockKind) throws {
        guard entryScratch.count <= FileLayout.maxDataBlockRawLength else {
            throw WriterError("one element of \(entryScratch.count) bytes exceeds the 64 MiB block limit")
        }
        if block.count > 0 && block.count + entryScratch.count > options.maxBlockSize { try flushBlock(kind: kind) }
        block.writeRaw(entryScratch.bytes)
    }

    private func writeOpaque(_ bytes: [UInt8], kind: BlockKind) throws -> BlockSpan {
        let first = blocks.count
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + options.maxBlockSize)
            block.writeRaw(bytes[start..<end])
            try flushBlock(kind: kind)
            start = end
        }
        return BlockSpan(first: first, count: blocks.count - first)
    }

    private func flushBlock(kind: BlockKind) throws {
        guard block.count > 0 else { return }
        let raw = block.bytes
        let (codec, stored) = compressor.compress(raw)
        var header = BlockHeader(kind: kind, codec: codec.rawValue, rawLength: UInt32(raw.count), storedLength: UInt32(stored.count), crc: 0)
        let prefix = header.prefixBytes()
        header.crc = stored.withUnsafeBytes { BlockHeader.checksum(prefix: prefix, stored: $0) }
        try sink.write(header.bytes())
        try sink.write(stored)
        blocks.append(BlockEntry(offset: offset, kind: kind, codec: codec.rawValue, rawLength: raw.count, storedLength: stored.count, crc: header.crc))
        offset += UInt64(FileLayout.blockHeaderSize + stored.count)
        rawBytes += UInt64(raw.count)
        block.removeAll()
    }

    // MARK: Finish

    /// Writes the index and footer and commits the sink. Nothing is visible at the destination before this.
    @discardableResult
    public func finish() throws -> WriteSummary {
        try ensureNoOperator()
        let index = SnapshotIndex(metadata: metadata, serializers: serializers, blocks: blocks, operators: operators)
        let raw = index.encode()
        guard raw.count <= FileLayout.maxIndexRawLength else { throw WriterError("the index exceeds 1 GiB") }
        let (codec, stored) = compressor.compress(raw)
        var header = BlockHeader(kind: .index, codec: codec.rawValue, rawLength: UInt32(raw.count), storedLength: UInt32(stored.count), crc: 0)
        let prefix = header.prefixBytes()
        header.crc = stored.withUnsafeBytes { BlockHeader.checksum(prefix: prefix, stored: $0) }
        let indexOffset = offset
        let indexLength = UInt64(FileLayout.blockHeaderSize + stored.count)
        try sink.write(header.bytes())
        try sink.write(stored)
        try sink.write(FileLayout.footer(indexOffset: indexOffset, indexLength: indexLength))
        try sink.commit()
        finished = true
        let storedData = blocks.reduce(UInt64(0)) { $0 + UInt64($1.storedLength) }
        return WriteSummary(
            fileSize: indexOffset + indexLength + UInt64(FileLayout.footerSize), blockCount: blocks.count,
            rawBytes: rawBytes, storedBytes: storedData, indexLength: indexLength, entryCount: entryCount)
    }
}
