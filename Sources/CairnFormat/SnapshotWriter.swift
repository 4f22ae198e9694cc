import CairnCore
import CairnModel
import Dispatch

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a snapshot in one streaming pass with memory bounded by the block size and the index.
///
/// Callers describe the snapshot in the canonical order of format spec §10 — operators by id, and inside a
/// subtask keyed states, then operator states, then channels, each by name or id, keyed entries by key group
/// and key — and the writer refuses anything else, which is what makes the output deterministic.
public final class SnapshotWriter {
    private let sink: any ByteSink
    private let options: WriterOptions
    private let compressors: [BlockCompressor]
    /// Blocks cut but not yet compressed and written; at most `2 × compressionThreads`, so memory stays bounded.
    private var pending: [(kind: BlockKind, raw: [UInt8])] = []
    /// Number of blocks cut so far (written plus pending): the number the next block will get.
    private var blockCount = 0
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
    private enum Phase: Int { case keyed, operatorState, channels, opaque }
    private var opaqueUnit: OpaqueStateUnit?
    private var phase: Phase = .keyed

    // The keyed unit being written.
    private var keyedUnit: KeyedStateUnit?
    private var segmentKeyGroup = -1
    private var segmentEntries = 0
    private var segmentFirstBlock = 0
    private var keyedRange: KeyGroupRange?
    private var keyedMaxParallelism = 1
    private var keyed: KeyedBlockBuilder
    /// The block being filled by operator state, channels and opaque data.
    private var block = ByteWriter(capacity: 1 << 16)
    private var entryScratch = ByteWriter(capacity: 4096)

    /// The base when writing a delta (format spec §13).
    public let base: DeltaBase?

    /// Starts a snapshot. With a `base`, the snapshot is a delta on it: its structure (operators, states, subtasks,
    /// operator state, channels, splits) is complete as usual, but its keyed state holds only what changed since the
    /// base — `append` for entries added or changed, `appendTombstone` for entries removed; unchanged keys are
    /// simply not written. Readers merge it with the base (`SnapshotChain`), which must stay next to it as `base.file`.
    public init(sink: any ByteSink, metadata: SnapshotMetadata, options: WriterOptions = WriterOptions(), base: DeltaBase? = nil) throws {
        if let base {
            guard DeltaBase.isValidFileName(base.file) else {
                throw WriterError("base file name '\(base.file)' must be a plain file name: a delta's base lives in the same directory")
            }
            guard base.depth >= 1, base.depth <= FileLayout.maxChainDepth else {
                throw WriterError("a delta chain may be at most \(FileLayout.maxChainDepth) deep; compact it (`cairn rewrite --compact`) first")
            }
        }
        self.sink = sink
        self.metadata = metadata
        self.options = options
        self.base = base
        self.keyed = KeyedBlockBuilder(options: options)
        self.compressors = (0..<max(1, options.compressionThreads)).map { _ in BlockCompressor(options.compression) }
        try sink.write(FileLayout.header(delta: base != nil))
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
        guard keyedUnit == nil, opaqueUnit == nil else { throw WriterError("endSubtask while keyed or opaque state is open") }
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
        keyedRange = range
        keyedMaxParallelism = info.maxParallelism
        segmentKeyGroup = -1
        keyed.resetOrder()
    }

    /// Appends one entry; entries arrive by key group, then by (key, namespace, userKey).
    public func append(
        key: [UInt8], namespace: [UInt8]? = nil, userKey: [UInt8]? = nil, value: [UInt8], ttl: Int64? = nil
    ) throws {
        try appendEntry(key: key, namespace: namespace, userKey: userKey, value: value, ttl: ttl)
    }

    /// In a delta, records that the entry at (key, namespace, userKey) was removed since the base. Tombstones sort
    /// among the entries like any other entry.
    public func appendTombstone(key: [UInt8], namespace: [UInt8]? = nil, userKey: [UInt8]? = nil) throws {
        guard base != nil else { throw WriterError("tombstones belong to a delta; this writer has no base") }
        try appendEntry(key: key, namespace: namespace, userKey: userKey, value: nil, ttl: nil)
    }

