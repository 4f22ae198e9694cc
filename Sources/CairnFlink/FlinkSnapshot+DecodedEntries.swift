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
            guard case .keyGroups(_, _, let offsets, let delegate?, _) = handle else {
                throw FlinkSerializerError(.unsupported, "keyed state of subtask \(st.index) is a \(handle.kind); decoding entries needs key-group files (a canonical savepoint, a heap or full checkpoint)")
            }
            let header = try read(delegate, from: 0, to: offsets.filter { $0 > 0 }.min() ?? delegate.stateSize)
            let proxy = try FlinkKeyedBackendProxy(parsing: header)
            let keySerializer = proxy.keySerializer.serializer ?? .opaque(className: proxy.keySerializer.className, version: proxy.keySerializer.version)
            try forEachKeyGroupFileEntry(operator: op, subtask: st, proxy: proxy, keySerializer: keySerializer) { s, entry, _ in
                if let entry { try body(proxy.states[s].name, entry) }
                return true
            }
        }
    }
}
