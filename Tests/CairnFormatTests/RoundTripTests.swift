import CairnCore
import CairnFormat
import CairnModel
import Testing

@Suite("writer and reader round trip")
struct RoundTripTests {
    @Test("every unit kind reads back as written", arguments: [CompressionSetting.none, .lz4, .zstd(level: 1), .zstd(level: 9)])
    func roundTrip(compression: CompressionSetting) throws {
        let bytes = try VectorCatalog.write(VectorCatalog.metadata("1"), compression) { w in
            let ser = w.addSerializer(.typed(.int64, version: 2))
            let op = OperatorInfo(id: OperatorID(derivedFrom: "op"), uid: "op", name: "Op", parallelism: 2, maxParallelism: 16)
            try w.beginOperator(op, states: [
                StateDescriptor(name: "v", kind: .value, keySerializer: ser, valueSerializer: ser),
                StateDescriptor(name: "l", kind: .operatorList),
            ])
            try w.writeCoordinatorState([UInt8](repeating: 3, count: 1000))
            for s in 0..<2 {
                try w.beginSubtask(s)
                let range = KeyGroupRange.forSubtask(s, parallelism: 2, maxParallelism: 16)
                try w.beginKeyedState("v", range: range)
                for k in VectorCatalog.keys(for: range, count: 200, maxParallelism: 16) {
                    try w.append(key: k, value: TypedValue.int64(Int64(k.last!)).encoded)
                }
                try w.endKeyedState()
                try w.writeOperatorState("l", elements: [[1], [2, 2], []])
                try w.writeChannel(ChannelID(direction: .input, gate: 0, channel: s), buffers: [(1, [9, 9]), (4, [])])
                try w.addSplit(SourceSplit(splitId: "b", position: .kafka(topic: "t", partition: s, nextOffset: 10)))
                try w.addSplit(SourceSplit(splitId: "a", position: .kinesis(stream: "s", shardId: "x", sequenceNumber: "1")))
                try w.endSubtask()
            }
            try w.endOperator()
        }
        let reader = try SnapshotReader(source: MemorySource(bytes))
        let idx = reader.index
        #expect(idx.metadata.snapshotId == "1")
        #expect(idx.operators.count == 1)
        let op = idx.operators[0]
        #expect(op.states.map(\.name) == ["l", "v"], "descriptors are sorted by name")
        #expect(try reader.readOpaque(op.coordinator) == [UInt8](repeating: 3, count: 1000))
        var total = 0
        for st in op.subtasks {
            #expect(st.splits.map(\.splitId) == ["a", "b"])
            let unit = try #require(st.keyed.first)
            #expect(unit.range == KeyGroupRange.forSubtask(st.index, parallelism: 2, maxParallelism: 16))
            for seg in unit.segments {
                var n = 0
                try reader.forEachEntry(of: seg, at: SnapshotLocation()) { e in
                    #expect(KeyGroupRange.keyGroup(ofKey: Array(e.keyBytes), maxParallelism: 16) == seg.keyGroup)
                    let value = try TypedValue.decode(.int64, from: Array(e.valueBytes))
                    #expect(value == .int64(Int64(e.keyBytes.last!)))
                    n += 1
                }
                #expect(n == seg.entryCount)
                total += n
            }
            let elements = try st.operatorState[0].blocks.range.flatMap { try BlockContent.elements(try reader.readBlock($0)) }
            #expect(elements == [[1], [2, 2], []])
            let buffers = try st.channels[0].blocks.range.flatMap { try BlockContent.buffers(try reader.readBlock($0)) }
            #expect(buffers.map(\.sequence) == [1, 4])
        }
        #expect(total == 400)
        #expect(SnapshotVerifier(reader: reader).verify().isEmpty)
    }

    @Test("the same input gives the same bytes")
    func deterministic() throws {
        for (name, bytes) in try VectorCatalog.valid() {
            let again = try VectorCatalog.valid().first { $0.0 == name }!.1
            #expect(bytes == again, "\(name) is not deterministic")
        }
    }

    @Test("a size question reads only footer and index")
    func inspectReadsOnlyIndex() throws {
        let bytes = try VectorCatalog.keyed(.none)
        let source = MemorySource(bytes)
        let view = NativeSnapshot(reader: try SnapshotReader(source: source))
        let summary = try view.summary()
        #expect(summary.stateSize > 0)
        let reader = view.reader
        let expected = UInt64(FileLayout.headerSize + FileLayout.footerSize) + reader.indexLength
        #expect(source.bytesRead == expected)
    }

