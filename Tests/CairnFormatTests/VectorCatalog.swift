import CairnCore
import CairnFormat
import CairnModel

/// Builds the byte-level test vectors of format-spec/vectors/ from code, so tests can prove the committed files
/// are reproduced exactly (determinism) and regenerate them with CAIRN_UPDATE_VECTORS=1.
enum VectorCatalog {
    static let createdAt: Int64 = 1_767_225_600_000

    /// Valid vectors by file name.
    static func valid() throws -> [(String, [UInt8])] {
        [
            ("empty", try empty()),
            ("keyed-none", try keyed(.none)),
            ("keyed-lz4", try keyed(.lz4)),
            ("keyed-zstd", try keyed(.zstd(level: 3))),
            ("typed-values", try typed()),
            ("operator-state", try operatorState()),
            ("channels-splits", try channelsAndSplits()),
        ] + (try deltaChain())
    }

    /// Invalid vectors by file name, with the error code a reader must report.
    static func invalid() throws -> [(String, [UInt8], DecodeError.Code)] {
        let good = try keyed(.none)
        var out: [(String, [UInt8], DecodeError.Code)] = []
        out.append(("truncated-footer", Array(good.dropLast(5)), .badMagic))
        out.append(("too-short", Array(good.prefix(40)), .truncated))
        var magic = good
        magic[0] = UInt8(ascii: "X")
        out.append(("bad-header-magic", magic, .badMagic))
        var footerCRC = good
        footerCRC[good.count - 32] ^= 0x01  // indexOffset's high byte, covered by the footer CRC
        out.append(("bad-footer-crc", footerCRC, .checksumMismatch))
        var version = good
        version[9] = 2  // major = 2
        out.append(("unsupported-version", version, .unsupportedVersion))
        var minor = good
        minor[11] = 1  // header says 1.1, footer 1.0
        out.append(("version-mismatch", minor, .invalidValue))
        var flags = good
        flags[15] = 2  // bit 0 is DELTA (format 1.1); bit 1 is unknown
        out.append(("unknown-flags", flags, .unknownFlags))
        var deltaOnOld = good
        deltaOnOld[15] = 1  // DELTA in a 1.0 header
        out.append(("delta-flag-in-1.0", deltaOnOld, .invalidValue))
        out.append(("delta-missing-base", try deltaMissingBase(), .invalidValue))
        // A flipped bit in the stored bytes of the first data block.
        var block = good
        block[16 + 16 + 2] ^= 0x10
        out.append(("bad-block-crc", block, .checksumMismatch))
        // A flipped bit inside the index block's stored bytes.
        let reader = try SnapshotReader(source: MemorySource(good))
        var index = good
        index[Int(reader.indexOffset) + 16 + 3] ^= 0x04
        out.append(("bad-index-crc", index, .checksumMismatch))
        return out
    }

    static func metadata(_ id: String, kind: SnapshotKind = .checkpoint, mode: CheckpointMode = .aligned, properties: [String: String] = [:]) -> SnapshotMetadata {
        SnapshotMetadata(snapshotId: id, kind: kind, engineName: "cairn-vectors", engineVersion: "1", jobId: "00112233445566778899aabbccddeeff",
                         jobName: "vector job", createdAt: createdAt, mode: mode, properties: properties)
    }

    static func write(_ meta: SnapshotMetadata, _ compression: CompressionSetting = .none, base: DeltaBase? = nil, _ body: (SnapshotWriter) throws -> Void) throws -> [UInt8] {
        let sink = MemorySink()
        let w = try SnapshotWriter(sink: sink, metadata: meta, options: WriterOptions(compression: compression, minBlockSize: 64, maxBlockSize: 256, cutMaskBits: 2), base: base)
        try body(w)
        try w.finish()
        return sink.bytes
    }

    static func empty() throws -> [UInt8] { try write(metadata("0")) { _ in } }

