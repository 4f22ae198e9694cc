import CairnCore
import CairnFlink
import CairnFormat
import CairnModel
import CairnTools
import Foundation
import Testing

/// A Flink checkpoint tree on disk, written with Cairn's `_metadata` writer, as if Flink had written it elsewhere
/// (`/gone/…`) and it was then copied here.
struct CheckpointTree {
    let root: URL
    let jobId = "0123456789abcdef0123456789abcdef"
    var jobDir: URL { root.appendingPathComponent(jobId) }

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-flink-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    func write(_ relative: String, size: Int) throws {
        let url = jobDir.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(repeating: 0x5A, count: size).write(to: url)
    }

    /// Checkpoint `n` with one keyed operator (incremental: two shared SSTs, one exclusive file) and a source.
    func checkpoint(_ n: Int, shared: [String], exclusiveSize: Int64 = 500) throws {
        let range = KeyGroupRange.forSubtask(0, parallelism: 1, maxParallelism: 128)
        let keyed = FlinkKeyedHandle.incremental(.init(
            tag: 11, checkpointId: Int64(n), backendId: "8d5b1a7c-1111-2222-3333-444455556666", range: range, checkpointedSize: 700,
            metadata: .relativeFile(path: "meta-\(n)", size: 200),
            shared: shared.map { ("\($0).sst", FlinkStreamHandle.file(path: "file:/gone/checkpoints/\(jobId)/shared/\($0)", size: 1000)) },
            privateFiles: [("MANIFEST-000001", .inline(name: "file:/gone/checkpoints/\(jobId)/chk-\(n)/manifest", data: Array(repeating: 1, count: 64)))],
            stateHandleId: "h"))
        var element = JavaDataOutput()
        var split = JavaDataOutput()
        split.writeUTF("0"); split.writeI64(Int64(100 * n)); split.writeI64(999)
        element.writeI32(Int32(8 + split.bytes.count)); element.writeI32(1); element.writeI32(Int32(split.bytes.count)); element.writeBytes(split.bytes)
        let source = FlinkOperatorStateHandle(tag: 4, states: [.init(name: "SourceReaderState", mode: .splitDistribute, offsets: [20])],
                                              delegate: .inline(name: "x", data: Array(repeating: 0, count: 20) + element.bytes))
        let m = FlinkCheckpointMetadata(version: 6, checkpointId: Int64(n), masterStates: [], operators: [
            FlinkOperatorState(id: OperatorID(derivedFrom: "keyed"), name: "Keyed", uid: "keyed", parallelism: 1, maxParallelism: 128, coordinator: nil,
                               fullyFinished: false, subtasks: [FlinkSubtaskState(index: 0, finished: false, managedKeyedState: keyed, inputChannels: [], outputChannels: [])]),
            FlinkOperatorState(id: OperatorID(derivedFrom: "source"), name: "Source: numbers", uid: "source", parallelism: 1, maxParallelism: 128,
                               coordinator: .inline(name: "c", data: [1, 2, 3, 4]), fullyFinished: false,
                               subtasks: [FlinkSubtaskState(index: 0, finished: false, managedOperatorState: source, inputChannels: [], outputChannels: [])]),
        ], properties: nil, trailer: Self.checkpointPropertiesTrailer)
        let dir = jobDir.appendingPathComponent("chk-\(n)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try Data(try FlinkMetadataWriter.write(m)).write(to: dir.appendingPathComponent("_metadata"))
        try write("chk-\(n)/meta-\(n)", size: Int(200))
        for s in shared { try write("shared/\(s)", size: 1000) }
        _ = exclusiveSize
    }

    func remove() { try? FileManager.default.removeItem(at: root) }

    /// The shape of the Java-serialized `CheckpointProperties` of a regular checkpoint: the stream header, the class
    /// descriptor of `CheckpointType` and its name and sharing strategy strings.
    static let checkpointPropertiesTrailer: [UInt8] = {
        func utf(_ tag: UInt8, _ s: String) -> [UInt8] { [tag, UInt8(s.utf8.count >> 8), UInt8(s.utf8.count & 0xFF)] + Array(s.utf8) }
        return [0xAC, 0xED, 0x00, 0x05, 0x73] + utf(0x72, "org.apache.flink.runtime.checkpoint.CheckpointType")
            + utf(0x74, "Checkpoint") + utf(0x74, "FORWARD_BACKWARD")
    }()
}

@Suite("Flink checkpoint directories", .serialized)
struct FlinkDirectoryTests {
    @Test("a job directory opens its latest checkpoint, relocates moved paths and finds shared files")
    func jobDirectory() throws {
        let tree = try CheckpointTree()
        defer { tree.remove() }
        try tree.checkpoint(3, shared: ["a", "b"])
        try tree.checkpoint(4, shared: ["b", "c"])
        let view = try SnapshotOpener.open(tree.jobDir.path)
        let s = try view.summary()
        #expect(s.metadata.snapshotId == "4")
        #expect(s.metadata.engineName == "flink")
        #expect(s.metadata.jobId == tree.jobId)
        let storage = try #require(s.storage)
        #expect(storage.relocatedPaths == 2, "both absolute shared paths were found by suffix")
        #expect(storage.missingFiles == 0)
        #expect(storage.sharedWithOtherCheckpoints == 1000, "shared/b is also used by chk-3")
        #expect(storage.otherCheckpoints.count == 1)
        // Inline: the manifest (64), the coordinator (4), the source state (20 bytes of header + a 31-byte element).
        #expect(storage.inlineSize == 64 + 4 + 20 + 31)
        // Sizes: keyed = meta + 2 shared + inline manifest; checkpointed as recorded.
        let keyed = try #require(s.operators.first { $0.info.uid == "keyed" })
        #expect(keyed.stateSize == 200 + 2000 + 64)
        #expect(keyed.checkpointedSize == 700)
        // The number-sequence split is decoded from SourceReaderState.
        let source = try #require(s.operators.first { $0.info.uid == "source" })
        #expect(source.subtasks[0].splits == [SourceSplit(splitId: "0", position: .numberSequence(next: 400, last: 999))])
        #expect(source.coordinatorSize == 4)
        let report = SnapshotValidator.validate(source: tree.jobDir.path, view: view, deep: false)
        #expect(report.isValid, "\(report.problems)")
    }

