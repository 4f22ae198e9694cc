import CairnCore
import CairnFormat
import CairnModel

extension InspectReport {
    /// The `--json` document as a value; its shape is documented in README.md and guarded by tests.
    public var json: JSONValue {
        let builder = JSONTreeBuilder()
        writeJSON(to: builder)
        return builder.result
    }

    /// Writes the `--json` document token by token: into a `JSONStreamWriter` it is never held whole, so a
    /// snapshot of a thousand operators × hundreds of subtasks costs the output's bytes, not a tree of them.
    public func writeJSON(to w: some JSONOutput) {
        let s = summary
        w.beginObject()
        // The head (version … storage) is small and shared with the HTML page's document.
        for (key, value) in headerJSON {
            w.key(key)
            w.value(value)
        }
        w.key("operators")
        w.beginArray()
        for op in s.operators { writeOperator(op, to: w) }
        w.endArray()
        w.key("states")
        w.beginArray()
        for op in s.operators {
            for st in op.states { writeState(st, of: op, to: w) }
        }
        w.endArray()
        if grouping == .keyGroup {
            w.key("keyGroups")
            w.beginArray()
            for r in keyGroupRows {
                w.value(.object([("operatorId", .string(r.op.info.id.hex)), ("operator", .string(r.op.info.displayName)),
                                 ("keyGroup", .number(r.keyGroup)), ("subtask", .number(r.subtask)),
                                 ("size", .number(r.size)), ("entries", .number(r.entries))]))
            }
            w.endArray()
        }
        w.key("offsets")
        w.beginArray()
        for row in offsetRows {
            var fields: [(String, JSONValue)] = [
                ("operatorId", .string(row.op.info.id.hex)), ("operator", .string(row.op.info.displayName)),
                ("subtask", .number(row.subtask)),
            ]
            if case .object(let split) = SnapshotDump.splitJSON(row.split) { fields += split }
            w.value(.object(fields))
        }
        w.endArray()
        if let topKeys {
            w.key("topKeys")
            w.beginArray()
            for k in topKeys {
                w.value(.object([("operatorId", .string(k.operatorID.hex)), ("state", .string(k.state)), ("keyGroup", .number(k.keyGroup)),
                                 ("key", .string(Hex.encode(k.key))), ("size", .number(k.size)), ("entries", .number(k.entries))]))
            }
            w.endArray()
        }
        w.key("bytesRead"); w.int(bytesRead)
        w.endObject()
    }

    private func writeOperator(_ op: OperatorSummary, to w: some JSONOutput) {
        w.beginObject()
        w.key("id"); w.string(op.info.id.hex)
        w.key("uid"); w.string(op.info.uid)
        w.key("name"); w.string(op.info.name)
        w.key("parallelism"); w.int(op.info.parallelism)
        w.key("maxParallelism"); w.int(op.info.maxParallelism)
        w.key("stateSize"); w.int(op.stateSize)
        w.key("checkpointedSize"); w.int(op.checkpointedSize)
        w.key("keyedSize"); w.int(op.keyedSize)
        w.key("operatorSize"); w.int(op.operatorStateSize)
        w.key("inFlightSize"); w.int(op.inFlightSize)
        w.key("coordinatorSize"); w.int(op.coordinatorSize)
        w.key("skew")
        if let skew = op.skew { w.double((skew * 1000).rounded() / 1000) } else { w.null() }
        w.key("finished"); w.bool(op.fullyFinished)
        w.key("subtasks")
        w.beginArray()
        for st in op.subtasks {
            w.beginObject()
            w.key("index"); w.int(st.index)
            w.key("stateSize"); w.int(st.stateSize)
            w.key("checkpointedSize"); w.int(st.checkpointedSize)
            w.key("keyedSize"); w.int(st.keyedSize)
            w.key("operatorSize"); w.int(st.operatorSize)
            w.key("inFlightSize"); w.int(st.inFlightSize)
            w.key("inputChannelSize"); w.int(st.inputChannelSize)
            w.key("outputSubpartitionSize"); w.int(st.outputSubpartitionSize)
            w.key("keyGroups")
            if let r = st.keyGroups {
                w.beginObject()
                w.key("start"); w.int(r.start)
                w.key("end"); w.int(r.last)
                w.endObject()
            } else {
                w.null()
            }
            w.key("finished"); w.bool(st.finished)
            w.endObject()
        }
        w.endArray()
        w.endObject()
    }

    private func writeState(_ st: StateSummary, of op: OperatorSummary, to w: some JSONOutput) {
        w.beginObject()
        w.key("operatorId"); w.string(op.info.id.hex)
        w.key("operator"); w.string(op.info.displayName)
        w.key("name"); w.string(st.descriptor.name)
        w.key("kind"); w.string(st.descriptor.kind.name)
        w.key("size"); w.int(st.size)
        w.key("entries"); w.optional(st.entryCount)
        w.key("keySerializer"); w.value(serializerJSON(st.keySerializer))
        w.key("valueSerializer"); w.value(serializerJSON(st.valueSerializer))
        w.key("ttlMillis")
        if let ttl = st.descriptor.ttl { w.int(ttl.millis) } else { w.null() }
        w.key("ttl"); w.bool(st.descriptor.ttl != nil || st.ttlTimestamps)
        w.key("subtasks")
        w.beginArray()
        for i in st.sizeBySubtask.keys.sorted() {
            w.beginObject()
            w.key("index"); w.int(i)
            w.key("size"); w.int(st.sizeBySubtask[i] ?? 0)
            w.endObject()
        }
        w.endArray()
        if let stats = st.statistics {
            w.key("statistics"); w.value(statisticsJSON(stats))
        }
        w.endObject()
    }

    private func statisticsJSON(_ s: EntryStatistics) -> JSONValue {
        .object([("rawSize", .number(s.rawSize)), ("entries", .number(s.entries)), ("distinctKeys", .number(s.distinctKeys)),
                 ("keyBytes", .number(s.keyBytes)), ("namespaceBytes", .number(s.namespaceBytes)),
                 ("userKeyBytes", .number(s.userKeyBytes)), ("valueBytes", .number(s.valueBytes)),
                 ("largestEntry", .number(s.largestEntry)), ("entriesWithTTL", .number(s.entriesWithTTL))])
    }

    private func serializerJSON(_ s: SerializerInfo?) -> JSONValue {
        guard let s else { return .null }
        return .object([("name", .string(s.name)), ("version", .number(s.version)),
                        ("schema", s.schema.map { .string($0.description) } ?? .null)])
    }
}
