import CairnCore
import CairnFormat
import CairnModel

/// A realistic synthetic streaming job whose consecutive checkpoints `cairn generate` writes.
///
/// The job: a Kafka source (splits with advancing offsets, reader state, enumerator state) → a keyed
/// aggregation with Zipf-skewed keys (a TTL'd value state of typed totals and a list state of recent events) →
/// a one-minute window (window contents and event-time timers) → an enricher holding union list state and
/// broadcast state. Checkpoints are unaligned, so channels between the aggregation and the window carry
/// in-flight buffers. Between checkpoints about `changeRate` of the keys change, and a quarter of that share of
/// keys expires while as many new keys appear. Everything derives from the seed: same seed, same bytes.
public struct SyntheticJob: Sendable {
    public var preset: GeneratorPreset
    public var seed: UInt64
    public var changeRate: Double
    public var mode: CheckpointMode
    public var options: WriterOptions
    /// Keys appear as usual but never expire, as in a job whose state lacks a TTL: keyed state grows checkpoint by
    /// checkpoint (what `cairn history` flags as growth).
    public var leak = false

    /// Epoch milliseconds of checkpoint 1 (2026-01-01T00:00:00Z), fixed so output is reproducible.
    public static let epoch: Int64 = 1_767_225_600_000
    public static let interval: Int64 = 60_000

    public init(preset: GeneratorPreset, seed: UInt64 = 1, changeRate: Double = 0.03, mode: CheckpointMode = .unaligned,
                options: WriterOptions = WriterOptions()) {
        self.preset = preset
        self.seed = seed
        self.changeRate = changeRate
        self.mode = mode
        self.options = options
    }

    // MARK: Operators

    public struct Operators: Sendable {
        public let source: OperatorInfo
        public let aggregate: OperatorInfo
        public let window: OperatorInfo
        public let enricher: OperatorInfo
    }

    public var operators: Operators {
        let p = preset.parallelism
        let m = preset.maxParallelism
        func op(_ uid: String, _ name: String, _ parallelism: Int) -> OperatorInfo {
            OperatorInfo(id: OperatorID(derivedFrom: uid), uid: uid, name: name, parallelism: parallelism, maxParallelism: m)
        }
        return Operators(
            source: op("orders-source", "Source: orders (Kafka)", max(1, min(p, preset.kafkaPartitions))),
            aggregate: op("user-totals", "Aggregate: per-user totals", p),
            window: op("window-counts", "Window: 1 min tumbling counts", p),
            enricher: op("rules-enricher", "Enrich: rules", max(1, p / 2)))
    }

    // MARK: Deterministic randomness

    @inline(__always)
    func hash(_ a: UInt64, _ b: UInt64 = 0, _ c: UInt64 = 0, _ salt: UInt64) -> UInt64 {
        @inline(__always) func mix(_ x: UInt64, _ v: UInt64) -> UInt64 {
            var x = x ^ (v &+ 0x9E37_79B9_7F4A_7C15 &+ (x << 6) &+ (x >> 2))
            x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
            x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
            return x ^ (x >> 31)
        }
        return mix(mix(mix(seed &+ 0x9E37_79B9_7F4A_7C15 &* (salt &+ 1), a), b), c)
    }

    @inline(__always)
    func unit(_ h: UInt64) -> Double { Double(h >> 11) / Double(1 << 53) }

    /// Keys expiring (and appearing) per checkpoint.
    var churn: Int { Int((Double(preset.keys) * changeRate / 4).rounded()) }

    /// Key ids alive at checkpoint `c` (1-based): a sliding window over the id space (with `leak`, a growing one).
    func liveKeys(_ c: Int) -> Range<UInt64> {
        let first = UInt64((c - 1) * churn)
        return (leak ? 0 : first)..<(first + UInt64(preset.keys))
    }

    /// The checkpoint at which key `id` last changed, as of checkpoint `c`.
    func version(of id: UInt64, at c: Int) -> Int {
        // First checkpoint whose live window holds `id`.
        let born = churn == 0 || Int(id) < preset.keys ? 1 : (Int(id) - preset.keys) / churn + 2
        var v = c
        while v > born {
            if unit(hash(id, UInt64(v), 0, 1)) < changeRate { return v }
            v -= 1
        }
        return max(1, min(born, c))
    }

