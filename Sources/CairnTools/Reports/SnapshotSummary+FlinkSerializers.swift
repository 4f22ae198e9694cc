import CairnFlink
import CairnFormat
import CairnModel

extension SnapshotSummary {
    /// The summary with every state Flink's backends registered — keyed states too, which `_metadata` alone does not
    /// name — and each state's key and value serializer snapshot (class and version), read from the heads of the
    /// state files. Sizes of states found this way stay 0 unless a scan (`merging(scanned:)`) gives them.
    ///
    /// With `addingMissing` false only states already in the summary get their serializers: an inspect without
    /// `--deep` must not list keyed states with sizes it did not measure.
    public func addingRegisteredStates(of flink: FlinkSnapshot, addingMissing: Bool = true) -> SnapshotSummary {
        func info(_ s: FlinkSerializerSnapshot?) -> SerializerInfo? {
            s.map { SerializerInfo(name: $0.description, version: UInt64(max(0, $0.version))) }
        }
        var out = self
        for o in out.operators.indices {
            guard let op = flink.metadata.operators.first(where: { $0.id == out.operators[o].info.id }) else { continue }
            let meta = flink.stateMetaInfo(of: op)
            for reg in meta.keyedStates + meta.operatorStates {
                let key = info(reg.keySerializer ?? (reg.kind.isKeyed ? meta.keySerializer : nil)), value = info(reg.valueSerializer)
                let ttl = reg.valueSerializer.map(Self.carriesTTL) ?? false
                if let i = out.operators[o].states.firstIndex(where: { $0.descriptor.name == reg.name }) {
                    out.operators[o].states[i].keySerializer = key ?? out.operators[o].states[i].keySerializer
                    out.operators[o].states[i].valueSerializer = value ?? out.operators[o].states[i].valueSerializer
                    out.operators[o].states[i].ttlTimestamps = out.operators[o].states[i].ttlTimestamps || ttl
                } else if addingMissing {
                    var s = StateSummary(
                        descriptor: StateDescriptor(name: reg.name, kind: reg.kind), keySerializer: key, valueSerializer: value,
                        size: 0, entryCount: nil, sizeBySubtask: [:], keyGroups: [])
                    s.ttlTimestamps = ttl
                    out.operators[o].states.append(s)
                }
            }
        }
        return out
    }

    /// Flink wraps a TTL state's values (list elements, map values) in `TtlSerializer`.
    static func carriesTTL(_ s: FlinkSerializerSnapshot) -> Bool {
        s.serializerName == "TtlSerializer" || s.nested.contains(where: carriesTTL)
    }
}
