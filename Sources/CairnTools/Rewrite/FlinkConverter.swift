import CairnCore
import CairnFlink
import CairnFormat
import CairnModel

/// Converts a Flink checkpoint or savepoint into a native snapshot that keeps every fact `inspect` shows: operators
/// with ids, names, uids and parallelism, coordinator state, source splits, and each handle's bytes as an opaque
/// unit with its Flink identity, key groups, recorded size and named offsets — so every native tool works on it.
public enum FlinkConverter {
    /// Bytes are copied in pieces of this size, so memory stays bounded whatever the files.
    static let chunk: Int64 = 8 << 20

    struct Unit {
        var role: OpaqueStateUnit.Role
        var origin: String
        var keyGroups = KeyGroupRange(start: 0, count: 0)
        var recordedSize: Int64
        var named: [OpaqueStateUnit.NamedOffsets] = []
        /// The byte ranges to copy, in order.
        var parts: [(FlinkStreamHandle, Int64, Int64)]
    }

    @discardableResult
    public static func convert(_ snapshot: FlinkSnapshot, to sink: any ByteSink, options: WriterOptions = WriterOptions()) throws -> WriteSummary {
        let summary = try snapshot.summary()
        var meta = summary.metadata
        meta.properties["cairn.convertedFrom"] = snapshot.location.metadataPath
        var finished: [String] = []
        for op in snapshot.metadata.operators {
            if op.fullyFinished { finished.append("\(op.id.hex):*") }
            let done = op.subtasks.filter(\.finished).map { String($0.index) }
            if !done.isEmpty { finished.append("\(op.id.hex):" + done.joined(separator: ",")) }
        }
        if !finished.isEmpty { meta.properties["flink.finished"] = finished.joined(separator: ";") }
        let w = try SnapshotWriter(sink: sink, metadata: meta, options: options)
        let splits = Dictionary(uniqueKeysWithValues: summary.operators.map { ($0.info.id, $0.subtasks) })
        for op in snapshot.metadata.operators.sorted(by: { $0.id < $1.id }) {
            try w.beginOperator(OperatorInfo(id: op.id, uid: op.uid ?? "", name: op.name ?? "", parallelism: op.parallelism,
                                             maxParallelism: op.maxParallelism), states: [])
            if case .inline(_, let data)? = op.coordinator { try w.writeCoordinatorState(data) }
            for index in 0..<op.parallelism {
                try w.beginSubtask(index)
                if let st = op.subtasks.first(where: { $0.index == index }), !st.finished {
                    for s in splits[op.id]?.first(where: { $0.index == index })?.splits ?? [] { try w.addSplit(s) }
                    var units = operatorUnits(st) + keyedUnits(st) + channelUnits(st)
                    units.sort { a, b in a.role.rawValue != b.role.rawValue ? a.role.rawValue < b.role.rawValue
                        : Array(a.origin.utf8).lexicographicallyPrecedes(Array(b.origin.utf8)) }
                    for u in units {
                        try w.beginOpaque(role: u.role, origin: u.origin, keyGroups: u.keyGroups, recordedSize: UInt64(max(0, u.recordedSize)),
                                          namedOffsets: u.named)
                        for (handle, from, to) in u.parts {
                            var at = from
                            while at < to {
                                let end = min(to, at + chunk)
                                let bytes = try snapshot.read(handle, from: at, to: end)
                                guard Int64(bytes.count) == end - at else {
                                    throw UsageError("cannot read \(describe(handle)) for operator \(op.id.hex) subtask \(index); run `cairn validate` on the source")
                                }
                                try w.appendOpaque(bytes)
                                at = end
                            }
                        }
                        try w.endOpaque()
                    }
                }
                try w.endSubtask()
            }
            try w.endOperator()
        }
        return try w.finish()
    }

    static func describe(_ h: FlinkStreamHandle) -> String {
        switch h {
        case .inline(let name, _): "inline \(name)"
        case .file(let p, _), .relativeFile(let p, _): p
        case .segment(let start, let size, _, let p, _): "\(p)@\(start)+\(size)"
        case .keyGroups(_, _, let d): d.map(describe) ?? "empty"
        case .emptySegment: "empty segment"
        }
    }

