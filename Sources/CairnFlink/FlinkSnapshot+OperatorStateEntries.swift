import CairnCore
import CairnModel

extension FlinkSnapshot {
    /// The operator states (list, union, broadcast) an operator's subtasks hold, by name.
    func operatorStateNames(_ op: FlinkOperatorState) -> [String] {
        var names: [String] = []
        for st in op.subtasks {
            for s in st.managedOperatorState?.states ?? [] where !names.contains(s.name) { names.append(s.name) }
        }
        return names
    }

    /// `dump --state` of an operator state: one line per list element (`index`) or broadcast map entry (`userKey`),
    /// per subtask, decoded with the serializers of the operator backend's proxy. The shape is the Java dumper's
    /// (`"kind": "operator"`).
    func forEachOperatorStateEntry(
        _ op: FlinkOperatorState, state: String, display: String, query: StateEntryQuery, _ body: (JSONValue) throws -> Bool
    ) throws {
        guard query.key == nil, query.keyGroup == nil else {
            throw UsageError("\(display)/\(state) is operator state: it has no keys or key groups, so --key and --key-group do not apply")
        }
        var emitted = 0
        for st in op.subtasks where !st.finished {
            guard let h = st.managedOperatorState, let delegate = h.delegate, let info = h.states.first(where: { $0.name == state }) else { continue }
            let at = SnapshotLocation(file: location.metadataPath, operatorID: op.id.hex, operatorName: display, subtask: st.index, state: state)
            let spans = OffsetSpans(all: h.states.flatMap(\.offsets), end: h.stateSize)
            let first = h.states.flatMap(\.offsets).min() ?? h.stateSize
            let proxy = try located(at) { try FlinkOperatorBackendProxy(parsing: try read(delegate, from: 0, to: min(first, 1 << 20))) }
            guard !proxy.compressed else {
                throw SnapshotError(.unsupportedVersion, "operator state written with snapshot compression; Cairn does not decode compressed operator state yet", at: at)
            }
            let mode = info.mode == .broadcast ? "BROADCAST" : info.mode == .union ? "UNION" : "SPLIT_DISTRIBUTE"
            let record = (info.mode == .broadcast ? proxy.broadcastStates : proxy.operatorStates).first { $0.name == state }
            guard let record, let valueSerializer = record.valueSerializer else {
                throw SnapshotError(.invalidValue, "the operator backend's proxy has no readable serializer for state \(state)", at: at)
            }
            func line(_ extra: (String, JSONValue), _ value: JSONValue, field: String = "value") -> JSONValue {
                .object([("kind", "operator"), ("operator", .string(display)), ("state", .string(state)), ("mode", .string(mode)),
                         ("subtask", .number(st.index)), extra, (field, value)])
            }
            func emit(_ v: JSONValue) throws -> Bool {
                emitted += 1
                return try body(v) && (query.limit.map { emitted < $0 } ?? true)
            }
            for (i, offset) in info.offsets.enumerated() {
                let end = spans.end(of: offset)
                guard end >= offset, end - offset <= 1 << 30 else {
                    throw SnapshotError(.lengthOutOfBounds, "element \(i) spans \(end - offset) bytes", at: at)
                }
                let bytes = try read(delegate, from: offset, to: end)
                if query.raw {
                    if !(try emit(line(("index", .number(i)), .string(Hex.encode(bytes)), field: "valueBytes"))) { return }
                    continue
                }
                var r = JavaDataInput(bytes)
                if info.mode == .broadcast {
                    guard let keySerializer = record.serializers[FlinkStateMetaRecord.SerializerKey.key]?.serializer else {
                        throw SnapshotError(.invalidValue, "broadcast state \(state) has no readable key serializer", at: at)
                    }
                    let count = try located(at) { try r.readCount("broadcast entry count") }
                    for _ in 0..<count {
                        let (k, v) = try located(at) { (try FlinkValueDecoder.read(&r, keySerializer), try FlinkValueDecoder.read(&r, valueSerializer)) }
                        if !(try emit(line(("userKey", k.json), v.json))) { return }
                    }
                } else {
                    let v = try located(at) { try FlinkValueDecoder.read(&r, valueSerializer) }
                    if !(try emit(line(("index", .number(i)), v.json))) { return }
                }
            }
        }
    }
}
