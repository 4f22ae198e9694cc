import CairnCore
import CairnModel

extension NativeSnapshot {
    /// Entries of one keyed state of a `.cairn` file, one JSON object per entry (docs/flink-values.md): keys and
    /// namespaces as their schema decodes them (hex where the file records no schema), values decoded with theirs.
    public func forEachStateEntry(_ query: StateEntryQuery, _ body: (JSONValue) throws -> Bool) throws {
        let index = reader.index
        let selector = StateSelector(index.operators.map { op in
            StateSelector.Candidate(id: op.info.id, names: [op.info.uid, op.info.name].filter { !$0.isEmpty },
                                    states: op.states.map(\.name))
        })
        let (id, stateName) = try selector.resolve(query.state)
        guard let oi = index.operators.firstIndex(where: { $0.info.id == id }),
              let si = index.operators[oi].states.firstIndex(where: { $0.name == stateName }) else { return }
        let op = index.operators[oi]
        let descriptor = op.states[si]
        guard descriptor.kind.isKeyed else {
            throw UsageError("state \"\(stateName)\" of \(op.info.displayName) is \(descriptor.kind.name) state; dump --state lists keyed state")
        }
        func schema(_ i: Int?) -> Schema? { i.flatMap { $0 < index.serializers.count ? index.serializers[$0].schema : nil } }
        let keySchema = schema(descriptor.keySerializer), namespaceSchema = schema(descriptor.namespaceSerializer)
        let valueSchema = schema(descriptor.valueSerializer)
        var wantedKey: [UInt8]?
        var keyGroup = query.keyGroup
        if let key = query.key {
            let bytes = key.hasPrefix("0x") ? Hex.decode(String(key.dropFirst(2))) : Array(key.utf8)
            guard let bytes else { throw UsageError("--key \(key): after 0x only hexadecimal digits may follow") }
            wantedKey = bytes
            let group = KeyGroupRange.keyGroup(ofKey: bytes, maxParallelism: op.info.maxParallelism)
            if let kg = keyGroup, kg != group {
                throw UsageError("--key \(key) lives in key group \(group), not in --key-group \(kg)")
            }
            keyGroup = group
        }
        var emitted = 0
        for st in op.subtasks {
            for unit in st.keyed where unit.stateIndex == si {
                // Only the key groups asked for are read; for a delta with its chain, merged entries.
                var selected = unit
                if let keyGroup {
                    selected.segments = unit.segments.filter { $0.keyGroup == keyGroup }
                    selected.range = unit.range.contains(keyGroup) ? KeyGroupRange(start: keyGroup, count: 1) : KeyGroupRange(start: unit.range.start, count: 0)
                }
                var stop = false
                try withoutActuallyEscaping(body) { body in try forEachKeyGroup(oi, st.index, selected) { group, forEach in
                    guard !stop else { return }
                    let at = reader.location(operator: oi, subtask: st.index, state: stateName, keyGroup: group)
                    try forEach { e in
                        guard !stop else { return }
                        if let wantedKey, !e.keyBytes.elementsEqual(wantedKey) { return }
                        let line = try Self.line(e, operator: op.info.displayName, state: stateName, keyGroup: group, raw: query.raw,
                                                 schemas: (keySchema, namespaceSchema, valueSchema), at: at)
                        emitted += 1
                        if !(try body(line)) || (query.limit.map { emitted >= $0 } ?? false) { stop = true }
                    }
                } }
                if stop { return }
            }
        }
    }

    static func line(
        _ e: KeyedEntry, operator name: String, state: String, keyGroup: Int, raw: Bool,
        schemas: (key: Schema?, namespace: Schema?, value: Schema?), at: SnapshotLocation
    ) throws -> JSONValue {
        var fields: [(String, JSONValue)] = [("operator", .string(name)), ("state", .string(state)), ("keyGroup", .number(keyGroup))]
        if raw {
            let stored = Array(e.keyBytes) + Array(e.namespaceBytes ?? []) + Array(e.userKeyBytes ?? [])
            fields += [("keyBytes", .string(Hex.encode(stored))), ("valueBytes", .string(Hex.encode(e.valueBytes)))]
            return .object(fields)
        }
        func decoded(_ bytes: ArraySlice<UInt8>, _ schema: Schema?, _ what: String) throws -> JSONValue {
            guard let schema else { return .string(Hex.encode(bytes)) }
            do {
                return SnapshotDump.valueJSON(try TypedValue.decode(schema, from: Array(bytes)), schema)
            } catch {
                throw SnapshotError(error.code, "\(what) does not decode with its schema: \(error.message)", at: at)
            }
        }
        fields.append(("key", try decoded(e.keyBytes, schemas.key, "key")))
        fields.append(("namespace", try e.namespaceBytes.map { try decoded($0, schemas.namespace, "namespace") } ?? .null))
        if let userKey = e.userKeyBytes { fields.append(("userKey", .string(Hex.encode(userKey)))) }
        let value = try decoded(e.valueBytes, schemas.value, "value")
        fields.append(("value", e.ttl.map { .object([("lastAccessTimestamp", .number($0)), ("value", value)]) } ?? value))
        return .object(fields)
    }
}
