import CairnCore
import CairnModel

/// The canonical decoded form of a whole snapshot (format-spec/vectors/*.json): every field and every entry,
/// bytes as hex, typed values decoded. Reading it checks every block.
public enum SnapshotDump {
    /// With a `chain` whose top is `reader`, a delta's dump also holds the merged keyed state (`merged`).
    public static func json(_ reader: SnapshotReader, chain: SnapshotChain? = nil) throws -> JSONValue {
        let idx = reader.index
        let m = idx.metadata
        var doc: [(String, JSONValue)] = []
        doc.append(("format", .object([("major", .number(Int(reader.version.major))), ("minor", .number(Int(reader.version.minor)))])))
        doc.append(("metadata", .object([
            ("snapshotId", .string(m.snapshotId)), ("kind", .string(m.kind.name)), ("engineName", .string(m.engineName)),
            ("engineVersion", .string(m.engineVersion)), ("jobId", .string(m.jobId)), ("jobName", .string(m.jobName)),
            ("createdAt", .number(m.createdAt)), ("mode", .string(m.mode.name)),
            ("properties", .object(m.properties.keys.sorted().map { ($0, .string(m.properties[$0] ?? "")) })),
        ])))
        doc.append(("serializers", .array(idx.serializers.map { s in
            .object([("name", .string(s.name)), ("version", .number(s.version)), ("schema", s.schema.map(schemaJSON) ?? .null),
                     ("configuration", .string(Hex.encode(s.configuration)))])
        })))
        doc.append(("blocks", .array(idx.blocks.map { b in
            .object([("offset", .number(b.offset)), ("kind", .number(Int(b.kind.rawValue))),
                     ("codec", .string(BlockCodec(rawValue: b.codec)?.description ?? "\(b.codec)")),
                     ("rawLength", .number(b.rawLength)), ("storedLength", .number(b.storedLength)), ("crc", .string(hex32(b.crc)))])
        })))
        var ops: [JSONValue] = []
        for (oi, op) in idx.operators.enumerated() {
            let coordinator: JSONValue = op.coordinator.count == 0 ? .null
                : .string(Hex.encode(try reader.readOpaque(op.coordinator, at: reader.location(operator: oi))))
            let states: [JSONValue] = op.states.map { d in
                let ttl: JSONValue = d.ttl.map { t in
                    .object([("millis", .number(t.millis)), ("update", .string(t.updateName)), ("visibility", .string(t.visibilityName))])
                } ?? .null
                return .object([
                    ("name", .string(d.name)), ("kind", .string(d.kind.name)),
                    ("keySerializer", d.keySerializer.map { .number($0) } ?? .null),
                    ("namespaceSerializer", d.namespaceSerializer.map { .number($0) } ?? .null),
                    ("valueSerializer", d.valueSerializer.map { .number($0) } ?? .null), ("ttl", ttl),
                ])
            }
            var subtasks: [JSONValue] = []
            for st in op.subtasks {
                var keyed: [JSONValue] = []
                for u in st.keyed {
                    let d = op.states[u.stateIndex]
                    let schema = d.valueSerializer.flatMap { idx.serializers[$0].schema }
                    var groups: [JSONValue] = []
                    for seg in u.segments {
                        let loc = reader.location(operator: oi, subtask: st.index, state: d.name, keyGroup: seg.keyGroup)
                        var entries: [JSONValue] = []
                        try reader.forEachEntry(of: seg, at: loc) { e in entries.append(try entryJSON(e, schema: schema, at: loc)) }
                        groups.append(.object([("keyGroup", .number(seg.keyGroup)), ("entries", .array(entries))]))
                    }
                    keyed.append(.object([("state", .string(d.name)), ("keyGroupStart", .number(u.range.start)),
                                          ("keyGroupCount", .number(u.range.count)), ("groups", .array(groups))]))
                }
                var opState: [JSONValue] = []
                for u in st.operatorState {
                    let d = op.states[u.stateIndex]
                    let loc = reader.location(operator: oi, subtask: st.index, state: d.name)
                    if d.kind == .broadcast {
                        var entries: [JSONValue] = []
                        for b in u.blocks.range {
                            for e in try decode(reader, b, loc, BlockContent.broadcastEntries) {
                                entries.append(.object([("key", .string(Hex.encode(e.key))), ("value", .string(Hex.encode(e.value)))]))
                            }
                        }
                        opState.append(.object([("state", .string(d.name)), ("entries", .array(entries))]))
                    } else {
                        var elements: [JSONValue] = []
                        for b in u.blocks.range {
                            elements += try decode(reader, b, loc, BlockContent.elements).map { .string(Hex.encode($0)) }
                        }
                        opState.append(.object([("state", .string(d.name)), ("elements", .array(elements))]))
                    }
                }
                var channels: [JSONValue] = []
                for c in st.channels {
                    let loc = reader.location(operator: oi, subtask: st.index)
                    var buffers: [JSONValue] = []
                    for b in c.blocks.range {
                        buffers += try decode(reader, b, loc, BlockContent.buffers).map {
                            .object([("sequence", .number($0.sequence)), ("data", .string(Hex.encode($0.data)))])
                        }
                    }
                    channels.append(.object([("direction", .string(c.channel.direction == .input ? "input" : "output")),
                                             ("gate", .number(c.channel.gate)), ("channel", .number(c.channel.channel)),
                                             ("buffers", .array(buffers))]))
                }
                var opaque: [JSONValue] = []
                for u in st.opaque {
                    var loc = reader.location(operator: oi, subtask: st.index)
                    loc.state = u.origin
                    opaque.append(.object([
                        ("role", .string(u.role.name)), ("origin", .string(u.origin)),
                        ("keyGroupStart", .number(u.keyGroups.start)), ("keyGroupCount", .number(u.keyGroups.count)),
                        ("recordedSize", .number(u.recordedSize)),
                        ("namedOffsets", .array(u.namedOffsets.map { n in
                            .object([("name", .string(n.name)), ("mode", .number(Int(n.mode))), ("offsets", .array(n.offsets.map { .number($0) }))])
                        })),
                        ("data", .string(Hex.encode(try reader.readOpaque(u.blocks, at: loc)))),
                    ]))
                }
                subtasks.append(.object([
                    ("index", .number(st.index)), ("keyed", .array(keyed)), ("operatorState", .array(opState)),
                    ("channels", .array(channels)), ("splits", .array(st.splits.map(splitJSON))), ("opaque", .array(opaque)),
                ]))
            }
            ops.append(.object([
                ("id", .string(op.info.id.hex)), ("uid", .string(op.info.uid)), ("name", .string(op.info.name)),
                ("parallelism", .number(op.info.parallelism)), ("maxParallelism", .number(op.info.maxParallelism)),
                ("coordinator", coordinator), ("states", .array(states)), ("subtasks", .array(subtasks)),
            ]))
        }
        doc.append(("operators", .array(ops)))
        if let base = idx.base {
            doc.append(("base", .object([
                ("file", .string(base.file)), ("snapshotId", .string(base.snapshotId)), ("fileSize", .number(base.fileSize)),
                ("indexCRC", .string(hex32(base.indexCRC))), ("depth", .number(base.depth)),
            ])))
            if let chain { doc.append(("merged", try mergedJSON(chain))) }
        }
        return .object(doc)
    }

