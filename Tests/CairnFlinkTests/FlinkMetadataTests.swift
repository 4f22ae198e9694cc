import CairnCore
import CairnFlink
import CairnFormat
import CairnModel
import Testing

/// Synthetic `_metadata` covering every handle tag, for round trips and damage; real files are in FlinkFixtureTests.
enum SyntheticMetadata {
    static func id(_ n: UInt8) -> OperatorID { OperatorID(bytes: [UInt8](repeating: n, count: 16))! }

    static func make(version: Int32) -> FlinkCheckpointMetadata {
        let range = KeyGroupRange(start: 0, count: 4)
        let file = FlinkStreamHandle.file(path: "file:/tmp/cairn-nowhere/0123456789abcdef0123456789abcdef/shared/5d1c", size: 4096)
        let relative = FlinkStreamHandle.relativeFile(path: "3f2e1d", size: 300)
        let inline = FlinkStreamHandle.inline(name: "file:/tmp/x/chk-3/inline", data: Array(repeating: 7, count: 40))
        let incremental = FlinkKeyedHandle.incremental(.init(
            tag: 11, checkpointId: 3, backendId: "8d5b1a7c-1111-2222-3333-444455556666", range: range, checkpointedSize: 1200,
            metadata: inline, shared: [("000012.sst", file), ("000013.sst", .relativeFile(path: "aa", size: 900))],
            privateFiles: [("MANIFEST-000004", .inline(name: "m", data: [1, 2, 3])), ("CURRENT", nil)], stateHandleId: "h-1"))
        let operatorHandle = FlinkOperatorStateHandle(tag: 4, states: [
            .init(name: "SourceReaderState", mode: .splitDistribute, offsets: [10, 30]),
            .init(name: "union", mode: .union, offsets: [50]),
            .init(name: "bcast", mode: .broadcast, offsets: [70]),
        ], delegate: relative)
        let segment = FlinkStreamHandle.segment(startPosition: 128, size: 64, scope: .shared, physicalPath: "file:/tmp/m/phys", logicalFileId: "uuid")
        let merging = FlinkOperatorStateHandle(tag: 17, states: [.init(name: "s", mode: .splitDistribute, offsets: [0])], delegate: segment,
                                               taskOwnedDirectory: "file:/tmp/t", sharedDirectory: "file:/tmp/s", isEmpty: false)
        let changelog = FlinkKeyedHandle.changelog(
            tag: 14, range: range, checkpointedSize: 77,
            materialized: [.keyGroups(tag: 12, range: range, offsets: [0, 10, 0, 20], delegate: relative, stateHandleId: "k")],
            deltas: [.changelogFiles(tag: 13, range: range, handles: [(Int64(0), file), (Int64(16), nil)], size: 55, checkpointedSize: 20, stateHandleId: "c", storage: "filesystem"),
                     .changelogInMemory(range: range, from: 1, to: 2, changes: [(0, [1, 2]), (-1, [9])], stateHandleId: "m")],
            materializationId: 4, checkpointId: 3, stateHandleId: "cl")
        var channelsIn: [FlinkChannelHandle] = []
        var channelsOut: [FlinkChannelHandle] = []
        if version >= 6 {
            channelsIn.append(FlinkChannelHandle(direction: .input, merged: true, subtaskIndex: 1, channel: nil, offsets: [], size: 500, delegate: relative, mergedInfo: [0, 0, 0, 1, 9]))
        }
        channelsIn.append(FlinkChannelHandle(direction: .input, merged: false, subtaskIndex: 1, channel: (0, 2), offsets: [4, 60], size: 88, delegate: relative, mergedInfo: []))
        channelsOut.append(FlinkChannelHandle(direction: .output, merged: false, subtaskIndex: 1, channel: (0, 0), offsets: [4], size: 12, delegate: inline, mergedInfo: []))
        let subtasks = [
            FlinkSubtaskState(index: 0, finished: false, managedOperatorState: operatorHandle, rawOperatorState: merging,
                              managedKeyedState: incremental, rawKeyedState: .keyGroups(tag: 7, range: range, offsets: [0, 5, 9, 12], delegate: .keyGroups(range: range, offsets: [1, 2, 3, 4], delegate: inline), stateHandleId: nil),
                              inputChannels: [], outputChannels: []),
            FlinkSubtaskState(index: 1, finished: false, managedKeyedState: changelog, inputChannels: channelsIn, outputChannels: channelsOut),
            FlinkSubtaskState(index: 2, finished: true, inputChannels: [], outputChannels: []),
        ]
        let legacy = FlinkKeyedHandle.incremental(.init(tag: 5, checkpointId: 2, backendId: "not-a-uuid", range: range, checkpointedSize: nil,
                                                        metadata: relative, shared: [], privateFiles: [], stateHandleId: nil))
        var ops = [
            FlinkOperatorState(id: id(1), name: version >= 5 ? "Source: numbers" : nil, uid: version >= 5 ? "source" : nil, parallelism: 3,
                               maxParallelism: 128, coordinator: .inline(name: "c", data: [0, 0, 0, 1]), fullyFinished: false, subtasks: subtasks),
            FlinkOperatorState(id: id(2), name: nil, uid: nil, parallelism: 1, maxParallelism: 4, coordinator: nil, fullyFinished: true, subtasks: []),
            FlinkOperatorState(id: id(3), name: version >= 5 ? "Keyed ü" : nil, uid: nil, parallelism: 1, maxParallelism: 4, coordinator: nil, fullyFinished: false,
                               subtasks: [FlinkSubtaskState(index: 0, finished: false, managedKeyedState: legacy, inputChannels: [], outputChannels: [])]),
        ]
        if version >= 5 { ops[1].name = "Sink" }
        return FlinkCheckpointMetadata(
            version: version, checkpointId: 3, masterStates: [FlinkMasterState(name: "hook", version: 1, size: 2, raw: [0, 0, 0, 1, 0, 4, 104, 111, 111, 107, 0, 0, 0, 2, 5, 6])],
            operators: ops, properties: nil, trailer: version >= 4 ? [0xAC, 0xED, 0x00, 0x05, 0x74, 0x00, 0x03, 0x61, 0x62, 0x63] : [])
    }
}

