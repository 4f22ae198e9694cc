import CairnCore
import CairnFormat
import CairnModel
import Testing

/// Delta snapshots (format spec §13): writing changes only, merging a chain, refusing a wrong or missing base.
@Suite("delta snapshots and chains")
struct DeltaTests {
    typealias Files = [String: [UInt8]]

    static func chain(_ name: String, _ files: Files) throws -> SnapshotChain {
        try SnapshotChain(top: try SnapshotReader(source: MemorySource(files[name]!, name: name))) { file in
            try files[file].map { try SnapshotReader(source: MemorySource($0, name: file)) }
        }
    }

    /// Merged (key, value) pairs of the counter state as hex, every key group in order.
    static func merged(_ chain: SnapshotChain) throws -> [String] {
        var out: [String] = []
        for kg in 0..<4 {
            for e in try chain.mergedEntries(operator: OperatorID(derivedFrom: "delta-counter"), state: "count", keyGroup: kg) {
                out.append(Hex.encode(e.keyBytes) + "=" + Hex.encode(e.valueBytes))
            }
        }
        return out
    }

    static var vectorFiles: Files {
        get throws { Dictionary(try VectorCatalog.deltaChain().map { ($0.0 + ".cairn", $0.1) }, uniquingKeysWith: { a, _ in a }) }
    }

    @Test("a delta is format 1.1 with the DELTA flag and its base's identity; full snapshots stay 1.0")
    func header() throws {
        let files = try Self.vectorFiles
        let base = try SnapshotReader(source: MemorySource(files["delta-base.cairn"]!, name: "delta-base.cairn"))
        let delta = try SnapshotReader(source: MemorySource(files["delta-1.cairn"]!, name: "delta-1.cairn"))
        #expect(base.version == (1, 0) && !base.isDelta)
        #expect(delta.version == (1, 1) && delta.isDelta)
        #expect(Array(files["delta-1.cairn"]![12..<16]) == [0, 0, 0, 1])
        #expect(delta.index.base == DeltaBase(file: "delta-base.cairn", snapshotId: "10", fileSize: base.source.size, indexCRC: base.indexCRC, depth: 1))
        let two = try SnapshotReader(source: MemorySource(files["delta-2.cairn"]!, name: "delta-2.cairn"))
        #expect(two.index.base?.depth == 2)
    }

    @Test("merging applies changes, additions and tombstones link by link, across a change of parallelism")
    func merging() throws {
        let files = try Self.vectorFiles
        let keys = (0..<4).map { kg in VectorCatalog.keys(for: KeyGroupRange(start: kg, count: 1), count: 13, maxParallelism: 4) }
        func value(_ v: Int64, _ kg: Int) -> String { Hex.encode(TypedValue.int64(v * 10 + Int64(kg)).encoded) }
        // The catalog's rules, applied by hand: base has keys 0–9 with value i; delta-1 removes 0 and 5, changes 2
        // and 7, adds 10 and 11; delta-2 brings 0 back, removes 2 and changes 3.
        var expected1: [String] = [], expected2: [String] = []
        for kg in 0..<4 {
            var state: [Int: Int64] = Dictionary(uniqueKeysWithValues: (0..<10).map { ($0, Int64($0)) })
            state[0] = nil; state[5] = nil; state[2] = 102; state[7] = 107; state[10] = 210; state[11] = 211
            expected1 += state.keys.sorted().map { Hex.encode(keys[kg][$0]) + "=" + value(state[$0]!, kg) }
            state[0] = 300; state[2] = nil; state[3] = 303
            if kg == 3 { state = [0: 300, 3: 303] }  // delta-2 resets key group 3: only what it writes there
            expected2 += state.keys.sorted().map { Hex.encode(keys[kg][$0]) + "=" + value(state[$0]!, kg) }
        }
        #expect(try Self.merged(Self.chain("delta-1.cairn", files)) == expected1)
        #expect(try Self.merged(Self.chain("delta-2.cairn", files)) == expected2)
        // The file alone holds only what changed, tombstones included.
        let own = try SnapshotReader(source: MemorySource(files["delta-1.cairn"]!, name: "delta-1.cairn"))
        let unit = own.index.operators[0].subtasks[0].keyed[0]
        #expect(unit.entryCount == 4 * 7)
        var tombstones = 0
        for seg in unit.segments { try own.forEachEntry(of: seg, at: SnapshotLocation()) { if $0.isTombstone { tombstones += 1 } } }
        #expect(tombstones == 4 * 3)
    }