    /// One keyed entry; a tombstone has no value or TTL.
    static func entryJSON(_ e: KeyedEntry, schema: Schema?, at loc: SnapshotLocation) throws -> JSONValue {
        if e.isReset { return .object([("reset", .bool(true))]) }
        var fields: [(String, JSONValue)] = [
            ("key", .string(Hex.encode(e.keyBytes))),
            ("namespace", e.namespaceBytes.map { .string(Hex.encode($0)) } ?? .null),
            ("userKey", e.userKeyBytes.map { .string(Hex.encode($0)) } ?? .null),
        ]
        if e.isTombstone { return .object(fields + [("tombstone", .bool(true))]) }
        fields += [("value", .string(Hex.encode(e.valueBytes))), ("ttl", e.ttl.map { .number($0) } ?? .null)]
        if let schema {
            let value: TypedValue
            do throws(DecodeError) { value = try TypedValue.decode(schema, from: Array(e.valueBytes)) } catch {
                throw SnapshotError(error.code, "value does not decode with its schema: \(error.message)", at: loc)
            }
            fields.append(("decoded", valueJSON(value, schema)))
        }
        return .object(fields)
    }

    /// The keyed state of the chain's merged view, shaped like the keyed units of `operators`.
    static func mergedJSON(_ chain: SnapshotChain) throws -> JSONValue {
        let idx = chain.top.index
        var ops: [JSONValue] = []
        for op in idx.operators {
            var subtasks: [JSONValue] = []
            for st in op.subtasks {
                var keyed: [JSONValue] = []
                for u in st.keyed {
                    let d = op.states[u.stateIndex]
                    let schema = d.valueSerializer.flatMap { idx.serializers[$0].schema }
                    var groups: [JSONValue] = []
                    for kg in u.range.start..<u.range.end {
                        let entries = try chain.mergedEntries(operator: op.info.id, state: d.name, keyGroup: kg)
                        guard !entries.isEmpty else { continue }
                        let loc = SnapshotLocation(file: chain.top.source.name, state: d.name, keyGroup: kg)
                        groups.append(.object([("keyGroup", .number(kg)), ("entries", .array(try entries.map { try entryJSON($0, schema: schema, at: loc) }))]))
                    }
                    keyed.append(.object([("state", .string(d.name)), ("keyGroupStart", .number(u.range.start)),
                                          ("keyGroupCount", .number(u.range.count)), ("groups", .array(groups))]))
                }
                subtasks.append(.object([("index", .number(st.index)), ("keyed", .array(keyed))]))
            }
            ops.append(.object([("id", .string(op.info.id.hex)), ("subtasks", .array(subtasks))]))
        }
        return .object([("operators", .array(ops))])
    }

