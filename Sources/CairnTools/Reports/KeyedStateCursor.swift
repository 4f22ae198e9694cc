import CairnCore
import CairnFlink
import CairnFormat
import CairnModel

/// One keyed state read key group by key group, from a native snapshot or a Flink savepoint in the full-snapshot
/// (canonical) format: per key, a digest of everything stored under it. Memory is bounded by one key group.
struct KeyedStateCursor {
    var info: OperatorInfo
    var state: String
    /// Key groups that hold entries, ascending.
    var keyGroups: [Int]
    var read: (Int) throws -> [[UInt8]: KeyDigest]

    /// A 128-bit digest of a key's entries (namespace, user key and value of each, in order; TTL timestamps left out
    /// so that a read alone does not count as a change).
    struct KeyDigest: Hashable {
        var bytes: [UInt8] = []

        mutating func add(_ parts: [ArraySlice<UInt8>?]) {
            var w = ByteWriter()
            w.writeBytes(bytes)
            for p in parts {
                if let p {
                    w.writeVarint(UInt64(p.count) + 1)
                    w.writeBytes(Array(p))
                } else {
                    w.writeVarint(0)
                }
            }
            bytes = Murmur3.hash128x64(w.bytes)
        }
    }

    /// The keyed states of each operator: from the index (native) or the state table of a full-snapshot Flink
    /// savepoint, read from one header per operator.
    static func keyedStates(_ view: any SnapshotView, _ summary: SnapshotSummary) -> [(OperatorInfo, [String])] {
        summary.operators.map { o in
            if let flink = view as? FlinkSnapshot, let op = flink.metadata.operators.first(where: { $0.id == o.info.id }) {
                return (o.info, flink.stateMetaInfo(of: op).keyedStates.map(\.name))
            }
            return (o.info, o.states.filter { $0.descriptor.kind.isKeyed }.map(\.descriptor.name))
        }
    }

    /// Finds the operator and state named by `ref` (`STATE`, or `OPERATOR/STATE` with a uid, name or id).
    static func locate(_ ref: String, in states: [(OperatorInfo, [String])], source: String) throws -> (OperatorInfo, String) {
        var matches = states.filter { $0.1.contains(ref) }.map { ($0.0, ref) }
        if matches.isEmpty, let slash = ref.firstIndex(of: "/") {
            let op = RewritePlan.OperatorRef(String(ref[..<slash])), state = String(ref[ref.index(after: slash)...])
            matches = states.filter { op.matches($0.0) && $0.1.contains(state) }.map { ($0.0, state) }
        }
        let all = states.flatMap { o in o.1.map { "\(o.0.displayName)/\($0)" } }
        guard matches.count == 1, let found = matches.first else {
            throw UsageError(matches.isEmpty
                ? "\(source): no keyed state \"\(ref)\"; name one of: \(all.isEmpty ? "(none readable)" : all.joined(separator: ", "))"
                : "\(source): \"\(ref)\" is a state of \(matches.count) operators; name it as OPERATOR/STATE: \(matches.map { "\($0.0.displayName)/\($0.1)" }.joined(separator: ", "))")
        }
        return found
    }

    static func open(_ view: any SnapshotView, info: OperatorInfo, state: String, source: String) throws -> KeyedStateCursor {
        switch view {
        case let snapshot as NativeSnapshot:
            return try native(snapshot, info: info, state: state, source: source)
        case let flink as FlinkSnapshot:
            return try decoded(flink, info: info, state: state, source: source)
        default:
            throw UsageError("\(source): key-level reads support native snapshots and Flink canonical savepoints")
        }
    }