    @Test("a missing base, or another file under the base's name, is refused naming both files")
    func wrongBase() throws {
        var files = try Self.vectorFiles
        files["delta-base.cairn"] = nil
        let missing = #expect(throws: SnapshotError.self) { try Self.chain("delta-1.cairn", files) }
        #expect(missing?.description.contains("delta-base.cairn") == true)
        #expect(missing?.description.contains("delta-1.cairn") == true)

        // Another snapshot put in the base's place: same name, other content.
        files = try Self.vectorFiles
        files["delta-base.cairn"] = try VectorCatalog.keyed(.none)
        let other = #expect(throws: SnapshotError.self) { try Self.chain("delta-1.cairn", files) }
        let text = other?.description ?? ""
        #expect(text.contains("delta-base.cairn is not the base delta-1.cairn was written on"), "\(text)")
        #expect(text.contains("snapshot id 7, the delta expects 10"), "\(text)")
    }

    @Test("compaction writes the merged view as a full snapshot, verified entry by entry")
    func compaction() throws {
        let files = try Self.vectorFiles
        let chain = try Self.chain("delta-2.cairn", files)
        let sink = MemorySink()
        try chain.compact(to: sink, options: WriterOptions(compression: .none, minBlockSize: 64, maxBlockSize: 256, cutMaskBits: 2))
        let full = try SnapshotReader(source: MemorySource(sink.bytes, name: "full.cairn"))
        #expect(!full.isDelta && full.version == (1, 0))
        #expect(try chain.firstDifference(from: full) == nil)
        #expect(try Self.merged(try Self.chain("full.cairn", ["full.cairn": sink.bytes])) == (try Self.merged(chain)))
        #expect(SnapshotVerifier(reader: full).verify().isEmpty)
        // A snapshot that lacks one merged entry is told apart.
        let base = try SnapshotReader(source: MemorySource(files["delta-base.cairn"]!, name: "delta-base.cairn"))
        #expect(try chain.firstDifference(from: base) != nil)
    }

    @Test("tombstones only in deltas: a full writer refuses them, a full file holding one is rejected")
    func tombstonesOnlyInDeltas() throws {
        #expect(throws: WriterError.self) {
            _ = try VectorCatalog.write(VectorCatalog.metadata("1")) { w in
                let op = OperatorInfo(id: OperatorID(derivedFrom: "op"), uid: "op", name: "Op", parallelism: 1, maxParallelism: 4)
                try w.beginOperator(op, states: [StateDescriptor(name: "v", kind: .value)])
                try w.beginSubtask(0)
                try w.beginKeyedState("v", range: KeyGroupRange(start: 0, count: 4))
                try w.appendTombstone(key: [1])
            }
        }
        // Flag bit 3 decodes only where tombstones are allowed.
        let block: [UInt8] = [0x08, 1, 0x2A]
        #expect(throws: DecodeError.self) { try KeyedEntry.decodeAll(block) }
        let entries = try KeyedEntry.decodeAll(block, tombstones: true)
        #expect(entries.count == 1 && entries[0].isTombstone && entries[0].keyBytes.elementsEqual([0x2A]))
        // A tombstone with a TTL is malformed.
        #expect(throws: DecodeError.self) { try KeyedEntry.decodeAll([0x09, 1, 0x2A, 0, 0, 0, 0, 0, 0, 0, 0], tombstones: true) }
    }

    @Test("a base name that leaves the delta's directory is refused by the writer")
    func baseName() throws {
        for name in ["../chk-1.cairn", "/tmp/chk-1.cairn", "", "..", "a/b"] {
            #expect(throws: WriterError.self) {
                _ = try SnapshotWriter(sink: MemorySink(), metadata: VectorCatalog.metadata("2"),
                                       base: DeltaBase(file: name, snapshotId: "1", fileSize: 48, indexCRC: 0, depth: 1))
            }
        }
    }
}