    static func be64(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: v >> UInt64(56 - 8 * $0)) } }

    /// Keys of `maxParallelism` 4 sorted into the key groups of subtask `s` of 2.
    static func keys(for range: KeyGroupRange, count: Int, maxParallelism: Int) -> [[UInt8]] {
        var out: [[UInt8]] = []
        var id: UInt64 = 0
        while out.count < count {
            let k = be64(id)
            if range.contains(KeyGroupRange.keyGroup(ofKey: k, maxParallelism: maxParallelism)) { out.append(k) }
            id += 1
        }
        return out.sorted { a, b in
            let ka = KeyGroupRange.keyGroup(ofKey: a, maxParallelism: maxParallelism)
            let kb = KeyGroupRange.keyGroup(ofKey: b, maxParallelism: maxParallelism)
            return ka != kb ? ka < kb : a.lexicographicallyPrecedes(b)
        }
    }

    static func keyed(_ compression: CompressionSetting) throws -> [UInt8] {
        try write(metadata("7"), compression) { w in
            let ser = w.addSerializer(SerializerInfo(name: "org.apache.flink.api.common.typeutils.base.LongSerializer", version: 3, configuration: [0xCA, 0xFE]))
            let op = OperatorInfo(id: OperatorID(derivedFrom: "counter"), uid: "counter", name: "Count per key", parallelism: 2, maxParallelism: 4)
            try w.beginOperator(op, states: [
                StateDescriptor(name: "count", kind: .value, keySerializer: ser, valueSerializer: ser, ttl: StateTTL(millis: 3_600_000, update: .onReadAndWrite, visibility: .returnExpiredIfNotCleanedUp)),
                StateDescriptor(name: "seen", kind: .map, keySerializer: ser),
            ])
            for s in 0..<2 {
                try w.beginSubtask(s)
                let range = KeyGroupRange.forSubtask(s, parallelism: 2, maxParallelism: 4)
                let ks = keys(for: range, count: 12, maxParallelism: 4)
                try w.beginKeyedState("count", range: range)
                for (i, k) in ks.enumerated() {
                    // Repetitive values so LZ4 and zstd find something to compress.
                    try w.append(key: k, value: be64(UInt64(i % 3)) + [UInt8](repeating: 0x41, count: 24), ttl: createdAt - Int64(i) * 1000)
                }
                try w.endKeyedState()
                try w.beginKeyedState("seen", range: range)
                for k in ks.prefix(4) {
                    for uk in ["a", "b"] {
                        try w.append(key: k, namespace: [0], userKey: Array(uk.utf8), value: [1, 0, 0, 0, 0, 0, 0, 0, 0])
                    }
                }
                try w.endKeyedState()
                try w.endSubtask()
            }
            try w.endOperator()
        }
    }

    static let profileSchema = Schema.record(name: "Profile", fields: [
        .init("name", .string),
        .init("age", .int32, aliases: ["years"]),
        .init("score", .float64),
        .init("ratio", .float32),
        .init("active", .boolean),
        .init("avatar", .bytes),
        .init("nickname", .optional(.string), default: .optional(nil)),
        .init("tags", .list(.string), default: .list([])),
        .init("counters", .map(key: .string, value: .int64)),
        .init("visits", .int64, default: .int64(0)),
    ])

    static func typed() throws -> [UInt8] {
        try write(metadata("sp-1", kind: .savepoint), .zstd(level: 3)) { w in
            let keySer = w.addSerializer(.typed(.string, version: 1))
            let valSer = w.addSerializer(.typed(profileSchema, version: 4))
            let op = OperatorInfo(id: OperatorID(derivedFrom: "profiles"), uid: "profiles", name: "Profiles", parallelism: 1, maxParallelism: 2)
            try w.beginOperator(op, states: [StateDescriptor(name: "profile", kind: .value, keySerializer: keySer, valueSerializer: valSer)])
            try w.beginSubtask(0)
            try w.beginKeyedState("profile", range: KeyGroupRange(start: 0, count: 2))
            let people: [(String, TypedValue)] = [
                ("alice", .record([.string("Alice"), .int32(34), .float64(98.25), .float32(0.5), .boolean(true), .bytes([1, 2, 3]),
                                   .optional(.string("al")), .list([.string("admin"), .string("ops")]),
                                   .map([(.string("logins"), .int64(1_234_567_890_123)), (.string("errors"), .int64(-3))]), .int64(42)])),
                ("bob", .record([.string("Bob ü"), .int32(-7), .float64(-0.0), .float32(3.25), .boolean(false), .bytes([]),
                                 .optional(nil), .list([]), .map([]), .int64(Int64.min)])),
                ("carol", .record([.string(""), .int32(Int32.max), .float64(1e300), .float32(-1.5), .boolean(true), .bytes([0xFF]),
                                   .optional(.string("")), .list([.string("x")]), .map([(.string("a"), .int64(0))]), .int64(Int64.max)])),
            ]
            let sorted = people.map { (TypedValue.string($0.0).encoded, $0.1) }.sorted { a, b in
                let ka = KeyGroupRange.keyGroup(ofKey: a.0, maxParallelism: 2), kb = KeyGroupRange.keyGroup(ofKey: b.0, maxParallelism: 2)
                return ka != kb ? ka < kb : a.0.lexicographicallyPrecedes(b.0)
            }
            for (k, v) in sorted { try w.append(key: k, value: v.encoded) }
            try w.endKeyedState()
            try w.endSubtask()
            try w.endOperator()
        }
    }

    static func operatorState() throws -> [UInt8] {
        try write(metadata("12"), .lz4) { w in
            let str = w.addSerializer(.typed(.string, version: 1))
            let op = OperatorInfo(id: OperatorID(derivedFrom: "router"), uid: "router", name: "Router", parallelism: 2, maxParallelism: 128)
            try w.beginOperator(op, states: [
                StateDescriptor(name: "buffered", kind: .operatorList, valueSerializer: str),
                StateDescriptor(name: "offsets", kind: .operatorUnion, valueSerializer: str),
                StateDescriptor(name: "routes", kind: .broadcast, keySerializer: str, valueSerializer: str),
            ])
            try w.writeCoordinatorState(Array("coordinator-state: split assignments 0,1,2".utf8))
            for s in 0..<2 {
                try w.beginSubtask(s)
                let routes: [(key: [UInt8], value: [UInt8])] = [("eu", "eu-west-1"), ("us", "us-east-1"), ("ap", "ap-south-1")].map {
                    (TypedValue.string($0.0).encoded, TypedValue.string($0.1).encoded)
                }
                try w.writeOperatorState("buffered", elements: (0..<(s == 0 ? 40 : 3)).map { TypedValue.string("record-\($0)-of-subtask-\(s)").encoded })
                try w.writeOperatorState("offsets", elements: s == 0 ? [TypedValue.string("partition-0:100").encoded] : [])
                try w.writeBroadcastState("routes", entries: routes)
                try w.endSubtask()
            }
            try w.endOperator()
        }
    }

    static func channelsAndSplits() throws -> [UInt8] {
        try write(metadata("99", mode: .unaligned, properties: ["flink.version": "2.3.0", "cluster": "prod-eu", "a": ""]), .zstd(level: 1)) { w in
            let src = OperatorInfo(id: OperatorID(derivedFrom: "source"), uid: "source", name: "Source: mixed", parallelism: 2, maxParallelism: 128)
            let sink = OperatorInfo(id: OperatorID(derivedFrom: "sink"), uid: "", name: "", parallelism: 1, maxParallelism: 128)
            for op in [src, sink].sorted(by: { $0.id < $1.id }) {
                try w.beginOperator(op, states: [])
                if op == src {
                    try w.beginSubtask(0)
                    try w.writeChannel(ChannelID(direction: .output, gate: 0, channel: 0), buffers: [(1, [UInt8](repeating: 7, count: 300)), (2, [1, 2, 3])])
                    try w.addSplit(SourceSplit(splitId: "orders-0", position: .kafka(topic: "orders", partition: 0, nextOffset: 1_234_567)))
                    try w.addSplit(SourceSplit(splitId: "orders-1", position: .kafka(topic: "orders", partition: 1, nextOffset: -2)))
                    try w.endSubtask()
                    try w.beginSubtask(1)
                    try w.addSplit(SourceSplit(splitId: "shardId-000000000001", position: .kinesis(stream: "clicks", shardId: "shardId-000000000001", sequenceNumber: "49590338271490256608559692538361571095921575989136588898")))
                    try w.addSplit(SourceSplit(splitId: "0", position: .numberSequence(next: 501, last: 999)))
                    try w.addSplit(SourceSplit(splitId: "file-7", position: .generic(serializer: "org.apache.flink.connector.file.src.FileSourceSplitSerializer", serializerVersion: 1, position: [0, 0, 0, 9])))
                    try w.endSubtask()
                } else {
                    try w.beginSubtask(0)
                    try w.writeChannel(ChannelID(direction: .input, gate: 0, channel: 0), buffers: [(5, Array("in-flight bytes".utf8))])
                    try w.writeChannel(ChannelID(direction: .input, gate: 0, channel: 1), buffers: [])
                    try w.writeChannel(ChannelID(direction: .input, gate: 1, channel: 0), buffers: [(0, []), (9, [0xFF])])
                    // State carried from another engine, byte for byte.
                    try w.beginOpaque(role: .managedOperatorState, origin: "flink:OperatorStreamStateHandle file:/ckpt/chk-9/op-1",
                                      recordedSize: 12, namedOffsets: [.init(name: "buffer", mode: 0, offsets: [4, 8]), .init(name: "rules", mode: 1, offsets: [10])])
                    try w.appendOpaque([0, 0, 0, 6, 1, 2, 3, 4, 5, 6, 7, 8])
                    try w.endOpaque()
                    try w.beginOpaque(role: .managedKeyedState, origin: "flink:KeyGroupsStateHandle file:/ckpt/chk-9/keyed-0",
                                      keyGroups: KeyGroupRange(start: 0, count: 128), recordedSize: 700)
                    try w.appendOpaque([UInt8](repeating: 0x42, count: 700))
                    try w.endOpaque()
                    try w.endSubtask()
                }
                try w.endOperator()
            }
        }
    }
}