    private static func decode<T>(
        _ reader: SnapshotReader, _ block: Int, _ loc: SnapshotLocation, _ f: ([UInt8]) throws(DecodeError) -> T
    ) throws -> T {
        let raw = try reader.readBlock(block, at: loc)
        do { return try f(raw) } catch {
            var l = loc
            l.block = block
            l.offset = reader.index.blocks[block].offset
            throw SnapshotError(error.code, "in decoded block at byte \(error.offset): \(error.message)", at: l, hint: SnapshotError.damagedHint)
        }
    }

    public static func splitJSON(_ s: SourceSplit) -> JSONValue {
        switch s.position {
        case .kafka(let topic, let partition, let offset):
            .object([("splitId", .string(s.splitId)), ("type", "kafka"), ("topic", .string(topic)),
                     ("partition", .number(partition)), ("nextOffset", .number(offset))])
        case .kinesis(let stream, let shard, let seq):
            .object([("splitId", .string(s.splitId)), ("type", "kinesis"), ("stream", .string(stream)),
                     ("shardId", .string(shard)), ("sequenceNumber", .string(seq))])
        case .numberSequence(let next, let last):
            .object([("splitId", .string(s.splitId)), ("type", "numberSequence"), ("next", .number(next)), ("last", .number(last))])
        case .generic(let serializer, let version, let position):
            .object([("splitId", .string(s.splitId)), ("type", "generic"), ("serializer", .string(serializer)),
                     ("serializerVersion", .number(version)), ("position", .string(Hex.encode(position)))])
        }
    }

    public static func schemaJSON(_ s: Schema) -> JSONValue {
        switch s {
        case .boolean, .int32, .int64, .float32, .float64, .string, .bytes: .string(s.description)
        case .optional(let i): .object([("optional", schemaJSON(i))])
        case .list(let i): .object([("list", schemaJSON(i))])
        case .map(let k, let v): .object([("map", .array([schemaJSON(k), schemaJSON(v)]))])
        case .record(let name, let fields):
            .object([("record", .string(name)), ("fields", .array(fields.map { f in
                var o: [(String, JSONValue)] = [("name", .string(f.name)), ("aliases", .array(f.aliases.map { .string($0) })), ("type", schemaJSON(f.type))]
                if let d = f.defaultValue { o.append(("default", valueJSON(d, f.type))) }
                return .object(o)
            }))])
        }
    }

    /// A typed value as JSON; records become objects keyed by field name, maps arrays of pairs.
    public static func valueJSON(_ v: TypedValue, _ schema: Schema) -> JSONValue {
        switch (v, schema) {
        case (.boolean(let b), _): return .bool(b)
        case (.int32(let i), _): return .number(Int(i))
        case (.int64(let i), _): return .number(i)
        case (.float32(let f), _): return .double(Double(f))
        case (.float64(let d), _): return .double(d)
        case (.string(let s), _): return .string(s)
        case (.bytes(let b), _): return .string(Hex.encode(b))
        case (.optional(let o), .optional(let inner)): return o.map { valueJSON($0, inner) } ?? .null
        case (.list(let items), .list(let inner)): return .array(items.map { valueJSON($0, inner) })
        case (.map(let pairs), .map(let ks, let vs)): return .array(pairs.map { .array([valueJSON($0.0, ks), valueJSON($0.1, vs)]) })
        case (.record(let values), .record(_, let fields)):
            return .object(zip(fields, values).map { ($0.name, valueJSON($1, $0.type)) })
        default: return .string(v.description)
        }
    }
}