    static func operatorUnits(_ st: FlinkSubtaskState) -> [Unit] {
        var out: [Unit] = []
        for (role, handle) in [(OpaqueStateUnit.Role.managedOperatorState, st.managedOperatorState), (.rawOperatorState, st.rawOperatorState)] {
            guard let h = handle else { continue }
            let named = h.states.map { OpaqueStateUnit.NamedOffsets(name: $0.name, mode: $0.mode.rawValue, offsets: $0.offsets.map { UInt64(max(0, $0)) }) }
            out.append(Unit(role: role, origin: "flink:\(h.kind) " + (h.delegate.map(describe) ?? "empty"), recordedSize: h.stateSize, named: named,
                            parts: h.delegate.map { [($0, Int64(0), $0.stateSize)] } ?? []))
        }
        return out
    }

    static func keyedUnits(_ st: FlinkSubtaskState) -> [Unit] {
        var out: [Unit] = []
        func add(_ role: OpaqueStateUnit.Role, _ h: FlinkKeyedHandle, _ label: String) {
            let range = h.keyGroupRange
            switch h {
            case .keyGroups(_, _, let offsets, let d, _):
                out.append(Unit(role: role, origin: "flink:\(h.kind)\(label) " + (d.map(describe) ?? "empty"), keyGroups: range,
                                recordedSize: h.stateSize, named: [.init(name: "key-group offsets", mode: 0, offsets: offsets.map { UInt64(max(0, $0)) })],
                                parts: d.map { [($0, Int64(0), $0.stateSize)] } ?? []))
            case .incremental(let i):
                var files: [(String, FlinkStreamHandle)] = []
                if let m = i.metadata { files.append(("meta", m)) }
                files += i.shared.compactMap { f in f.handle.map { ("shared \(f.localPath)", $0) } }
                files += i.privateFiles.compactMap { f in f.handle.map { ("private \(f.localPath)", $0) } }
                for (name, f) in files {
                    out.append(Unit(role: role, origin: "flink:\(h.kind)\(label) \(name) \(describe(f))", keyGroups: range,
                                    recordedSize: f.stateSize, parts: [(f, Int64(0), f.stateSize)]))
                }
            case .changelog(_, _, _, let materialized, let deltas, _, _, _):
                for (n, part) in (materialized + deltas).enumerated() { add(role, part, "\(label) part \(n)") }
            case .changelogInMemory(_, _, _, let changes, _):
                let data = changes.flatMap(\.data)
                out.append(Unit(role: role, origin: "flink:\(h.kind)\(label)", keyGroups: range, recordedSize: h.stateSize,
                                parts: [(.inline(name: "changes", data: data), 0, Int64(data.count))]))
            case .changelogFiles(_, _, let handles, _, _, _, _):
                var seen = Set<String>()
                let files = handles.compactMap(\.handle).filter { seen.insert(describe($0)).inserted }
                out.append(Unit(role: role, origin: "flink:\(h.kind)\(label) " + files.map(describe).joined(separator: " "), keyGroups: range,
                                recordedSize: h.stateSize, parts: files.map { ($0, Int64(0), $0.stateSize) }))
            }
        }
        if let h = st.managedKeyedState { add(.managedKeyedState, h, "") }
        if let h = st.rawKeyedState { add(.rawKeyedState, h, "") }
        return out
    }

    static func channelUnits(_ st: FlinkSubtaskState) -> [Unit] {
        (st.inputChannels + st.outputChannels).enumerated().map { n, c in
            let role: OpaqueStateUnit.Role = c.direction == .input ? .inputChannels : .outputSubpartitions
            let which = c.channel.map { "\($0.0):\($0.1)" } ?? "merged"
            let delegate = c.delegate
            return Unit(role: role, origin: "flink:\(c.kind) \(which) #\(n) " + (delegate.map(describe) ?? "empty"),
                        recordedSize: c.size,
                        named: [.init(name: "segments", mode: 0, offsets: c.offsets.map { UInt64(max(0, $0)) })],
                        parts: delegate.map { [($0, Int64(0), $0.stateSize)] } ?? [])
        }
    }
}