    /// In a delta, starts key group `keyGroup` with a reset mark: the base's entries of the key group are dropped and
    /// the entries that follow are the whole key group. Cheaper than listing changes when most of a key group
    /// changed (windows that move on, state rebuilt each checkpoint).
    public func appendReset(keyGroup kg: Int) throws {
        guard base != nil else { throw WriterError("a reset mark belongs to a delta; this writer has no base") }
        guard let range = keyedRange else { throw WriterError("appendReset outside keyed state") }
        guard range.contains(kg) else { throw WriterError("key group \(kg) does not belong to this subtask's range \(range)") }
        guard kg > segmentKeyGroup else { throw WriterError("a reset mark comes first in its key group, before any entry: key group \(kg) after \(segmentKeyGroup)") }
        try closeSegment()
        segmentKeyGroup = kg
        segmentFirstBlock = blockCount
        segmentEntries = 1
        entryCount += 1
        keyed.resetOrder()
        keyed.appendReset()
    }

    private func appendEntry(key: [UInt8], namespace: [UInt8]?, userKey: [UInt8]?, value: [UInt8]?, ttl: Int64?) throws {
        guard let range = keyedRange else { throw WriterError("append outside keyed state") }
        let kg = KeyGroupRange.keyGroup(ofKey: key, maxParallelism: keyedMaxParallelism)
        guard range.contains(kg) else {
            throw WriterError("key in key group \(kg) does not belong to this subtask's range \(range)")
        }
        if kg != segmentKeyGroup {
            guard kg > segmentKeyGroup else {
                throw WriterError("entries must be ordered by key group: \(kg) after \(segmentKeyGroup)")
            }
            try closeSegment()
            segmentKeyGroup = kg
            segmentFirstBlock = blockCount
            segmentEntries = 0
            keyed.resetOrder()
        }
        guard keyed.checkOrder(key: key, namespace: namespace, userKey: userKey) else {
            throw WriterError("entries of key group \(kg) must be in strictly ascending (key, namespace, userKey) order")
        }
        var size = KeyedBlockBuilder.size(key: key.count, namespace: namespace?.count, userKey: userKey?.count, value: value?.count ?? 0, ttl: ttl != nil)
        if value == nil { size -= 1 }
        guard size <= FileLayout.maxDataBlockRawLength else {
            throw WriterError("one entry of \(size) bytes exceeds the 64 MiB block limit")
        }
        if keyed.mustCutBefore(size) { try flushKeyedBlock() }
        let cut = keyed.append(key: key, namespace: namespace, userKey: userKey, value: value, ttl: ttl)
        segmentEntries += 1
        entryCount += 1
        if cut { try flushKeyedBlock() }
    }

    private func flushKeyedBlock() throws {
        swap(&block, &keyed.block)
        try flushBlock(kind: .keyedEntries)
        swap(&block, &keyed.block)
    }

    private func closeSegment() throws {
        guard segmentKeyGroup >= 0, segmentEntries > 0 else { return }
        try flushKeyedBlock()
        keyedUnit?.segments.append(
            KeyGroupSegment(keyGroup: segmentKeyGroup, entryCount: segmentEntries,
                            blocks: BlockSpan(first: segmentFirstBlock, count: blockCount - segmentFirstBlock)))
        segmentEntries = 0
    }

