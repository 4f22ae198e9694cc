import CairnCore
import CairnModel

extension FlinkSnapshot {
    /// The keyed backend proxy of one subtask, kept as bytes for writing it again (nil when the subtask has no
    /// managed keyed state). Changelog handles are refused: their newest changes live in records Cairn does not replay.
    public func keyedProxyImage(operator op: FlinkOperatorState, subtask st: FlinkSubtaskState) throws -> FlinkKeyedProxyImage? {
        guard let h = st.managedKeyedState else { return nil }
        let at = SnapshotLocation(file: location.metadataPath, operatorID: op.id.hex, operatorName: op.uid ?? op.name, subtask: st.index)
        switch h {
        case .changelog, .changelogInMemory, .changelogFiles:
            throw SnapshotError(.unsupportedVersion, "keyed state of subtask \(st.index) is a changelog (\(h.kind)); Cairn does not replay changelog records, so a state-level rewrite would lose the newest changes",
                                at: at, hint: "rewrite a savepoint of the job, or a checkpoint taken without the changelog backend")
        case .keyGroups, .incremental:
            switch keyedHeader(h) {
            case .success(let bytes): return try located(at) { try FlinkKeyedProxyImage(parsing: bytes) }
            case .failure(let e): throw SnapshotError(.invalidValue, e.message, at: at, hint: "the snapshot is damaged; run cairn validate on it")
            }
        }
    }

    /// Every entry of every keyed state of one subtask, with the stored key and value where the input has them
    /// (canonical savepoints, full and RocksDB snapshots; heap checkpoints store whole objects and give nil).
    /// `body` gets the state's index in `proxy` (the subtask's own proxy) and the decoded entry — nil when
    /// `decode` says the state need not be decoded and the stored bytes are there (so values of serializers Cairn
    /// cannot delimit, e.g. Kryo keys, pass through untouched). Canonical and heap files are read one key group at a
    /// time; RocksDB column families one after another, each in key order. Map states give one entry per map key;
    /// timers give their timestamp as the value.
    public func forEachKeyedEntry(
        operator op: FlinkOperatorState, subtask st: FlinkSubtaskState, proxy image: FlinkKeyedProxyImage,
        decode: (Int) -> Bool = { _ in true },
        _ body: (Int, FlinkStateEntry?, (key: [UInt8], value: [UInt8])?) throws -> Void
    ) throws {
        guard let handle = st.managedKeyedState else { return }
        let proxy = image.proxy
        let layouts = proxy.states.map { FlinkKeyedStateLayout(keySerializer: image.keySerializer, state: $0, maxParallelism: op.maxParallelism) }
        let at = SnapshotLocation(file: location.metadataPath, operatorID: op.id.hex, operatorName: op.uid ?? op.name, subtask: st.index)
        switch handle {
        case .keyGroups(_, _, _, _?, _):
            try located(at) {
                try forEachKeyGroupFileEntry(operator: op, subtask: st, proxy: proxy, keySerializer: image.keySerializer, decode: decode) { s, entry, raw in
                    try body(s, entry, raw)
                    return true
                }
            }
        case .keyGroups:
            throw SnapshotError(.invalidValue, "keyed state handle of subtask \(st.index) has no stream", at: at)
        case .incremental(let h):
            for (s, layout) in layouts.enumerated() {
                try located(at) {
                    try forEachRocksDBEntry(h, state: layout.state.name, layout: layout, keyGroup: nil, decode: decode(s)) { entry, key, value in
                        try body(s, entry, (key, value))
                        return true
                    }
                }
            }
        case .changelog, .changelogInMemory, .changelogFiles:
            throw SnapshotError(.unsupportedVersion, "keyed state of subtask \(st.index) is a changelog (\(handle.kind)); Cairn does not replay changelog records", at: at,
                                hint: "rewrite a savepoint of the job, or a checkpoint taken without the changelog backend")
        }
    }
}