@Suite("Flink _metadata")
struct FlinkMetadataTests {
    @Test("every version round trips byte for byte", arguments: [Int32(3), 4, 5, 6])
    func roundTrip(version: Int32) throws {
        let m = SyntheticMetadata.make(version: version)
        let bytes = try FlinkMetadataWriter.write(m)
        let parsed = try FlinkMetadataParser.parse(bytes)
        #expect(parsed.version == version)
        #expect(parsed.checkpointId == 3)
        #expect(parsed.masterStates.map(\.name) == ["hook"])
        #expect(parsed.operators.count == 3)
        #expect(try FlinkMetadataWriter.write(parsed) == bytes)
        #expect(parsed.operators[1].fullyFinished)
        #expect(parsed.operators[0].subtasks[2].finished)
        #expect(parsed.operators[0].name == (version >= 5 ? "Source: numbers" : nil))
        if version >= 5 { #expect(parsed.operators[2].name == "Keyed ü") }
    }

    @Test("sizes follow Flink's getStateSize and getCheckpointedSize")
    func sizes() throws {
        let m = try FlinkMetadataParser.parse(try FlinkMetadataWriter.write(SyntheticMetadata.make(version: 6)))
        let s0 = m.operators[0].subtasks[0]
        // Incremental: meta (40 inline) + shared (4096 + 900) + private (3 + null); checkpointed as recorded.
        let keyed = try #require(s0.managedKeyedState)
        #expect(keyed.stateSize == Int64(40 + 4096 + 900 + 3))
        #expect(keyed.checkpointedSize == 1200)
        // Operator state: the delegate's size; file merging: the segment's size.
        #expect(s0.operatorStateSize == 300 + 64)
        #expect(s0.stateSize == 300 + 64 + 5039 + 40)
        #expect(s0.checkpointedSize == 300 + 64 + 1200 + 40)
        let s1 = m.operators[0].subtasks[1]
        // Changelog: materialized + deltas; checkpointed as recorded. Channels: their own sizes.
        #expect(s1.keyedStateSize == 300 + 55 + 3)
        #expect(s1.checkpointedSize == 77 + 500 + 88 + 12)
        #expect(m.operators[0].stateSize == 4 + s0.stateSize + s1.stateSize)
        // A legacy incremental handle without a recorded checkpointed size counts its state size.
        #expect(m.operators[2].checkpointedSize == 300)
    }

    @Test("truncation at every offset is a located error, never a crash")
    func truncation() throws {
        let bytes = try FlinkMetadataWriter.write(SyntheticMetadata.make(version: 6))
        for n in 0..<bytes.count {
            do {
                _ = try FlinkMetadataParser.parse(Array(bytes.prefix(n)), file: "_metadata")
                // A v4+ file cut inside its trailer still parses; anything cut earlier must not.
                #expect(n >= bytes.count - 10, "cut at \(n) was accepted")
            } catch {
                #expect(error.location.file == "_metadata")
                #expect(error.location.offset != nil)
            }
        }
    }

    @Test("byte flips never crash, and errors name offset and operator")
    func flips() throws {
        let bytes = try FlinkMetadataWriter.write(SyntheticMetadata.make(version: 6))
        var failures = 0
        for i in 0..<bytes.count {
            for v: UInt8 in [0x00, 0x7F, 0x80, 0xFF] where bytes[i] != v {
                var b = bytes
                b[i] = v
                do { _ = try FlinkMetadataParser.parse(b) } catch {
                    failures += 1
                    // Past the header, the master state and the operator count, every error names an operator.
                    if i >= 48 { #expect(error.location.operatorID != nil, "flip at \(i): \(error)") }
                }
            }
        }
        #expect(failures > bytes.count)
    }

    @Test("absurd counts are refused before allocating")
    func absurd() throws {
        var w = JavaDataOutput()
        w.writeI32(FlinkMetadataParser.magic); w.writeI32(6); w.writeI64(1); w.writeI32(0)
        w.writeI32(Int32.max)  // operators
        #expect(throws: SnapshotError.self) { _ = try FlinkMetadataParser.parse(w.bytes) }
        var inline = JavaDataOutput()
        inline.writeI32(FlinkMetadataParser.magic); inline.writeI32(3); inline.writeI64(1); inline.writeI32(0); inline.writeI32(1)
        inline.writeBytes([UInt8](repeating: 1, count: 16)); inline.writeI32(1); inline.writeI32(1)
        inline.writeU8(1); inline.writeUTF("x"); inline.writeI32(Int32.max)  // inline coordinator of 2 GiB
        do {
            _ = try FlinkMetadataParser.parse(inline.bytes)
            Issue.record("accepted")
        } catch {
            #expect(error.code == .lengthOutOfBounds)
        }
    }

    @Test("wrong magic, unsupported versions and unknown tags say what and where")
    func headers() throws {
        var bytes = try FlinkMetadataWriter.write(SyntheticMetadata.make(version: 4))
        var bad = bytes
        bad[0] = 0
        #expect(throws: SnapshotError.self) { _ = try FlinkMetadataParser.parse(bad) }
        for v: UInt8 in [2, 7, 99] {
            var b = bytes
            b[7] = v
            do { _ = try FlinkMetadataParser.parse(b) } catch { #expect(error.code == .unsupportedVersion) }
        }
        // The coordinator handle tag of the first operator is at a known place in v4: header 16 + 4 + 4 + master state.
        let masterLength = 8 + 16
        let coordinatorTag = 8 + 8 + 4 + masterLength + 4 + 16 + 8
        #expect(bytes[coordinatorTag] == 1)
        bytes[coordinatorTag] = 42
        do {
            _ = try FlinkMetadataParser.parse(bytes)
            Issue.record("accepted")
        } catch {
            #expect(error.code == .unknownTag)
            #expect(error.location.offset == UInt64(coordinatorTag))
            #expect(error.location.operatorID == SyntheticMetadata.id(1).hex)
        }
    }

    @Test("modified UTF-8 round trips, NUL and supplementary characters included")
    func modifiedUTF8() {
        for s in ["", "plain", "ü€", "nul\u{0}inside", "𝄞 clef"] {
            #expect(ModifiedUTF8.decode(ModifiedUTF8.encode(s)[...]) == s)
        }
        #expect(ModifiedUTF8.encode("\u{0}") == [0xC0, 0x80])
        #expect(ModifiedUTF8.encode("𝄞").count == 6)
    }
}

@Suite("source split decoding")
struct FlinkSourceSplitTests {
    /// A `SourceReaderState` element: byte-array length, split serializer version, split length, split bytes.
    static func element(version: Int32, _ body: (inout JavaDataOutput) -> Void) -> [UInt8] {
        var split = JavaDataOutput()
        body(&split)
        var e = JavaDataOutput()
        e.writeI32(Int32(8 + split.bytes.count))
        e.writeI32(version)
        e.writeI32(Int32(split.bytes.count))
        e.writeBytes(split.bytes)
        return e.bytes
    }

    @Test("Kafka: topic, partition and the next offset to read")
    func kafka() {
        let e = Self.element(version: 0) { w in
            w.writeUTF("orders"); w.writeI32(7); w.writeI64(123_456); w.writeI64(Int64.min)
        }
        #expect(FlinkSourceSplits.decode(element: e, index: 0) == SourceSplit(splitId: "orders-7", position: .kafka(topic: "orders", partition: 7, nextOffset: 123_456)))
        // Kafka's special offsets (EARLIEST -2) come through as they are.
        let earliest = Self.element(version: 0) { w in w.writeUTF("t"); w.writeI32(0); w.writeI64(-2); w.writeI64(Int64.min) }
        #expect(FlinkSourceSplits.decode(element: earliest, index: 0)?.position == .kafka(topic: "t", partition: 0, nextOffset: -2))
    }

    @Test("Kinesis: stream, shard and sequence-number marker")
    func kinesis() {
        let arn = "arn:aws:kinesis:eu-west-1:123456789012:stream/clicks"
        let e = Self.element(version: 2) { w in
            w.writeUTF(arn); w.writeUTF("shardId-000000000003"); w.writeUTF("AFTER_SEQUENCE_NUMBER")
            w.writeU8(1); w.writeU8(0); w.writeU8(1); w.writeUTF("4959033827149025660855969")
        }
        #expect(FlinkSourceSplits.decode(element: e, index: 0) == SourceSplit(
            splitId: "shardId-000000000003", position: .kinesis(stream: arn, shardId: "shardId-000000000003", sequenceNumber: "4959033827149025660855969")))
    }

    @Test("number sequence, and unknown splits kept opaque with their version")
    func others() {
        let seq = Self.element(version: 1) { w in w.writeUTF("3"); w.writeI64(10); w.writeI64(99) }
        #expect(FlinkSourceSplits.decode(element: seq, index: 0) == SourceSplit(splitId: "3", position: .numberSequence(next: 10, last: 99)))
        let odd = Self.element(version: 5) { w in w.writeI64(1) }
        guard case .generic(_, let version, let bytes)? = FlinkSourceSplits.decode(element: odd, index: 4)?.position else {
            Issue.record("not generic")
            return
        }
        #expect(version == 5 && bytes.count == 8)
        #expect(FlinkSourceSplits.decode(element: [0, 0, 0, 99, 1], index: 0) == nil, "a malformed element is not a split")
    }
}