    @Test("missing and short files are named with the operator and subtask that need them")
    func missingFiles() throws {
        let tree = try CheckpointTree()
        defer { tree.remove() }
        try tree.checkpoint(7, shared: ["x", "y"])
        try FileManager.default.removeItem(at: tree.jobDir.appendingPathComponent("shared/x"))
        try Data(repeating: 0, count: 10).write(to: tree.jobDir.appendingPathComponent("shared/y"))
        let dir = tree.jobDir.appendingPathComponent("chk-7").path
        let report = SnapshotValidator.validate(source: dir, view: try SnapshotOpener.open(dir), deep: false)
        #expect(!report.isValid)
        let missing = try #require(report.problems.first { $0.code == "missingFile" })
        #expect(missing.message.contains("shared/x"))
        #expect(missing.location.operatorName == "Keyed")
        #expect(missing.location.subtask == 0)
        let short = try #require(report.problems.first { $0.code == "shortFile" })
        #expect(short.message.contains("has 10 bytes"))
    }

    @Test("a damaged _metadata is a located error through every entry point")
    func damaged() throws {
        let tree = try CheckpointTree()
        defer { tree.remove() }
        try tree.checkpoint(2, shared: [])
        let file = tree.jobDir.appendingPathComponent("chk-2/_metadata")
        let bytes = try Data(contentsOf: file)
        try bytes.prefix(bytes.count - CheckpointTree.checkpointPropertiesTrailer.count - 9).write(to: file)
        do {
            _ = try SnapshotOpener.open(file.path)
            Issue.record("accepted")
        } catch let e as SnapshotError {
            #expect(e.location.file == file.path)
            #expect(e.code == .truncated)
        }
    }
}

@Suite("Flink checkpoint properties")
struct FlinkPropertiesTests {
    @Test("a v4+ file without its properties trailer is reported, as Flink cannot load it")
    func missingTrailer() throws {
        let tree = try CheckpointTree()
        defer { tree.remove() }
        try tree.checkpoint(1, shared: [])
        let dir = tree.jobDir.appendingPathComponent("chk-1")
        let good = SnapshotValidator.validate(source: dir.path, view: try SnapshotOpener.open(dir.path), deep: false)
        #expect(good.isValid, "\(good.problems)")
        let file = dir.appendingPathComponent("_metadata")
        let bytes = try Data(contentsOf: file)
        try bytes.prefix(bytes.count - CheckpointTree.checkpointPropertiesTrailer.count).write(to: file)
        let report = SnapshotValidator.validate(source: dir.path, view: try SnapshotOpener.open(dir.path), deep: false)
        #expect(report.problems.contains { $0.code == "checkpointProperties" })
        let snapshot = try FlinkSnapshot(source: dir.path)
        #expect(snapshot.metadata.properties == nil)
    }
}
