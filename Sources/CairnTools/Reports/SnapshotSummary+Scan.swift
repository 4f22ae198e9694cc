import CairnFormat
import CairnModel

extension SnapshotSummary {
    /// The summary with the states a data scan found (`SnapshotView.scanStates`) put in place of, or beside, the
    /// states the index or `_metadata` names: per-state sizes of Flink keyed state exist only after a scan.
    public func merging(scanned: [OperatorID: [StateSummary]]) -> SnapshotSummary {
        var out = self
        for o in out.operators.indices {
            for state in scanned[out.operators[o].info.id] ?? [] {
                if let i = out.operators[o].states.firstIndex(where: { $0.descriptor.name == state.descriptor.name }) {
                    out.operators[o].states[i] = state
                } else {
                    out.operators[o].states.append(state)
                }
            }
        }
        return out
    }
}
