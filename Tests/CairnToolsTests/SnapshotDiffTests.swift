import CairnCore
import CairnFormat
import CairnModel
import CairnTools
import Foundation
import Testing

@Suite("SnapshotDiff and KeyDiff")
struct SnapshotDiffTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/cairn")

    /// Every key of one state with all its entries, read the simple way: the whole state at once.
    static func entries(_ s: NativeSnapshot, state: String) throws -> [[UInt8]: [[UInt8]]] {
        var out: [[UInt8]: [[UInt8]]] = [:]
        let r = s.reader
        for (oi, op) in r.index.operators.enumerated() {
            guard let si = op.states.firstIndex(where: { $0.name == state }) else { continue }
            for st in op.subtasks {
                for u in st.keyed where u.stateIndex == si {
                    for seg in u.segments {
                        try r.forEachEntry(of: seg, at: r.location(operator: oi)) { e in
                            out[Array(e.keyBytes), default: []].append(Array(e.namespaceBytes ?? []) + [0xFF] + Array(e.userKeyBytes ?? []) + [0xFF] + Array(e.valueBytes))
                        }
                    }
                }
            }
        }
        return out
    }

    @Test("a key diff of two generated checkpoints agrees with comparing whole states", arguments: ["totals", "recent-events"])
    func nativeKeys(state: String) throws {
        let a = try NativeSnapshot(path: Self.fixtures.appendingPathComponent("tiny-seed1-chk1.cairn").path)
        let b = try NativeSnapshot(path: Self.fixtures.appendingPathComponent("tiny-seed1-chk3.cairn").path)
        let d = try KeyDiff.compute(a, b, state: state, samples: 3)
        let x = try Self.entries(a, state: state), y = try Self.entries(b, state: state)
        #expect(d.keysBefore == Int64(x.count) && d.keysAfter == Int64(y.count))
        #expect(d.added == Int64(y.keys.filter { x[$0] == nil }.count))
        #expect(d.removed == Int64(x.keys.filter { y[$0] == nil }.count))
        #expect(d.changed == Int64(y.keys.filter { x[$0] != nil && x[$0] != y[$0] }.count))
        #expect(d.unchanged == Int64(y.keys.filter { x[$0] == y[$0] }.count))
        #expect(d.differs, "consecutive generated checkpoints change some keys")
        for k in d.changedSamples { #expect(x[k] != nil && x[k] != y[k]) }
        #expect(d.changedSamples.count == min(3, Int(d.changed)))
        let same = try KeyDiff.compute(a, a, state: state)
        #expect(!same.differs && same.unchanged == Int64(x.count))
    }

    @Test("states: serializer version, schema, kind and TTL changes are each reported")
    func stateChanges() throws {
        let a = try NativeSnapshot(path: Self.fixtures.appendingPathComponent("tiny-seed1-chk1.cairn").path).summary()
        var b = a
        let o = try #require(b.operators.firstIndex { $0.states.contains { $0.valueSerializer?.schema != nil } })
        let s = try #require(b.operators[o].states.firstIndex { $0.valueSerializer?.schema != nil })
        let name = b.operators[o].states[s].descriptor.name
        b.operators[o].states[s].valueSerializer?.version += 1
        b.operators[o].states[s].valueSerializer?.schema = .record(name: "Other", fields: [.init("x", .int64)])
        let d = SnapshotDiff.compute(a, b, sourceA: "a", sourceB: "b")
        let c = try #require(d.operators.first { $0.id == b.operators[o].info.id.hex }?.states.first { $0.name == name })
        #expect(c.status == .changed && c.serializerChanged && c.schemaChanged && !c.kindChanged)
        #expect(d.differs)
        #expect(d.text(style: TextStyle(color: false)).contains("v\(a.operators[o].states[s].valueSerializer!.version + 1)"))
        let unchanged = SnapshotDiff.compute(a, a, sourceA: "a", sourceB: "a")
        #expect(!unchanged.differs && unchanged.operators.allSatisfy { $0.states.allSatisfy { $0.status == .unchanged } })
    }

    @Test("split progress: Kafka offsets, number sequences, Kinesis sequence numbers, markers")
    func splitProgress() throws {
        func diff(_ p: SplitPosition, _ q: SplitPosition) throws -> SplitProgress {
            let info = OperatorInfo(id: OperatorID(flinkUID: "src"), uid: "src", name: "src", parallelism: 1, maxParallelism: 128)
            func summary(_ pos: SplitPosition) -> SnapshotSummary {
                SnapshotSummary(metadata: SnapshotMetadata(snapshotId: "1", engineName: "test"), format: "t", operators: [
                    OperatorSummary(info: info, coordinatorSize: 0, subtasks: [SubtaskSummary(
                        index: 0, keyedSize: 0, operatorSize: 0, inputChannelSize: 0, outputSubpartitionSize: 0, keyGroups: nil,
                        splits: [SourceSplit(splitId: "s", position: pos)])], states: []),
                ])
            }
            return try #require(SnapshotDiff.compute(summary(p), summary(q), sourceA: "a", sourceB: "b").operators.first?.splits.first)
        }
        let k = try diff(.kafka(topic: "t", partition: 1, nextOffset: 100), .kafka(topic: "t", partition: 1, nextOffset: 40))
        #expect(k.advanced == -60 && k.backward)
        let marker = try diff(.kafka(topic: "t", partition: 1, nextOffset: -2), .kafka(topic: "t", partition: 1, nextOffset: 5))
        #expect(marker.advanced == nil && !marker.backward)
        let n = try diff(.numberSequence(next: 10, last: 99), .numberSequence(next: 25, last: 99))
        #expect(n.advanced == 15 && !n.backward && n.status == .changed)
        let kin = try diff(.kinesis(stream: "arn:s", shardId: "sh", sequenceNumber: "49590338271490256608559692538361571095921575989136588898"),
                           .kinesis(stream: "arn:s", shardId: "sh", sequenceNumber: "9959033827149025660855969253836157109592157598913658889"))
        #expect(kin.backward, "a shorter decimal sequence number is smaller")
        let same = try diff(.numberSequence(next: 10, last: 99), .numberSequence(next: 10, last: 99))
        #expect(same.status == .unchanged)
    }
}