    @Test("writer refuses out-of-order input")
    func orderingEnforced() throws {
        let sink = MemorySink()
        let w = try SnapshotWriter(sink: sink, metadata: VectorCatalog.metadata("x"))
        let a = OperatorInfo(id: OperatorID(hex: "ff000000000000000000000000000000")!, uid: "a", name: "a", parallelism: 1, maxParallelism: 4)
        let b = OperatorInfo(id: OperatorID(hex: "00000000000000000000000000000001")!, uid: "b", name: "b", parallelism: 1, maxParallelism: 4)
        try w.beginOperator(a, states: [StateDescriptor(name: "s", kind: .value)])
        try w.beginSubtask(0)
        try w.beginKeyedState("s", range: KeyGroupRange(start: 0, count: 4))
        let ks = VectorCatalog.keys(for: KeyGroupRange(start: 0, count: 4), count: 3, maxParallelism: 4)
        try w.append(key: ks[1], value: [])
        #expect(throws: WriterError.self) { try w.append(key: ks[0], value: []) }
        #expect(throws: WriterError.self) { try w.append(key: ks[1], value: []) }
        try w.endKeyedState()
        #expect(throws: WriterError.self) { try w.beginKeyedState("s", range: KeyGroupRange(start: 0, count: 4)) }
        #expect(throws: WriterError.self) { try w.beginKeyedState("nope", range: KeyGroupRange(start: 0, count: 4)) }
        #expect(throws: WriterError.self) { try w.beginSubtask(0) }
        try w.endSubtask()
        #expect(throws: WriterError.self) { try w.beginSubtask(1) }
        try w.endOperator()
        #expect(throws: WriterError.self) { try w.beginOperator(b, states: []) }
        #expect(!sink.isCommitted)
    }

    @Test("keys outside the subtask's key groups are refused")
    func keyGroupEnforced() throws {
        let w = try SnapshotWriter(sink: MemorySink(), metadata: VectorCatalog.metadata("x"))
        let op = OperatorInfo(id: OperatorID(derivedFrom: "o"), uid: "o", name: "o", parallelism: 2, maxParallelism: 4)
        try w.beginOperator(op, states: [StateDescriptor(name: "s", kind: .value)])
        try w.beginSubtask(0)
        let range = KeyGroupRange.forSubtask(0, parallelism: 2, maxParallelism: 4)
        try w.beginKeyedState("s", range: range)
        let other = VectorCatalog.keys(for: KeyGroupRange.forSubtask(1, parallelism: 2, maxParallelism: 4), count: 1, maxParallelism: 4)[0]
        #expect(throws: WriterError.self) { try w.append(key: other, value: []) }
    }

    @Test("content-defined block cuts keep blocks after an insertion identical")
    func blocksResynchronize() throws {
        func write(skip: Int?) throws -> SnapshotReader {
            let bytes = try VectorCatalog.write(VectorCatalog.metadata("1"), .zstd(level: 1)) { w in
                let op = OperatorInfo(id: OperatorID(derivedFrom: "o"), uid: "o", name: "o", parallelism: 1, maxParallelism: 1)
                try w.beginOperator(op, states: [StateDescriptor(name: "s", kind: .value)])
                try w.beginSubtask(0)
                try w.beginKeyedState("s", range: KeyGroupRange(start: 0, count: 1))
                for i in 0..<3000 where i != skip {
                    try w.append(key: VectorCatalog.be64(UInt64(i)), value: VectorCatalog.be64(UInt64(i * 7)))
                }
                try w.endKeyedState()
                try w.endSubtask()
                try w.endOperator()
            }
            return try SnapshotReader(source: MemorySource(bytes))
        }
        let a = try write(skip: nil), b = try write(skip: 10)
        let crcsA = Set(a.index.blocks.map(\.crc)), crcsB = Set(b.index.blocks.map(\.crc))
        #expect(a.index.blocks.count > 100)
        // Cuts depend on content, not position: after the removed entry the blocks resynchronize within a few
        // blocks (the minimum size can move the next cut or two), and everything after is identical.
        #expect(crcsB.subtracting(crcsA).count <= 3)
        #expect(a.index.blocks.suffix(a.index.blocks.count - 10).map(\.crc) == b.index.blocks.suffix(a.index.blocks.count - 10).map(\.crc))
    }
}

@Suite("typed values")
struct TypedValueTests {
    @Test("values round trip through their schema and the schema through its encoding")
    func roundTrip() throws {
        let schema = VectorCatalog.profileSchema
        var r = ByteReader(schema.encoded)
        #expect(try Schema.decode(from: &r) == schema)
        let value = TypedValue.record([.string("x"), .int32(-1), .float64(.pi), .float32(1.5), .boolean(true), .bytes([0]),
                                       .optional(nil), .list([.string("a")]), .map([(.string("b"), .int64(2)), (.string("a"), .int64(1))]), .int64(9)])
        #expect(value.conforms(to: schema))
        let decoded = try TypedValue.decode(schema, from: value.encoded)
        // Map pairs come back in encoded-key order.
        guard case .record(let fields) = decoded, case .map(let pairs) = fields[8] else { Issue.record("shape"); return }
        #expect(pairs.map { $0.0 } == [.string("a"), .string("b")])
    }