    /// Popularity weight of a key in (0, 1]; Zipf over a hash-assigned rank.
    func popularity(_ id: UInt64) -> Double {
        let rank = Double(hash(id, 0, 0, 2) % UInt64(preset.keys)) + 1
        return 1 / pow(rank, preset.zipfExponent)
    }

    static func keyBytes(_ id: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: id >> UInt64(56 - 8 * $0)) }
    }

    static func beBytes(_ v: Int64) -> [UInt8] { keyBytes(UInt64(bitPattern: v)) }

    // MARK: Schemas

    public static let totalsSchema = Schema.record(name: "UserTotals", fields: [
        .init("count", .int64),
        .init("sum", .float64),
        .init("lastSeen", .int64),
        .init("currency", .string, default: .string("EUR")),
    ])
    public static let eventSchema = Schema.record(name: "Event", fields: [
        .init("ts", .int64), .init("amount", .float64), .init("sku", .string),
    ])
    public static let countSchema = Schema.int64
    public static let ruleSchema = Schema.record(name: "Rule", fields: [
        .init("id", .int32), .init("pattern", .string), .init("threshold", .optional(.float64)),
    ])

    // MARK: Writing

    /// Writes checkpoint `c` (1-based) to `sink`; with a `base` (checkpoint `c - 1`, full or itself a delta) as a
    /// delta holding only the keyed entries that changed since it, and tombstones for those that went away.
    @discardableResult
    public func write(checkpoint c: Int, to sink: any ByteSink, base: DeltaBase? = nil) throws -> WriteSummary {
        guard base == nil || c >= 2 else { throw WriterError("checkpoint 1 has no predecessor to be a delta on") }
        let createdAt = Self.epoch + Int64(c - 1) * Self.interval
        let meta = SnapshotMetadata(
            snapshotId: "\(c)", kind: .checkpoint, engineName: "cairn-generate", engineVersion: "1",
            jobId: Hex.encode(Array(OperatorID(derivedFrom: "job-\(seed)").bytes)), jobName: "orders-analytics (\(preset.name))",
            createdAt: createdAt, mode: mode,
            properties: ["preset": preset.name, "seed": "\(seed)", "changeRate": "\(changeRate)"])
        let w = try SnapshotWriter(sink: sink, metadata: meta, options: options, base: base)
        let longSer = w.addSerializer(SerializerInfo(name: "org.apache.flink.api.common.typeutils.base.LongSerializer", version: 3))
        let totalsSer = w.addSerializer(.typed(Self.totalsSchema, version: 2))
        let eventsSer = w.addSerializer(.typed(.list(Self.eventSchema), version: 1))
        let countSer = w.addSerializer(.typed(Self.countSchema, version: 1))
        let voidSer = w.addSerializer(SerializerInfo(name: "org.apache.flink.runtime.state.VoidNamespaceSerializer", version: 1))
        let timeWindowSer = w.addSerializer(SerializerInfo(name: "org.apache.flink.streaming.api.windowing.windows.TimeWindow$Serializer", version: 1))
        let ruleSer = w.addSerializer(.typed(Self.ruleSchema, version: 1))
        let stringSer = w.addSerializer(.typed(.string, version: 1))
        let splitSer = w.addSerializer(SerializerInfo(name: "org.apache.flink.connector.kafka.source.split.KafkaPartitionSplitSerializer", version: 0))

        let ops = operators
        let ordered: [(OperatorInfo, () throws -> Void)] = [
            (ops.source, { try writeSource(w, ops.source, c, splitSer) }),
            (ops.aggregate, { try writeAggregate(w, ops, c, delta: base != nil, longSer, voidSer, totalsSer, eventsSer) }),
            (ops.window, { try writeWindow(w, ops, c, delta: base != nil, longSer, timeWindowSer, countSer) }),
            (ops.enricher, { try writeEnricher(w, ops.enricher, c, ruleSer, stringSer) }),
        ].sorted { $0.0.id < $1.0.id }
        for (_, body) in ordered { try body() }
        return try w.finish()
    }

    /// Key ids of the key groups of `range`, in key-group order and ascending inside each: the order entries are written in.
    static func keys(in range: KeyGroupRange, of buckets: [[UInt32]]) -> some Sequence<UInt64> {
        (range.start..<range.end).lazy.flatMap { buckets[$0] }.map { UInt64($0) }
    }

    /// Key ids of each key group alive at checkpoint `c`, ascending (so key bytes ascend too).
    func keysByKeyGroup(_ c: Int) -> [[UInt32]] {
        var buckets = [[UInt32]](repeating: [], count: preset.maxParallelism)
        for id in liveKeys(c) {
            let kg = KeyGroupRange.keyGroup(ofKey: Self.keyBytes(id), maxParallelism: preset.maxParallelism)
            buckets[kg].append(UInt32(truncatingIfNeeded: id))
        }
        return buckets
    }

    private func writeSource(_ w: SnapshotWriter, _ op: OperatorInfo, _ c: Int, _ splitSer: Int) throws {
        try w.beginOperator(op, states: [StateDescriptor(name: "SourceReaderState", kind: .operatorList, valueSerializer: splitSer)])
        var enumerator = ByteWriter()
        enumerator.writeString("orders")
        enumerator.writeVarint(preset.kafkaPartitions)
        for p in 0..<preset.kafkaPartitions { enumerator.writeVarint(p % op.parallelism) }
        try w.writeCoordinatorState(enumerator.bytes)
        for s in 0..<op.parallelism {
            try w.beginSubtask(s)
            var elements: [[UInt8]] = []
            var splits: [SourceSplit] = []
            for p in stride(from: s, to: preset.kafkaPartitions, by: op.parallelism) {
                let rate = Int64(500 + hash(UInt64(p), 0, 0, 3) % 4_500)
                let offset = Int64(hash(UInt64(p), 0, 0, 4) % 1_000_000) + rate * Int64(c)
                var e = ByteWriter()
                e.writeString("orders")
                e.writeU32(UInt32(p))
                e.writeI64(offset)
                elements.append(e.bytes)
                splits.append(SourceSplit(splitId: "orders-\(p)", position: .kafka(topic: "orders", partition: p, nextOffset: offset)))
            }
            try w.writeOperatorState("SourceReaderState", elements: elements)
            for sp in splits { try w.addSplit(sp) }
            try w.endSubtask()
        }
        try w.endOperator()
    }

    /// Values depend only on the key and the checkpoint `v` at which it last changed, never on the current one,
    /// so unchanged keys keep identical bytes.
    private func totals(_ id: UInt64, _ v: Int) -> TypedValue {
        let changedAt = Self.epoch + Int64(v - 1) * Self.interval
        let h = hash(id, UInt64(v), 0, 5)
        let count = Int64(1 + Double(h % 10_000) * popularity(id) * 50)
        return .record([
            .int64(count), .float64(Double(h >> 20 % 1_000_000) / 100), .int64(changedAt - Int64(h % 60_000)),
            .string(h & 1 == 0 ? "EUR" : "USD"),
        ])
    }

    /// The list of recent events of a key, encoded straight into `w` as `list<Event>` (format spec §7.2) without
    /// building TypedValues: this is the bulk of the generated bytes.
    private func encodeEvents(_ id: UInt64, _ v: Int, into w: inout ByteWriter) {
        let changedAt = Self.epoch + Int64(v - 1) * Self.interval
        let extra = Double(preset.maxEvents - preset.minEvents) * popularity(id)
        let n = preset.minEvents + Int(extra) + Int(v % 3)
        w.writeVarint(n)
        var digits = [UInt8](repeating: 0, count: 5)
        for i in 0..<n {
            let h = hash(id, UInt64(v), UInt64(i), 6)
            w.writeSVarint(changedAt - Int64(i) * 1_000 - Int64(h % 997))  // ts: int64
            w.writeU64((Double(h % 100_000) / 100).bitPattern)  // amount: float64
            // sku: string "SKU-" followed by the decimal digits of a number below 100 000
            var number = (h >> 40) % 100_000
            var count = 0
            repeat {
                digits[count] = UInt8(ascii: "0") + UInt8(number % 10)
                number /= 10
                count += 1
            } while number > 0
            w.writeVarint(4 + count)
            w.writeRaw(Self.skuPrefix)
            for j in stride(from: count - 1, through: 0, by: -1) { w.writeU8(digits[j]) }
        }
    }

    private static let skuPrefix: [UInt8] = Array("SKU-".utf8)

    /// What a delta at checkpoint `c` writes per key group, in key order: keys that changed at `c` (or appeared) and
    /// keys that expired since `c - 1` (nil: a tombstone). A full checkpoint writes every live key.
    func aggregateKeys(_ range: KeyGroupRange, _ buckets: [[UInt32]], expired: [[UInt32]], _ c: Int, delta: Bool) -> [(id: UInt64, removed: Bool)] {
        guard delta else { return Self.keys(in: range, of: buckets).map { ($0, false) } }
        var out: [(id: UInt64, removed: Bool)] = []
        for kg in range.start..<range.end {
            var keys: [(id: UInt64, removed: Bool)] = buckets[kg].lazy.map { UInt64($0) }.filter { version(of: $0, at: c) == c }.map { ($0, false) }
            keys += expired[kg].map { (UInt64($0), true) }
            keys.sort { $0.id < $1.id }
            out += keys
        }
        return out
    }

    /// Key ids alive at `c - 1` but not at `c`, by key group.
    func expiredByKeyGroup(_ c: Int) -> [[UInt32]] {
        var buckets = [[UInt32]](repeating: [], count: preset.maxParallelism)
        guard c >= 2 else { return buckets }
        let live = liveKeys(c)
        for id in liveKeys(c - 1) where !live.contains(id) {
            buckets[KeyGroupRange.keyGroup(ofKey: Self.keyBytes(id), maxParallelism: preset.maxParallelism)].append(UInt32(truncatingIfNeeded: id))
        }
        return buckets
    }

    private func writeAggregate(_ w: SnapshotWriter, _ ops: Operators, _ c: Int, delta: Bool, _ longSer: Int, _ voidSer: Int, _ totalsSer: Int, _ eventsSer: Int) throws {
        let op = ops.aggregate
        try w.beginOperator(op, states: [
            StateDescriptor(name: "totals", kind: .value, keySerializer: longSer, namespaceSerializer: voidSer, valueSerializer: totalsSer,
                            ttl: StateTTL(millis: 7 * 86_400_000, update: .onCreateAndWrite)),
            StateDescriptor(name: "recent-events", kind: .list, keySerializer: longSer, namespaceSerializer: voidSer, valueSerializer: eventsSer),
        ])
        let buckets = keysByKeyGroup(c)
        let expired = delta ? expiredByKeyGroup(c) : []
        var scratch = ByteWriter(capacity: 1 << 16)
        for s in 0..<op.parallelism {
            try w.beginSubtask(s)
            let range = KeyGroupRange.forSubtask(s, parallelism: op.parallelism, maxParallelism: op.maxParallelism)
            // States in name order: "recent-events" < "totals".
            let keys = aggregateKeys(range, buckets, expired: expired, c, delta: delta)
            try w.beginKeyedState("recent-events", range: range)
            for (id, removed) in keys {
                if removed {
                    try w.appendTombstone(key: Self.keyBytes(id))
                    continue
                }
                let v = version(of: id, at: c)
                scratch.removeAll()
                encodeEvents(id, v, into: &scratch)
                try w.append(key: Self.keyBytes(id), value: scratch.bytes)
            }
            try w.endKeyedState()
            try w.beginKeyedState("totals", range: range)
            for (id, removed) in keys {
                if removed {
                    try w.appendTombstone(key: Self.keyBytes(id))
                    continue
                }
                let v = version(of: id, at: c)
                scratch.removeAll()
                totals(id, v).encode(into: &scratch)
                let lastAccess = Self.epoch + Int64(v - 1) * Self.interval
                try w.append(key: Self.keyBytes(id), value: scratch.bytes, ttl: lastAccess)
            }
            try w.endKeyedState()
            if mode == .unaligned {
                for target in 0..<ops.window.parallelism {
                    try w.writeChannel(ChannelID(direction: .output, gate: 0, channel: target), buffers: buffers(c, s, target, salt: 7))
                }
            }
            try w.endSubtask()
        }
        try w.endOperator()
    }

    /// In-flight buffers of one channel at checkpoint `c`: serialized (user, amount) records.
    private func buffers(_ c: Int, _ from: Int, _ to: Int, salt: UInt64) -> [(sequence: UInt64, data: [UInt8])] {
        let n = Int(hash(UInt64(c), UInt64(from), UInt64(to), salt) % UInt64(preset.maxBuffersPerChannel + 1))
        var out: [(sequence: UInt64, data: [UInt8])] = []
        let base = UInt64(c) * 1_000
        for i in 0..<n {
            let h = hash(UInt64(c), UInt64(from * 1_000 + to), UInt64(i), salt + 1)
            let size = 16 + Int(h % UInt64(max(1, preset.maxBufferSize - 16)))
            var b = ByteWriter(capacity: size)
            var j: UInt64 = 0
            while b.count < size {
                let r = hash(h, j, 0, salt + 2)
                b.writeU64(liveKeys(c).lowerBound + r % UInt64(preset.keys))
                b.writeU32(UInt32(truncatingIfNeeded: r >> 32) % 100_000)
                j += 1
            }
            out.append((base + UInt64(i), Array(b.bytes.prefix(size))))
        }
        return out
    }

    private func writeWindow(_ w: SnapshotWriter, _ ops: Operators, _ c: Int, delta: Bool, _ longSer: Int, _ windowSer: Int, _ countSer: Int) throws {
        let op = ops.window
        try w.beginOperator(op, states: [
            StateDescriptor(name: "window-contents", kind: .aggregating, keySerializer: longSer, namespaceSerializer: windowSer, valueSerializer: countSer),
            StateDescriptor(name: "_timer_state/event_user-timers", kind: .timers, keySerializer: longSer, namespaceSerializer: windowSer),
        ])
        let buckets = keysByKeyGroup(c)
        let expired = delta ? expiredByKeyGroup(c) : []
        /// Open windows of a key at checkpoint `c`: none, the current one, or the current and the next.
        func windows(_ id: UInt64, _ c: Int) -> [Int64] {
            let windowEnd = ((Self.epoch + Int64(c - 1) * Self.interval) / 60_000 + 1) * 60_000
            let h = hash(id, UInt64(c), 0, 9)
            let active = unit(h) < min(1, 0.3 + popularity(id) * 10)
            guard active else { return [] }
            return h & 0x100 == 0 ? [windowEnd] : [windowEnd, windowEnd + 60_000]
        }
        /// Window ends to write per key, ascending: every open one in a full checkpoint; in a delta the ones opened
        /// since `c - 1` and, as tombstones (true), the ones closed since (a window's value depends only on its end).
        /// Per key group: whether it starts with a reset mark, then the keys with their window ends. A key group whose
        /// changes would outnumber its open windows is written whole after a reset mark instead (format spec §13.2).
        func changes(_ range: KeyGroupRange) -> [(keyGroup: Int, reset: Bool, keys: [(id: UInt64, ends: [(end: Int64, removed: Bool)])])] {
            func whole(_ kg: Int) -> [(id: UInt64, ends: [(end: Int64, removed: Bool)])] {
                buckets[kg].map { UInt64($0) }.compactMap { id in
                    let ends = windows(id, c)
                    return ends.isEmpty ? nil : (id, ends.map { ($0, false) })
                }
            }
            guard delta else { return (range.start..<range.end).map { ($0, false, whole($0)) } }
            var groups: [(keyGroup: Int, reset: Bool, keys: [(id: UInt64, ends: [(end: Int64, removed: Bool)])])] = []
            for kg in range.start..<range.end {
                var out: [(id: UInt64, ends: [(end: Int64, removed: Bool)])] = []
                // Keys alive now, and keys that expired since c - 1 (whose windows close).
                let gone = Set(expired[kg])
                for raw in (buckets[kg] + expired[kg]).sorted() {
                    let id = UInt64(raw)
                    let alive = !gone.contains(raw)
                    let bornNow = alive && !liveKeys(c - 1).contains(id)
                    let now = Set(alive ? windows(id, c) : [])
                    let before = Set(bornNow ? [] : windows(id, c - 1))
                    let ends = now.subtracting(before).map { ($0, false) } + before.subtracting(now).map { ($0, true) }
                    if !ends.isEmpty { out.append((id, ends.sorted { $0.0 < $1.0 })) }
                }
                let full = whole(kg)
                let changed = out.reduce(0) { $0 + $1.ends.count }, entire = full.reduce(0) { $0 + $1.ends.count }
                groups.append(changed > entire ? (kg, true, full) : (kg, false, out))
            }
            return groups
        }
        var scratch = ByteWriter()
        for s in 0..<op.parallelism {
            try w.beginSubtask(s)
            let range = KeyGroupRange.forSubtask(s, parallelism: op.parallelism, maxParallelism: op.maxParallelism)
            // "_timer_state/…" < "window-contents".
            let perGroup = changes(range)
            try w.beginKeyedState("_timer_state/event_user-timers", range: range)
            for (kg, reset, keys) in perGroup {
                if reset { try w.appendReset(keyGroup: kg) }
                for (id, ends) in keys {
                    for (end, removed) in ends {
                        let ns = Self.beBytes(end - 60_000) + Self.beBytes(end)
                        if removed {
                            try w.appendTombstone(key: Self.keyBytes(id), namespace: ns, userKey: Self.beBytes(end - 1))
                        } else {
                            try w.append(key: Self.keyBytes(id), namespace: ns, userKey: Self.beBytes(end - 1), value: [])
                        }
                    }
                }
            }
            try w.endKeyedState()
            try w.beginKeyedState("window-contents", range: range)
            for (kg, reset, keys) in perGroup {
                if reset { try w.appendReset(keyGroup: kg) }
                for (id, ends) in keys {
                    for (end, removed) in ends {
                        if removed {
                            try w.appendTombstone(key: Self.keyBytes(id), namespace: Self.beBytes(end - 60_000) + Self.beBytes(end))
                            continue
                        }
                        scratch.removeAll()
                        TypedValue.int64(Int64(1 + hash(id, UInt64(end), 0, 10) % UInt64(1 + 100 * popularity(id) * 100))).encode(into: &scratch)
                        try w.append(key: Self.keyBytes(id), namespace: Self.beBytes(end - 60_000) + Self.beBytes(end), value: scratch.bytes)
                    }
                }
            }
            try w.endKeyedState()
            if mode == .unaligned {
                for upstream in 0..<ops.aggregate.parallelism {
                    try w.writeChannel(ChannelID(direction: .input, gate: 0, channel: upstream), buffers: buffers(c, upstream, s, salt: 11))
                }
            }
            try w.endSubtask()
        }
        try w.endOperator()
    }

    private func writeEnricher(_ w: SnapshotWriter, _ op: OperatorInfo, _ c: Int, _ ruleSer: Int, _ stringSer: Int) throws {
        try w.beginOperator(op, states: [
            StateDescriptor(name: "rules", kind: .operatorUnion, valueSerializer: ruleSer),
            StateDescriptor(name: "config", kind: .broadcast, keySerializer: stringSer, valueSerializer: stringSer),
        ])
        let generation = UInt64(c / 5)
        var rules: [[UInt8]] = []
        for r in 0..<preset.rules {
            let h = hash(UInt64(r), generation, 0, 12)
            let threshold: TypedValue? = h & 1 == 0 ? .float64(Double(h % 10_000) / 10) : nil
            rules.append(TypedValue.record([.int32(Int32(r)), .string("amount > \(h % 500) && sku ~ 'SKU-\(h >> 32 % 100)*'"), .optional(threshold)]).encoded)
        }
        let config: [(key: [UInt8], value: [UInt8])] = [
            ("currency.default", "EUR"), ("fraud.model", "v\(generation + 3)"), ("window.lateness", "PT5S"),
            ("enrich.cache.ttl", "PT10M"), ("region", "eu-west-1"),
        ].map { (TypedValue.string($0.0).encoded, TypedValue.string($0.1).encoded) }
        for s in 0..<op.parallelism {
            try w.beginSubtask(s)
            try w.writeBroadcastState("config", entries: config)
            // Union state: each subtask snapshots its share; on restore every subtask receives all of it.
            try w.writeOperatorState("rules", elements: rules.enumerated().filter { $0.offset % op.parallelism == s }.map(\.element))
            try w.endSubtask()
        }
        try w.endOperator()
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