// MARK: Deltas (format spec §13)

extension VectorCatalog {
    /// A chain: `delta-base` (full), `delta-1` on it (rescaled 2 → 1, values changed, keys added and removed, a new
    /// state), and `delta-2` on `delta-1` (back to parallelism 2, more changes, one key group reset). Each delta's JSON holds its merged view.
    static func deltaChain() throws -> [(String, [UInt8])] {
        let base = try deltaSnapshot(id: "10", parallelism: 2, base: nil) { _, _, i in i < 10 ? .put(UInt64(i)) : .skip }
        let one = try deltaSnapshot(id: "11", parallelism: 1, base: ("delta-base", base), extraState: true) { _, _, i in
            switch i {
            case 0, 5: return .remove
            case 2, 7: return .put(100 + UInt64(i))
            case 10, 11: return .put(200 + UInt64(i))  // new keys
            case 12: return .remove  // a key the base never had: no effect
            default: return .skip
            }
        }
        // Key group 3 starts with a reset mark: its merged entries are only what delta-2 writes for it.
        let two = try deltaSnapshot(id: "12", parallelism: 2, base: ("delta-1", one), extraState: true, reset: [3]) { _, _, i in
            switch i {
            case 0: return .put(300)  // back after its removal
            case 2: return .remove
            case 3: return .put(303)
            default: return .skip
            }
        }
        return [("delta-base", base), ("delta-1", one), ("delta-2", two)]
    }

