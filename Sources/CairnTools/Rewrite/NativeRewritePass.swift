import CairnCore
import CairnFormat
import CairnModel

/// The writing half of a native rewrite: walks the output operators in id order and streams each unit of the
/// input through its transforms into a `SnapshotWriter`, collecting what it changed for the report.
struct NativeRewritePass {
    let reader: SnapshotReader
    let resolved: ResolvedRewrite
    let writer: SnapshotWriter
    let sortDirectory: String
    let sortMemory: Int
    /// Changes found while writing (counts), in operator order.
    private(set) var changes: [String] = []

    /// What happened to one operator's values while it was written.
    struct Counts {
        var expired: [Int: Int] = [:]
        var migrated: [Int: Int] = [:]
        var rehashed = 0
        var droppedBuffers = 0
        var droppedChannels = 0
    }

    init(reader: SnapshotReader, resolved: ResolvedRewrite, sink: any ByteSink, options: WriterOptions, sortDirectory: String, sortMemory: Int) throws {
        self.reader = reader
        self.resolved = resolved
        self.writer = try SnapshotWriter(sink: sink, metadata: reader.index.metadata, options: options)
        self.sortDirectory = sortDirectory
        self.sortMemory = sortMemory
        for s in resolved.serializers { writer.addSerializer(s) }
    }

    mutating func write() throws -> WriteSummary {
        for o in resolved.operators { try writeOperator(o) }
        return try writer.finish()
    }

    private mutating func writeOperator(_ o: OutputOperator) throws {
        let input = reader.index.operators[o.input]
        try writer.beginOperator(o.info, states: o.states)
        if input.coordinator.count > 0 {
            try writer.writeCoordinatorState(try reader.readOpaque(input.coordinator, at: reader.location(operator: o.input)))
        }
        var counts = Counts()
        if o.rescales {
            try writeRescaled(o, &counts)
        } else {
            for st in input.subtasks { try copySubtask(o, st, &counts) }
        }
        try writer.endOperator()
        report(o, counts)
    }

    private mutating func report(_ o: OutputOperator, _ counts: Counts) {
        let input = reader.index.operators[o.input]
        for (si, t) in o.transforms.sorted(by: { $0.key < $1.key }) {
            let name = "\(o.label)/\(input.states[si].name)"
            if t.expireAtOrBefore != nil {
                changes.append("expired \(Self.grouped(counts.expired[si] ?? 0)) entries of \(name)")
            }
            if let m = t.migration {
                changes.append("migrated \(Self.grouped(counts.migrated[si] ?? 0)) values of \(name) v\(m.from) → v\(m.to)")
            }
            if !t.closures.isEmpty {
                let ser = o.states[si].valueSerializer.map { resolved.serializers[$0] }
                let now = ser.map { "; value serializer \($0.name) v\($0.version)" } ?? ""
                changes.append("migrated \(Self.grouped(counts.migrated[si] ?? 0)) values of \(name) with a Swift migration\(now)")
            }
        }
        if let p = o.newParallelism {
            var line = "rescaled \(o.label) \(input.info.parallelism) → \(p)"
            if o.newMaxParallelism == nil {
                let m = input.info.maxParallelism
                let moved = (0..<m).filter {
                    KeyGroupRange.subtask(owning: $0, parallelism: input.info.parallelism, maxParallelism: m)
                        != KeyGroupRange.subtask(owning: $0, parallelism: p, maxParallelism: m)
                }.count
                line += ": moved \(Self.grouped(moved)) of \(m) key groups"
            }
            if o.dropChannels {
                line += "; dropped \(Self.grouped(counts.droppedBuffers)) in-flight buffers of \(counts.droppedChannels) channels"
            }
            changes.append(line)
        }
        if let m = o.newMaxParallelism {
            changes.append("changed max parallelism of \(o.label) \(input.info.maxParallelism) → \(m): re-hashed \(Self.grouped(counts.rehashed)) entries into new key groups")
        }
    }