    public func endKeyedState() throws {
        guard keyedUnit != nil else { throw WriterError("endKeyedState without beginKeyedState") }
        try closeSegment()
        currentSubtask?.keyed.append(keyedUnit!)
        keyedUnit = nil
        keyedRange = nil
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
        let first = blockCount
        for e in elements {
            entryScratch.removeAll()
            entryScratch.writeBytes(e)
            try appendRecord(kind: .operatorElements)
        }
        try flushBlock(kind: .operatorElements)
        currentSubtask?.operatorState.append(
            OperatorStateUnit(stateIndex: i, elementCount: elements.count, blocks: BlockSpan(first: first, count: blockCount - first)))
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
        let first = blockCount
        for e in sorted {
            entryScratch.removeAll()
            entryScratch.writeBytes(e.key)
            entryScratch.writeBytes(e.value)
            try appendRecord(kind: .broadcastEntries)
        }
        try flushBlock(kind: .broadcastEntries)
        currentSubtask?.operatorState.append(
            OperatorStateUnit(stateIndex: i, elementCount: sorted.count, blocks: BlockSpan(first: first, count: blockCount - first)))
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
        let first = blockCount
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
        currentSubtask?.channels.append(ChannelUnit(channel: channel, bufferCount: buffers.count, blocks: BlockSpan(first: first, count: blockCount - first)))
    }

    /// Starts a unit of state carried byte for byte from another engine; units come last in a subtask, ordered by
    /// (role, origin). Append the bytes with `appendOpaque`, then call `endOpaque`.
    public func beginOpaque(
        role: OpaqueStateUnit.Role, origin: String, keyGroups: KeyGroupRange = KeyGroupRange(start: 0, count: 0),
        recordedSize: UInt64, namedOffsets: [OpaqueStateUnit.NamedOffsets] = []
    ) throws {
        guard currentSubtask != nil, opaqueUnit == nil else { throw WriterError("opaque state begun outside a subtask or inside another") }
        try enterPhase(.opaque, stateIndex: nil, name: origin)
        if let p = currentSubtask?.opaque.last {
            let ascending = p.role.rawValue < role.rawValue
                || (p.role == role && Array(p.origin.utf8).lexicographicallyPrecedes(Array(origin.utf8)))
            guard ascending else { throw WriterError("opaque units must be written by (role, origin), strictly ascending: '\(origin)' comes too late") }
        }
        opaqueUnit = OpaqueStateUnit(role: role, origin: origin, keyGroups: keyGroups, recordedSize: recordedSize,
                                     namedOffsets: namedOffsets, blocks: BlockSpan(first: blockCount, count: 0))
    }

    public func appendOpaque(_ bytes: [UInt8]) throws {
        guard opaqueUnit != nil else { throw WriterError("appendOpaque outside an opaque unit") }
        var start = 0
        while start < bytes.count {
            let room = options.maxBlockSize - block.count
            let end = min(bytes.count, start + room)
            block.writeRaw(bytes[start..<end])
            if block.count >= options.maxBlockSize { try flushBlock(kind: .opaqueState) }
            start = end
        }
    }