    enum Change { case put(UInt64), remove, skip }

    static let counterSchema = Schema.int64

    /// One snapshot of a small keyed job: per key group, keys 0… of that group decide by `change` what is written.
    static func deltaSnapshot(
        id: String, parallelism: Int, base: (name: String, bytes: [UInt8])?, extraState: Bool = false, reset: Set<Int> = [],
        change: (_ keyGroup: Int, _ key: [UInt8], _ i: Int) -> Change
    ) throws -> [UInt8] {
        let deltaBase = try base.map { DeltaBase(of: try SnapshotReader(source: MemorySource($0.bytes, name: $0.name + ".cairn")), file: $0.name + ".cairn") }
        return try write(metadata(id), .none, base: deltaBase) { w in
            let ser = w.addSerializer(.typed(counterSchema, version: 1))
            let op = OperatorInfo(id: OperatorID(derivedFrom: "delta-counter"), uid: "delta-counter", name: "Count per key", parallelism: parallelism, maxParallelism: 4)
            var states = [
                StateDescriptor(name: "count", kind: .value, keySerializer: ser, valueSerializer: ser),
                StateDescriptor(name: "offsets", kind: .operatorList),
            ]
            if extraState { states.append(StateDescriptor(name: "seen", kind: .map, keySerializer: ser)) }
            try w.beginOperator(op, states: states)
            for s in 0..<parallelism {
                try w.beginSubtask(s)
                let range = KeyGroupRange.forSubtask(s, parallelism: parallelism, maxParallelism: 4)
                try w.beginKeyedState("count", range: range)
                for kg in range.start..<range.end {
                    if reset.contains(kg) { try w.appendReset(keyGroup: kg) }
                    let ks = keys(for: KeyGroupRange(start: kg, count: 1), count: 13, maxParallelism: 4)
                    for (i, k) in ks.enumerated() {
                        switch change(kg, k, i) {
                        case .put(let v): try w.append(key: k, value: TypedValue.int64(Int64(v) * 10 + Int64(kg)).encoded)
                        case .remove: try w.appendTombstone(key: k)
                        case .skip: break
                        }
                    }
                }
                try w.endKeyedState()
                if extraState {
                    try w.beginKeyedState("seen", range: range)
                    if let k = keys(for: range, count: 1, maxParallelism: 4).first {
                        try w.append(key: k, namespace: [0], userKey: Array(id.utf8), value: [1])
                    }
                    try w.endKeyedState()
                }
                try w.writeOperatorState("offsets", elements: [Array("\(id)/\(s)".utf8)])
                try w.endSubtask()
            }
            try w.endOperator()
        }
    }

    /// A delta whose base is not in the vectors directory: readers must refuse it, naming the base.
    static func deltaMissingBase() throws -> [UInt8] {
        let base = try deltaChain()[0].1
        let identity = DeltaBase(of: try SnapshotReader(source: MemorySource(base, name: "absent.cairn")), file: "absent.cairn")
        return try write(metadata("11"), .none, base: identity) { _ in }
    }
}
