import CairnCore
import CairnModel

extension FlinkSnapshot {
    /// The keyed backend proxy of one subtask's key-group state file, parsed exactly.
    public func keyedBackendProxy(operator id: OperatorID, subtask: Int) throws -> FlinkKeyedBackendProxy? {
        guard let op = metadata.operators.first(where: { $0.id == id }),
              let st = op.subtasks.first(where: { $0.index == subtask }), let h = st.managedKeyedState,
              case .success(let header) = keyedHeader(h) else { return nil }
        return try FlinkKeyedBackendProxy(parsing: header)
    }

    /// Calls `body(stateName, entry)` for every decoded entry of every keyed state of an operator whose keyed
    /// state is in key-group files: canonical savepoints and full RocksDB checkpoints (§3.2) and heap checkpoints
    /// (§3.1, compressed or not). Memory is bounded by one key group. Throws for RocksDB native and changelog handles.
    public func forEachDecodedEntry(operator id: OperatorID, _ body: (String, FlinkStateEntry) throws -> Void) throws {
        guard let op = metadata.operators.first(where: { $0.id == id }) else { return }
        for st in op.subtasks where !st.finished {
            guard let handle = st.managedKeyedState else { continue }
            guard case .keyGroups(let tag, let range, let offsets, let delegate?, _) = handle else {
                throw FlinkSerializerError(.unsupported, "keyed state of subtask \(st.index) is a \(handle.kind); decoding entries needs key-group files (a canonical savepoint, a heap or full checkpoint)")
            }
            let starts = offsets.enumerated().filter { $0.element > 0 }
            let header = try read(delegate, from: 0, to: starts.first?.element ?? delegate.stateSize)
            let proxy = try FlinkKeyedBackendProxy(parsing: header)
            let keySerializer = proxy.keySerializer.serializer ?? .opaque(className: proxy.keySerializer.className, version: proxy.keySerializer.version)
            let layouts = proxy.states.map { FlinkKeyedStateLayout(keySerializer: keySerializer, state: $0, maxParallelism: op.maxParallelism) }
            var heap: Bool?
            for (n, (i, offset)) in starts.enumerated() {
                let keyGroup = range.start + i
                let end = n + 1 < starts.count ? starts[n + 1].element : delegate.stateSize
                guard end >= offset, end - offset <= 1 << 30 else {
                    throw FlinkSerializerError(.limit, "key group \(keyGroup) spans \(end - offset) bytes; Cairn decodes key groups up to 1 GiB", at: Int(offset))
                }
                let bytes = try read(delegate, from: offset, to: end)
                // Heap checkpoints start a key group with its id, full snapshots (savepoints, tag 7, and full RocksDB
                // checkpoints) with a state id; the handle does not say which, so the first key group decides: a heap
                // key group is what does not scan as a full snapshot.
                if heap == nil {
                    heap = tag != 7 && (try? FlinkKeyedStateScanner.forEachEntry(keyGroupBytes: bytes, compressed: proxy.compressed, keyGroup: keyGroup,
                                                                                 at: offset) { _, _, _ in }) == nil
                }
                if heap == true {
                    let entries = try FlinkKeyedStateLayout.decodeHeapKeyGroup(bytes, layouts: layouts, compressed: proxy.compressed)
                    for e in entries {
                        guard e.entry.keyGroup == keyGroup else {
                            throw FlinkSerializerError(.malformed, "key group \(keyGroup) of a heap checkpoint holds key group id \(e.entry.keyGroup)", at: Int(offset))
                        }
                        try body(proxy.states[e.state].name, e.entry)
                    }
                    continue
                }
                try FlinkKeyedStateScanner.forEachEntry(keyGroupBytes: bytes, compressed: proxy.compressed, keyGroup: keyGroup, at: offset) { s, key, value in
                    guard s < layouts.count else {
                        throw FlinkSerializerError(.malformed, "state id \(s) in key group \(keyGroup), the proxy has \(layouts.count) states", at: Int(offset))
                    }
                    try body(proxy.states[s].name, try layouts[s].decodeKeyValue(key: key, value: value))
                }
            }
        }
    }
}
