import CairnCore

/// Reads every block of a native snapshot and checks what only the data can show: checksums, decoding,
/// entry counts, ordering, the key group of every key and typed values against their schemas.
///
/// It keeps going after a problem so that one run names every damaged block; memory stays at one block.
public struct SnapshotVerifier {
    public let reader: SnapshotReader
    /// Stops after this many problems.
    public var limit: Int

    public init(reader: SnapshotReader, limit: Int = 1000) {
        self.reader = reader
        self.limit = limit
    }

    public func verify(progress: ((Int64) -> Void)? = nil) -> [ValidationProblem] {
        var problems: [ValidationProblem] = []
        let idx = reader.index
        var checked = Set<Int>()
        func add(_ p: ValidationProblem) { if problems.count < limit { problems.append(p) } }
        func problem(_ code: DecodeError.Code, _ message: String, _ loc: SnapshotLocation) {
            add(ValidationProblem(code: code.rawValue, message, at: loc))
        }
        /// Reads a block, reporting instead of throwing.
        func block(_ b: Int, _ loc: SnapshotLocation) -> [UInt8]? {
            checked.insert(b)
            progress?(idx.blocks[b].size)
            do { return try reader.readBlock(b, at: loc) } catch {
                add(ValidationProblem(error))
                return nil
            }
        }
        func locate(_ loc: SnapshotLocation, block b: Int) -> SnapshotLocation {
            var l = loc
            l.block = b
            l.offset = idx.blocks[b].offset
            return l
        }

        for (oi, op) in idx.operators.enumerated() {
            if op.coordinator.count > 0 {
                for b in op.coordinator.range { _ = block(b, reader.location(operator: oi)) }
            }
            for st in op.subtasks {
                for u in st.keyed {
                    let d = op.states[u.stateIndex]
                    let schema = d.valueSerializer.flatMap { idx.serializers[$0].schema }
                    for seg in u.segments {
                        let loc = reader.location(operator: oi, subtask: st.index, state: d.name, keyGroup: seg.keyGroup)
                        var count = 0
                        var previous: KeyedEntry?
                        var intact = true
                        var reportedSchema = false
                        for b in seg.blocks.range {
                            guard let raw = block(b, loc) else { intact = false; continue }
                            let entries: [KeyedEntry]
                            do { entries = try KeyedEntry.decodeAll(raw) } catch {
                                problem(error.code, "entry at decoded byte \(error.offset): \(error.message)", locate(loc, block: b))
                                intact = false
                                continue
                            }
                            for e in entries {
                                count += 1
                                let kg = e.keyBytes.withUnsafeBytes { KeyGroupRange.keyGroup(ofKey: $0, maxParallelism: op.info.maxParallelism) }
                                if kg != seg.keyGroup {
                                    problem(.invalidValue, "key 0x\(Hex.encode(e.keyBytes.prefix(32))) hashes to key group \(kg), but is stored in key group \(seg.keyGroup)", locate(loc, block: b))
                                }
                                if let p = previous, !p.precedes(e) {
                                    problem(.outOfOrder, "entries are not in strictly ascending (key, namespace, userKey) order at key 0x\(Hex.encode(e.keyBytes.prefix(32)))", locate(loc, block: b))
                                }
                                if let schema, !reportedSchema {
                                    do {
                                        var vr = ByteReader(e.block, from: e.value.lowerBound, to: e.value.upperBound)
                                        try TypedValue.validate(schema, from: &vr)
                                        try vr.expectEnd("typed value")
                                    } catch {
                                        problem(error.code, "value of key 0x\(Hex.encode(e.keyBytes.prefix(32))) does not decode as \(schema): \(error.message)", locate(loc, block: b))
                                        reportedSchema = true
                                    }
                                }
                                previous = e
                            }
                        }
                        if intact && count != seg.entryCount {
                            problem(.invalidValue, "index records \(seg.entryCount) entries, blocks hold \(count)", loc)
                        }
                    }
                }
                for u in st.operatorState {
                    let d = op.states[u.stateIndex]
                    let loc = reader.location(operator: oi, subtask: st.index, state: d.name)
                    var count = 0
                    var intact = true
                    var lastKey: [UInt8]?
                    for b in u.blocks.range {
                        guard let raw = block(b, loc) else { intact = false; continue }
                        do {
                            if d.kind == .broadcast {
                                let entries = try BlockContent.broadcastEntries(raw)
                                if let lk = lastKey, let first = entries.first, !lk.lexicographicallyPrecedes(first.key) {
                                    problem(.outOfOrder, "broadcast keys are not strictly ascending across blocks", locate(loc, block: b))
                                }
                                lastKey = entries.last?.key ?? lastKey
                                count += entries.count
                            } else {
                                count += try BlockContent.elements(raw).count
                            }
                        } catch {
                            problem(error.code, "at decoded byte \(error.offset): \(error.message)", locate(loc, block: b))
                            intact = false
                        }
                    }
                    if intact && count != u.elementCount {
                        problem(.invalidValue, "index records \(u.elementCount) elements, blocks hold \(count)", loc)
                    }
                }
                for c in st.channels {
                    var loc = reader.location(operator: oi, subtask: st.index)
                    loc.state = "\(c.channel)"
                    var count = 0
                    var intact = true
                    var lastSeq: UInt64?
                    for b in c.blocks.range {
                        guard let raw = block(b, loc) else { intact = false; continue }
                        do {
                            let buffers = try BlockContent.buffers(raw)
                            if let ls = lastSeq, let first = buffers.first, ls >= first.sequence {
                                problem(.outOfOrder, "buffer sequence numbers are not strictly ascending across blocks", locate(loc, block: b))
                            }
                            lastSeq = buffers.last?.sequence ?? lastSeq
                            count += buffers.count
                        } catch {
                            problem(error.code, "at decoded byte \(error.offset): \(error.message)", locate(loc, block: b))
                            intact = false
                        }
                    }
                    if intact && count != c.bufferCount {
                        problem(.invalidValue, "index records \(c.bufferCount) buffers, blocks hold \(count)", loc)
                    }
                }
            }
        }
        // Optional extension blocks belong to no unit; their checksums are still checked.
        for b in idx.blocks.indices where !checked.contains(b) {
            _ = block(b, SnapshotLocation(file: reader.source.name))
        }
        return problems
    }
}