    private static func native(_ snapshot: NativeSnapshot, info: OperatorInfo, state: String, source: String) throws -> KeyedStateCursor {
        let reader = snapshot.reader
        guard let oi = reader.index.operators.firstIndex(where: { $0.info.id == info.id }) else {
            throw UsageError("\(source): operator \(info.displayName) not found")
        }
        let op = reader.index.operators[oi]
        guard let si = op.states.firstIndex(where: { $0.name == state }) else {
            throw UsageError("\(source): operator \(info.displayName) has no state \"\(state)\"")
        }
        if let chain = snapshot.chain {
            // A delta: compare the merged state of its chain, key group by key group.
            let groups = op.subtasks.flatMap { st in st.keyed.filter { $0.stateIndex == si }.flatMap { Array($0.range.start..<$0.range.end) } }
            return KeyedStateCursor(info: info, state: state, keyGroups: Array(Set(groups)).sorted()) { g in
                var out: [[UInt8]: KeyDigest] = [:]
                for e in try chain.mergedEntries(operator: info.id, state: state, keyGroup: g) {
                    out[Array(e.keyBytes), default: KeyDigest()].add([e.namespaceBytes, e.userKeyBytes, e.valueBytes])
                }
                return out
            }
        }
        var segments: [Int: [(Int, KeyGroupSegment)]] = [:]
        for st in op.subtasks {
            for u in st.keyed where u.stateIndex == si {
                for seg in u.segments { segments[seg.keyGroup, default: []].append((st.index, seg)) }
            }
        }
        return KeyedStateCursor(info: info, state: state, keyGroups: segments.keys.sorted()) { g in
            var out: [[UInt8]: KeyDigest] = [:]
            for (subtask, seg) in segments[g] ?? [] {
                try reader.forEachEntry(of: seg, at: reader.location(operator: oi, subtask: subtask, state: state, keyGroup: g)) { e in
                    out[Array(e.keyBytes), default: KeyDigest()].add([e.namespaceBytes, e.userKeyBytes, e.valueBytes])
                }
            }
            return out
        }
    }

    /// A Flink state of any backend, compared by decoded entries: one unit per (key, namespace, map key), so a heap
    /// checkpoint, a RocksDB checkpoint and a canonical savepoint of the same state compare equal. TTL timestamps
    /// are left out of the digest. One pass reads the state; the digests are kept per key group, within a bound.
    private static func decoded(_ flink: FlinkSnapshot, info: OperatorInfo, state: String, source: String) throws -> KeyedStateCursor {
        let ttl = flink.metadata.operators.first { $0.id == info.id }.map { flink.stateMetaInfo(of: $0).keyedStates.first { $0.name == state }?.hasTTL ?? false } ?? false
        var groups: [Int: [[UInt8]: KeyDigest]] = [:]
        var count = 0
        try flink.forEachStateEntry(StateEntryQuery(state: "\(info.id.hex)/\(state)")) { line in
            guard case .object(let fields) = line else { return true }
            func field(_ name: String) -> JSONValue? { fields.first { $0.0 == name }?.1 }
            guard case .int(let g)? = field("keyGroup") else { return true }
            let identity = JSONValue.array([field("key") ?? .null, field("namespace") ?? .null] + (field("userKey").map { [$0] } ?? []))
            let value = field("value") ?? .null
            var digest = KeyDigest()
            digest.add([Array((ttl ? withoutTTL(value) : value).rendered(indent: 0).utf8)[...]])
            groups[Int(g), default: [:]][Array(identity.rendered(indent: 0).utf8)] = digest
            count += 1
            guard count <= KeyDiff.maxKeysInMemory else {
                throw UsageError("\(source): state \(state) has more than \(KeyDiff.maxKeysInMemory) entries; a key diff of Flink state keeps one digest per entry")
            }
            return true
        }
        return KeyedStateCursor(info: info, state: state, keyGroups: groups.keys.sorted()) { g in groups[g] ?? [:] }
    }

    /// A decoded value without TTL timestamps: `{"lastAccessTimestamp", "value"}` becomes its value, in lists too.
    static func withoutTTL(_ v: JSONValue) -> JSONValue {
        switch v {
        case .object(let fields) where fields.count == 2 && fields[0].0 == "lastAccessTimestamp" && fields[1].0 == "value": fields[1].1
        case .array(let items): .array(items.map(withoutTTL))
        default: v
        }
    }
}
