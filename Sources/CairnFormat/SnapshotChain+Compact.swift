import CairnCore
import CairnModel

extension SnapshotChain {
    /// Writes the merged view as one full snapshot: the top's metadata, structure and operator state, and keyed state
    /// with every delta applied. Memory holds one key group at a time.
    @discardableResult
    public func compact(to sink: any ByteSink, options: WriterOptions = WriterOptions()) throws -> WriteSummary {
        let reader = top
        let idx = reader.index
        let w = try SnapshotWriter(sink: sink, metadata: idx.metadata, options: options)
        for s in idx.serializers { w.addSerializer(s) }
        for (oi, op) in idx.operators.enumerated() {
            try w.beginOperator(op.info, states: op.states)
            if op.coordinator.count > 0 { try w.writeCoordinatorState(try reader.readOpaque(op.coordinator, at: reader.location(operator: oi))) }
            for st in op.subtasks {
                try w.beginSubtask(st.index)
                for u in st.keyed {
                    let name = op.states[u.stateIndex].name
                    try w.beginKeyedState(name, range: u.range)
                    for kg in u.range.start..<u.range.end {
                        for e in try mergedEntries(operator: op.info.id, state: name, keyGroup: kg) {
                            try w.append(key: Array(e.keyBytes), namespace: e.namespaceBytes.map(Array.init), userKey: e.userKeyBytes.map(Array.init),
                                         value: Array(e.valueBytes), ttl: e.ttl)
                        }
                    }
                    try w.endKeyedState()
                }
                for u in st.operatorState {
                    let d = op.states[u.stateIndex]
                    let loc = reader.location(operator: oi, subtask: st.index, state: d.name)
                    if d.kind == .broadcast {
                        var entries: [(key: [UInt8], value: [UInt8])] = []
                        for b in u.blocks.range { entries += try Self.decoded(reader, b, loc, BlockContent.broadcastEntries) }
                        try w.writeBroadcastState(d.name, entries: entries)
                    } else {
                        var elements: [[UInt8]] = []
                        for b in u.blocks.range { elements += try Self.decoded(reader, b, loc, BlockContent.elements) }
                        try w.writeOperatorState(d.name, elements: elements)
                    }
                }
                for c in st.channels {
                    var buffers: [(sequence: UInt64, data: [UInt8])] = []
                    for b in c.blocks.range { buffers += try Self.decoded(reader, b, reader.location(operator: oi, subtask: st.index), BlockContent.buffers) }
                    try w.writeChannel(c.channel, buffers: buffers)
                }
                for split in st.splits { try w.addSplit(split) }
                for u in st.opaque {
                    try w.beginOpaque(role: u.role, origin: u.origin, keyGroups: u.keyGroups, recordedSize: u.recordedSize, namedOffsets: u.namedOffsets)
                    for b in u.blocks.range { try w.appendOpaque(try reader.readBlock(b, at: reader.location(operator: oi, subtask: st.index, state: u.origin))) }
                    try w.endOpaque()
                }
                try w.endSubtask()
            }
            try w.endOperator()
        }
        return try w.finish()
    }

    static func decoded<T>(_ reader: SnapshotReader, _ block: Int, _ loc: SnapshotLocation, _ f: ([UInt8]) throws(DecodeError) -> [T]) throws -> [T] {
        let raw = try reader.readBlock(block, at: loc)
        do { return try f(raw) } catch {
            var l = loc
            l.block = block
            throw SnapshotError(error.code, "in decoded block at byte \(error.offset): \(error.message)", at: l, hint: SnapshotError.damagedHint)
        }
    }

    /// Compares the merged view with a full snapshot entry by entry: the first difference, or nil when they hold the
    /// same keyed state (same operators, states, key groups and entries). Used to prove a compaction.
    public func firstDifference(from full: SnapshotReader) throws -> String? {
        let mine = top.index.operators, theirs = full.index.operators
        guard mine.map(\.info.id) == theirs.map(\.info.id) else { return "the operators differ" }
        for (op, other) in zip(mine, theirs) {
            guard op.states == other.states, op.info == other.info else { return "operator \(op.info.displayName): its description differs" }
            let lookup = Dictionary(other.subtasks.flatMap { st in
                st.keyed.flatMap { u in u.segments.map { ("\(other.states[u.stateIndex].name)/\($0.keyGroup)", $0) } }
            }, uniquingKeysWith: { a, _ in a })
            for st in op.subtasks {
                for u in st.keyed {
                    let name = op.states[u.stateIndex].name
                    for kg in u.range.start..<u.range.end {
                        let merged = try mergedEntries(operator: op.info.id, state: name, keyGroup: kg)
                        var written: [KeyedEntry] = []
                        if let seg = lookup["\(name)/\(kg)"] {
                            try full.forEachEntry(of: seg, at: full.location(state: name, keyGroup: kg)) { written.append($0) }
                        }
                        guard merged.count == written.count else {
                            return "\(op.info.displayName)/\(name) key group \(kg): \(merged.count) merged entries, \(written.count) written"
                        }
                        for (a, b) in zip(merged, written) where !(a.samePosition(as: b) && a.valueBytes.elementsEqual(b.valueBytes) && a.ttl == b.ttl) {
                            return "\(op.info.displayName)/\(name) key group \(kg): entry 0x\(Hex.encode(a.keyBytes.prefix(32))) differs"
                        }
                    }
                }
            }
        }
        return nil
    }
}