    /// 1234567 → "1 234 567", for people reading counts.
    static func grouped(_ n: Int) -> String {
        let digits = Array(String(n.magnitude))
        var out = ""
        for (i, d) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(" ") }
            out.append(d)
        }
        return (n < 0 ? "-" : "") + out
    }

    // MARK: Subtasks kept as they are

    private mutating func copySubtask(_ o: OutputOperator, _ st: SubtaskIndex, _ counts: inout Counts) throws {
        try writer.beginSubtask(st.index)
        for u in st.keyed {
            try writer.beginKeyedState(o.states[u.stateIndex].name, range: u.range)
            for seg in u.segments {
                try forEachTransformed(o, u.stateIndex, subtask: st.index, seg, &counts) { e, value in
                    try writer.append(key: Array(e.keyBytes), namespace: e.namespaceBytes.map(Array.init),
                                      userKey: e.userKeyBytes.map(Array.init), value: value, ttl: e.ttl)
                }
            }
            try writer.endKeyedState()
        }
        for u in st.operatorState { try writeOperatorState(o, u.stateIndex, subtask: st.index, from: [(st.index, u)], &counts) }
        for c in st.channels {
            try writer.writeChannel(c.channel, buffers: try buffers(o.input, st.index, c))
        }
        for split in st.splits { try writer.addSplit(SourceSplit(splitId: split.splitId, position: o.offsets[split.splitId] ?? split.position)) }
        for u in st.opaque {
            try writer.beginOpaque(role: u.role, origin: u.origin, keyGroups: u.keyGroups, recordedSize: u.recordedSize, namedOffsets: u.namedOffsets)
            for b in u.blocks.range { try writer.appendOpaque(try reader.readBlock(b, at: reader.location(operator: o.input, subtask: st.index, state: u.origin))) }
            try writer.endOpaque()
        }
        try writer.endSubtask()
    }

    // MARK: Values

    /// Calls `body` with each entry of a segment that survives TTL expiry, and its (migrated) value.
    func forEachTransformed(
        _ o: OutputOperator, _ si: Int, subtask: Int, _ seg: KeyGroupSegment, _ counts: inout Counts,
        _ body: (KeyedEntry, [UInt8]) throws -> Void
    ) throws {
        let name = reader.index.operators[o.input].states[si].name
        let loc = reader.location(operator: o.input, subtask: subtask, state: name, keyGroup: seg.keyGroup)
        guard let t = o.transforms[si] else {
            try reader.forEachEntry(of: seg, at: loc) { e in try body(e, Array(e.valueBytes)) }
            return
        }
        var expired = 0
        var migrated = 0
        try reader.forEachEntry(of: seg, at: loc) { e in
            if let cut = t.expireAtOrBefore, let ttl = e.ttl, ttl <= cut {
                expired += 1
                return
            }
            var value = Array(e.valueBytes)
            if t.changesValues {
                switch t.applying(value) {
                case .success(let v): value = v
                case .failure(let rejection):
                    throw NativeRewriteError.valueRejected(operator: o.label, state: name, subtask: subtask, keyGroup: seg.keyGroup,
                                                           key: Array(e.keyBytes), reason: rejection.reason)
                }
                migrated += 1
            }
            try body(e, value)
        }
        counts.expired[si, default: 0] += expired
        counts.migrated[si, default: 0] += migrated
    }

    /// An operator-state element's or broadcast value's migrated bytes.
    private func transformed(_ value: [UInt8], _ o: OutputOperator, _ si: Int, subtask: Int, _ counts: inout Counts) throws -> [UInt8] {
        guard let t = o.transforms[si], t.changesValues else { return value }
        do {
            let out = try t.apply(value)
            counts.migrated[si, default: 0] += 1
            return out
        } catch {
            throw NativeRewriteError.valueRejected(operator: o.label, state: reader.index.operators[o.input].states[si].name, subtask: subtask,
                                                   keyGroup: nil, key: nil, reason: error.reason)
        }
    }

    // MARK: Operator state, channels

    /// Writes one operator state of the current subtask from units of input subtasks: their elements in order (list
    /// and union), or the first unit's entries (broadcast).
    mutating func writeOperatorState(
        _ o: OutputOperator, _ si: Int, subtask: Int, from units: [(subtask: Int, unit: OperatorStateUnit)], _ counts: inout Counts,
        slice: Range<Int>? = nil
    ) throws {
        let d = o.states[si]
        if d.kind == .broadcast {
            var entries: [(key: [UInt8], value: [UInt8])] = []
            if let first = units.first {
                for e in try broadcastEntries(o.input, first.subtask, first.unit) {
                    entries.append((e.key, try transformed(e.value, o, si, subtask: subtask, &counts)))
                }
            }
            try writer.writeBroadcastState(d.name, entries: entries)
            return
        }
        var elements: [[UInt8]] = []
        var at = 0
        for (st, u) in units {
            let range = at..<(at + u.elementCount)
            at = range.upperBound
            if let slice, !slice.overlaps(range) { continue }
            let all = try self.elements(o.input, st, u)
            let wanted = slice.map { all[max($0.lowerBound, range.lowerBound) - range.lowerBound..<min($0.upperBound, range.upperBound) - range.lowerBound] } ?? all[...]
            for e in wanted { elements.append(try transformed(e, o, si, subtask: subtask, &counts)) }
        }
        try writer.writeOperatorState(d.name, elements: elements)
    }

    private func decoded<T>(_ oi: Int, _ subtask: Int, _ state: String?, _ span: BlockSpan, _ decode: ([UInt8]) throws(DecodeError) -> [T]) throws -> [T] {
        var out: [T] = []
        let loc = reader.location(operator: oi, subtask: subtask, state: state)
        for b in span.range {
            let raw = try reader.readBlock(b, at: loc)
            do { out += try decode(raw) } catch {
                throw SnapshotError(error.code, "in decoded block at byte \(error.offset): \(error.message)", at: reader.location(operator: oi, subtask: subtask, state: state, block: b))
            }
        }
        return out
    }

    func elements(_ oi: Int, _ subtask: Int, _ u: OperatorStateUnit) throws -> [[UInt8]] {
        try decoded(oi, subtask, reader.index.operators[oi].states[u.stateIndex].name, u.blocks, BlockContent.elements)
    }

    func broadcastEntries(_ oi: Int, _ subtask: Int, _ u: OperatorStateUnit) throws -> [(key: [UInt8], value: [UInt8])] {
        try decoded(oi, subtask, reader.index.operators[oi].states[u.stateIndex].name, u.blocks, BlockContent.broadcastEntries)
    }

    func buffers(_ oi: Int, _ subtask: Int, _ c: ChannelUnit) throws -> [(sequence: UInt64, data: [UInt8])] {
        try decoded(oi, subtask, "\(c.channel)", c.blocks, BlockContent.buffers)
    }
}
