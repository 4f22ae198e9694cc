import CairnCore
import CairnFormat
import CairnModel
import CairnTools
import Foundation
import Testing

/// The committed native fixtures (Fixtures/cairn) are still what the generator writes, and still valid.
@Suite("committed fixtures")
struct FixtureTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/cairn")

    /// Each fixture with the generate parameters that made it (see Fixtures/cairn/regenerate.sh).
    static let catalog: [(String, SyntheticJob, Int)] = [
        ("tiny-seed1-chk1.cairn", SyntheticJob(preset: .tiny, seed: 1), 1),
        ("tiny-seed1-chk2.cairn", SyntheticJob(preset: .tiny, seed: 1), 2),
        ("tiny-seed1-chk3.cairn", SyntheticJob(preset: .tiny, seed: 1), 3),
        ("small-seed7-aligned.cairn", SyntheticJob(preset: .small, seed: 7, mode: .aligned), 1),
        ("small-seed7-lz4.cairn", SyntheticJob(preset: .small, seed: 7, options: WriterOptions(compression: .lz4)), 1),
    ]

    @Test("fixtures are reproduced byte for byte and validate deeply", arguments: catalog.map(\.0))
    func fixture(name: String) throws {
        let (_, job, checkpoint) = Self.catalog.first { $0.0 == name }!
        let path = Self.directory.appendingPathComponent(name).path
        let committed = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let sink = MemorySink()
        try job.write(checkpoint: checkpoint, to: sink)
        #expect(sink.bytes == committed, "\(name) differs from the generator's output; run `make fixtures` if the change is intended")
        let view = try NativeSnapshot(path: path)
        let report = SnapshotValidator.validate(source: path, view: view, deep: true)
        #expect(report.isValid, "\(report.problems)")
        let s = try view.summary()
        #expect(s.metadata.snapshotId == "\(checkpoint)")
        #expect(s.metadata.mode == job.mode)
    }

    @Test("the tiny series moves forward: offsets grow, sizes stay close")
    func series() throws {
        var offsets: [[String: Int64]] = []
        for c in 1...3 {
            let s = try NativeSnapshot(path: Self.directory.appendingPathComponent("tiny-seed1-chk\(c).cairn").path).summary()
            var o: [String: Int64] = [:]
            for op in s.operators { for st in op.subtasks { for sp in st.splits { if case .kafka(_, _, let n) = sp.position { o[sp.splitId] = n } } } }
            offsets.append(o)
        }
        for (a, b) in zip(offsets, offsets.dropFirst()) {
            #expect(a.keys.sorted() == b.keys.sorted())
            for k in a.keys { #expect(b[k]! > a[k]!) }
        }
    }
}