    public func endOpaque() throws {
        guard var unit = opaqueUnit else { throw WriterError("endOpaque without beginOpaque") }
        try flushBlock(kind: .opaqueState)
        unit.blocks = BlockSpan(first: unit.blocks.first, count: blockCount - unit.blocks.first)
        currentSubtask?.opaque.append(unit)
        opaqueUnit = nil
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
        let first = blockCount
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + options.maxBlockSize)
            block.writeRaw(bytes[start..<end])
            try flushBlock(kind: kind)
            start = end
        }
        return BlockSpan(first: first, count: blockCount - first)
    }

    /// Cuts the current block; compression happens in batches on all cores.
    private func flushBlock(kind: BlockKind) throws {
        guard block.count > 0 else { return }
        pending.append((kind, block.bytes))
        block.removeAll()
        blockCount += 1
        if pending.count >= 2 * compressors.count { try submitPending() }
    }

    /// A batch of blocks compressing in the background while the caller goes on encoding the next one.
    private struct Batch {
        let jobs: [(kind: BlockKind, raw: [UInt8])]
        let results: ResultSlots
        let group: DispatchGroup
    }

    private var inFlight: Batch?

    /// Writes the batch in flight (after waiting for it), then starts compressing the pending blocks. At most two
    /// batches exist at once, so memory stays at about `4 × compressionThreads` blocks.
    private func submitPending() throws {
        try writeInFlight()
        guard !pending.isEmpty else { return }
        let jobs = pending
        pending.removeAll(keepingCapacity: true)
        let workers = min(compressors.count, jobs.count)
        let results = ResultSlots(count: jobs.count)
        let pool = CompressorPool(compressors)
        let group = DispatchGroup()
        for w in 0..<workers {
            DispatchQueue.global().async(group: group) {
                for i in stride(from: w, to: jobs.count, by: workers) { results[i] = pool[w].compress(jobs[i].raw) }
            }
        }
        inFlight = Batch(jobs: jobs, results: results, group: group)
    }

    private func writeInFlight() throws {
        guard let batch = inFlight else { return }
        batch.group.wait()
        inFlight = nil
        for (i, job) in batch.jobs.enumerated() {
            let (codec, stored) = batch.results[i]!
            var header = BlockHeader(kind: job.kind, codec: codec.rawValue, rawLength: UInt32(job.raw.count), storedLength: UInt32(stored.count), crc: 0)
            let prefix = header.prefixBytes()
            header.crc = stored.withUnsafeBytes { BlockHeader.checksum(prefix: prefix, stored: $0) }
            try sink.write(header.bytes())
            try sink.write(stored)
            blocks.append(BlockEntry(offset: offset, kind: job.kind, codec: codec.rawValue, rawLength: job.raw.count, storedLength: stored.count, crc: header.crc))
            offset += UInt64(FileLayout.blockHeaderSize + stored.count)
            rawBytes += UInt64(job.raw.count)
        }
    }

    // MARK: Finish

    /// Writes the index and footer and commits the sink. Nothing is visible at the destination before this.
    @discardableResult
    public func finish() throws -> WriteSummary {
        try ensureNoOperator()
        try submitPending()
        try writeInFlight()
        let index = SnapshotIndex(metadata: metadata, serializers: serializers, blocks: blocks, operators: operators, base: base)
        let raw = index.encode()
        guard raw.count <= FileLayout.maxIndexRawLength else { throw WriterError("the index exceeds 1 GiB") }
        let (codec, stored) = compressors[0].compress(raw)
        var header = BlockHeader(kind: .index, codec: codec.rawValue, rawLength: UInt32(raw.count), storedLength: UInt32(stored.count), crc: 0)
        let prefix = header.prefixBytes()
        header.crc = stored.withUnsafeBytes { BlockHeader.checksum(prefix: prefix, stored: $0) }
        let indexOffset = offset
        let indexLength = UInt64(FileLayout.blockHeaderSize + stored.count)
        try sink.write(header.bytes())
        try sink.write(stored)
        try sink.write(FileLayout.footer(indexOffset: indexOffset, indexLength: indexLength, delta: base != nil))
        try sink.commit()
        finished = true
        let storedData = blocks.reduce(UInt64(0)) { $0 + UInt64($1.storedLength) }
        return WriteSummary(
            fileSize: indexOffset + indexLength + UInt64(FileLayout.footerSize), blockCount: blocks.count,
            rawBytes: rawBytes, storedBytes: storedData, indexLength: indexLength, entryCount: entryCount)
    }
}

/// Slots that parallel workers fill at distinct indexes.
private final class ResultSlots: Sendable {
    private let slots: Locked<[(BlockCodec, [UInt8])?]>
    init(count: Int) { slots = Locked(Array(repeating: nil, count: count)) }

    subscript(i: Int) -> (BlockCodec, [UInt8])? {
        get { slots.withLock { $0[i] } }
        set { slots.withLock { $0[i] = newValue } }
    }
}

/// Compressors handed to workers; worker `w` uses only compressor `w`, and a batch starts only after the previous
/// one finished, so no compressor is ever used by two threads at once.
private struct CompressorPool: @unchecked Sendable {
    let compressors: [BlockCompressor]
    init(_ compressors: [BlockCompressor]) { self.compressors = compressors }
    subscript(i: Int) -> BlockCompressor { compressors[i] }
}
