import CairnCore
import CairnFlink
import CairnModel

extension FlinkRewriter {
    /// Adds each migration of a `--migrate` plan to `r`: resolves its changes against the state's value serializer
    /// snapshot (from the first subtask that has the state), then registers the new snapshot and the conversion.
    /// Every entry is resolved before anything is read, so a refused plan writes nothing.
    static func configure(_ r: inout FlinkStateRewriter, migrations plan: FlinkMigrationPlan, snapshot: FlinkSnapshot,
                          resolve: (String, String) throws(FlinkRewriteError) -> (OperatorID, String)) throws(FlinkRewriteError) {
        for m in plan.migrations {
            let at = "\(plan.file): \(m.keyPath)"
            let (id, state) = try resolve("\(m.op.text)/\(m.state)", "--migrate \(m.keyPath)")
            guard let op = snapshot.metadata.operators.first(where: { $0.id == id }) else { continue }
            let label = "\(op.uid ?? op.name ?? op.id.hex)/\(state)"
            var found: (bytes: [UInt8], record: FlinkStateMetaRecord)?
            do {
                for st in op.subtasks where !st.finished {
                    guard let image = try snapshot.keyedProxyImage(operator: op, subtask: st),
                          let i = image.proxy.states.firstIndex(where: { $0.name == state }) else { continue }
                    found = (image.stateRecordBytes[i], image.proxy.states[i])
                    break
                }
            } catch {
                throw .unreadableState("\(label): \(error)")
            }
            guard let found, let value = try? FlinkSnapshotBytes.serializer(FlinkStateMetaRecord.SerializerKey.value, in: found.bytes) else {
                throw .migrationRefused(at: at, state: label, problems: ["the state has no value serializer snapshot Cairn can read"])
            }
            let evolution: FlinkSchemaEvolution
            do {
                evolution = try FlinkSchemaEvolution.evolve(valueSnapshot: value, mapState: found.record.kind == .map, recordType: m.from,
                                                            changes: m.changes, rowFieldNames: m.rowFields)
            } catch {
                throw .migrationRefused(at: at, state: label, problems: error.problems)
            }
            let conversion = evolution.conversion
            r.migrate(operator: id, state: state, snapshot: evolution.snapshot) { entry in try conversion.apply(entry.value) }
            r.notes.append("\(label): migrated \(evolution.recordType): " + m.changes.map(describe).joined(separator: ", ")
                           + "; value serializer now \(evolution.serializer.name)")
        }
    }

    static func describe(_ c: FlinkFieldChange) -> String {
        let p = c.path.joined(separator: ".")
        switch c {
        case .add(_, let s, let d): return "added \(p): \(s.name) = \(d.json.rendered())"
        case .drop: return "dropped \(p)"
        case .widen(_, let t): return "widened \(p) to \(t.name)"
        case .rename(_, let n): return "renamed \(p) → \(n)"
        }
    }
}
