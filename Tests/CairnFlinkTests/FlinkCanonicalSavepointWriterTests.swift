import CairnCore
@testable import CairnFlink
import CairnModel
import Testing

/// The canonical full-snapshot layout the writer produces, read back with the scanner Cairn reads Flink's files with.
@Suite("Flink canonical savepoint writer")
struct FlinkCanonicalSavepointWriterTests {
    static let proxy: [UInt8] = [0, 0, 0, 6, 0, 0, 0]  // stands in for a proxy; the writer copies it as it is

    /// The 2.3 hashmap canonical savepoint.
    static let hashmapSavepoint: String = {
        let base = "/" + #filePath.split(separator: "/").dropLast(3).joined(separator: "/") + "/Fixtures/flink/2.3/hashmap"
        return base + "/" + (FilePaths.list(base).first { $0.hasPrefix("savepoint-") } ?? "missing")
    }()

    @Test("per non-empty key group: state id, pairs, the flag bit on each state's last key, 0xFFFF; empty groups keep offset 0")
    func layout() throws {
        let sink = MemorySink()
        let w = try FlinkCanonicalSavepointWriter(sink: sink, proxy: Self.proxy, stateCount: 2, range: KeyGroupRange(start: 4, count: 4), maxParallelism: 256)
        try w.add(keyGroup: 4, state: 0, key: [0, 4, 1], value: [10])
        try w.add(keyGroup: 4, state: 0, key: [0, 4, 2], value: [11])
        try w.add(keyGroup: 4, state: 1, key: [0, 4, 3], value: [])
        try w.add(keyGroup: 6, state: 1, key: [0, 6, 9], value: [12, 13])
        let (offsets, size) = try w.finish()
        #expect(sink.isCommitted)
        #expect(Int(size) == sink.bytes.count)
        #expect(offsets[0] == Int64(Self.proxy.count))
        #expect(offsets[1] == 0 && offsets[3] == 0)
        #expect(offsets[2] > offsets[0])
        // key group 4: short 0, (len, key, len, value) ×2 with the flag on the second, short 1, one pair flagged, 0xFFFF
        let kg4 = Array(sink.bytes[Int(offsets[0])..<Int(offsets[2])])
        #expect(kg4.prefix(2) == [0, 0])
        #expect(kg4.suffix(2) == [0xFF, 0xFF])
        var seen: [(Int, [UInt8], [UInt8])] = []
        for (start, end, kg) in [(offsets[0], offsets[2], 4), (offsets[2], size, 6)] {
            try FlinkKeyedStateScanner.forEachEntry(keyGroupBytes: Array(sink.bytes[Int(start)..<Int(end)]), compressed: false, keyGroup: kg, at: start) { s, k, v in
                seen.append((s, k, v))
            }
        }
        #expect(seen.map(\.0) == [0, 0, 1, 1])
        #expect(seen.map(\.1) == [[0, 4, 1], [0, 4, 2], [0, 4, 3], [0, 6, 9]])
        #expect(seen.map(\.2) == [[10], [11], [], [12, 13]])
        // The flag bit sits on the last key of each state run.
        #expect(kg4[2..<6] == [0, 0, 0, 3] && kg4[6] == 0)
    }

    @Test("entries out of order or outside the range are refused")
    func refusals() throws {
        let w = try FlinkCanonicalSavepointWriter(sink: MemorySink(), proxy: Self.proxy, stateCount: 2, range: KeyGroupRange(start: 0, count: 2), maxParallelism: 128)
        #expect(throws: FlinkCanonicalWriteError.self) { try w.add(keyGroup: 2, state: 0, key: [2, 1], value: []) }
        try w.add(keyGroup: 1, state: 1, key: [1, 1], value: [])
        #expect(throws: FlinkCanonicalWriteError.self) { try w.add(keyGroup: 1, state: 0, key: [1, 1], value: []) }
        #expect(throws: FlinkCanonicalWriteError.self) { try w.add(keyGroup: 1, state: 2, key: [1, 1], value: []) }
    }

    @Test("a proxy image written back from all its states is the input's proxy byte for byte")
    func proxyImage() throws {
        let sp = try FlinkSnapshot(source: Self.hashmapSavepoint)
        for op in sp.metadata.operators {
            for st in op.subtasks {
                guard case .keyGroups(_, _, let offsets, let d?, _)? = st.managedKeyedState,
                      let image = try sp.keyedProxyImage(operator: op, subtask: st) else { continue }
                let first = offsets.filter { $0 > 0 }.min() ?? d.stateSize
                let head = try sp.read(d, from: 0, to: first)
                #expect(image.serialized(states: Array(image.proxy.states.indices)) == Array(head.prefix(image.proxy.end)))
            }
        }
    }
}