    @Test("int32 out of range, bad optional markers and unsorted maps are rejected")
    func rejects() throws {
        var w = ByteWriter()
        w.writeSVarint(Int64(Int32.max) + 1)
        #expect(throws: DecodeError.self) { try TypedValue.decode(.int32, from: w.bytes) }
        #expect(throws: DecodeError.self) { try TypedValue.decode(.optional(.int64), from: [2]) }
        var m = ByteWriter()
        m.writeVarint(2)
        TypedValue.string("b").encode(into: &m)
        TypedValue.int64(1).encode(into: &m)
        TypedValue.string("a").encode(into: &m)
        TypedValue.int64(1).encode(into: &m)
        #expect(throws: DecodeError.self) { try TypedValue.decode(.map(key: .string, value: .int64), from: m.bytes) }
        // Deep nesting is bounded.
        let deep = [UInt8](repeating: 0x10, count: 100) + [0x01]
        var dr = ByteReader(deep)
        #expect(throws: DecodeError.self) { try Schema.decode(from: &dr) }
    }
}

@Suite("key groups")
struct KeyGroupTests {
    @Test("subtask ranges cover every key group exactly once", arguments: [(1, 1), (3, 128), (7, 128), (128, 128), (5, 32768), (96, 200)])
    func coverage(parallelism: Int, maxParallelism: Int) {
        var next = 0
        for i in 0..<parallelism {
            let r = KeyGroupRange.forSubtask(i, parallelism: parallelism, maxParallelism: maxParallelism)
            #expect(r.start == next)
            for kg in [r.start, r.last] where r.count > 0 {
                #expect(KeyGroupRange.subtask(owning: kg, parallelism: parallelism, maxParallelism: maxParallelism) == i)
            }
            next = r.end
        }
        #expect(next == maxParallelism)
    }

    @Test("Flink's published example ranges")
    func flinkExamples() {
        // maxParallelism 128, parallelism 3: Flink assigns 0-42, 43-85, 86-127.
        #expect(KeyGroupRange.forSubtask(0, parallelism: 3, maxParallelism: 128) == KeyGroupRange(first: 0, last: 42))
        #expect(KeyGroupRange.forSubtask(1, parallelism: 3, maxParallelism: 128) == KeyGroupRange(first: 43, last: 85))
        #expect(KeyGroupRange.forSubtask(2, parallelism: 3, maxParallelism: 128) == KeyGroupRange(first: 86, last: 127))
    }
}

@Suite("schema validator")
struct SchemaValidatorTests {
    static func decodes(_ schema: Schema, _ bytes: [UInt8]) -> Bool {
        (try? TypedValue.decode(schema, from: bytes)) != nil
    }

    static func validates(_ v: SchemaValidator, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { b in (try? v.validate(b, 0..<bytes.count)) != nil }
    }

    @Test("accepts exactly what TypedValue.decode accepts, for every truncation and byte mutation")
    func agreesWithDecode() throws {
        let schema = VectorCatalog.profileSchema
        let validator = SchemaValidator(schema)
        let value = TypedValue.record([.string("ñame"), .int32(-70000), .float64(2.5), .float32(1), .boolean(true), .bytes([9, 9]),
                                       .optional(.string("n")), .list([.string("a"), .string("b")]),
                                       .map([(.string("x"), .int64(1)), (.string("y"), .int64(-1))]), .int64(77)])
        let good = value.encoded
        #expect(Self.validates(validator, good))
        var checked = 0
        for n in 0..<good.count {
            let cut = Array(good.prefix(n))
            #expect(Self.validates(validator, cut) == Self.decodes(schema, cut), "truncated to \(n)")
            for replacement: UInt8 in [0x00, 0x01, 0x02, 0x7F, 0x80, 0xC0, 0xED, 0xFF] {
                var m = good
                m[n] = replacement
                #expect(Self.validates(validator, m) == Self.decodes(schema, m), "byte \(n) set to \(replacement)")
                checked += 1
            }
        }
        #expect(checked > 300)
        #expect(!Self.validates(validator, good + [0]), "trailing bytes are refused")
    }
}

@Suite("offset spans")
struct OffsetSpanTests {
    @Test("an element runs to the next offset of any state, the last to the end")
    func spans() {
        let spans = OffsetSpans(all: [40, 10, 25, 70], end: 100)
        #expect(spans.end(of: 10) == 25)
        #expect(spans.end(of: 25) == 40)
        #expect(spans.end(of: 70) == 100)
        #expect(spans.bytes([10, 70]) == 15 + 30)
        #expect(OffsetSpans(all: [], end: 5).bytes([]) == 0)
    }
}
