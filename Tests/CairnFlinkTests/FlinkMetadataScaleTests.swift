import CairnCore
import CairnFlink
import CairnModel
import Foundation
import Testing

/// What the parser and the validator do differently for large snapshots (names read once, files checked once and
/// in parallel) must not change what they report.
@Suite("Flink _metadata at scale")
struct FlinkMetadataScaleTests {
    static func operatorHandle(_ names: [String], file: FlinkStreamHandle) -> FlinkOperatorStateHandle {
        FlinkOperatorStateHandle(tag: 4, states: names.enumerated().map { .init(name: $1, mode: .splitDistribute, offsets: [Int64($0) * 8]) },
                                 delegate: file)
    }

    @Test("names repeated on every subtask, unique ones and non-ASCII ones all read back as written")
    func repeatedNames() throws {
        var subtasks: [FlinkSubtaskState] = []
        for i in 0..<300 {
            // 17 and 25 bytes (beyond the inline limit, so they go through the table), one unique per subtask,
            // and two of the same length that differ in one byte.
            let names = ["SourceReaderState", "a-long-repeated-state-nam", "state-of-subtask-\(String(format: "%06d", i))",
                         i % 2 == 0 ? "collision-check-aaaaaa" : "collision-check-aaaaab", "zustände-über-alles-\(i % 3)"]
            let segment = FlinkStreamHandle.segment(startPosition: Int64(i) * 64, size: 64, scope: .shared,
                                                    physicalPath: "file:/tmp/cairn-nowhere/shared/physical-file-\(i % 4)", logicalFileId: "l-\(i)")
            var merging = Self.operatorHandle(["s"], file: segment)
            merging.tag = 17
            merging.taskOwnedDirectory = "file:/tmp/cairn-nowhere/taskowned/\(i % 2)"
            merging.sharedDirectory = "file:/tmp/cairn-nowhere/shared"
            merging.isEmpty = false
            subtasks.append(FlinkSubtaskState(index: i, finished: false, managedOperatorState: Self.operatorHandle(names, file: .relativeFile(path: "op-\(i)", size: 100)),
                                              rawOperatorState: merging, inputChannels: [], outputChannels: []))
        }
        let op = FlinkOperatorState(id: SyntheticMetadata.id(9), name: "Op", uid: "op", parallelism: 300, maxParallelism: 512,
                                    coordinator: nil, fullyFinished: false, subtasks: subtasks)
        let m = FlinkCheckpointMetadata(version: 6, checkpointId: 1, masterStates: [], operators: [op], properties: nil, trailer: [])
        let bytes = try FlinkMetadataWriter.write(m)
        let parsed = try FlinkMetadataParser.parse(bytes)
        #expect(try FlinkMetadataWriter.write(parsed) == bytes)
        for (a, b) in zip(parsed.operators[0].subtasks, subtasks) {
            #expect(a.managedOperatorState?.states.map(\.name) == b.managedOperatorState?.states.map(\.name))
            #expect(a.rawOperatorState?.taskOwnedDirectory == b.rawOperatorState?.taskOwnedDirectory)
            #expect(a.rawOperatorState?.delegate == b.rawOperatorState?.delegate)
        }
    }

    @Test("a damaged length inside a state name still names what was being read")
    func damagedName() throws {
        let m = FlinkCheckpointMetadata(version: 6, checkpointId: 1, masterStates: [], operators: [
            FlinkOperatorState(id: SyntheticMetadata.id(1), name: "Op", uid: "op", parallelism: 1, maxParallelism: 8, coordinator: nil, fullyFinished: false,
                               subtasks: [FlinkSubtaskState(index: 0, finished: false, managedOperatorState: Self.operatorHandle(["SourceReaderState"], file: .relativeFile(path: "f", size: 10)),
                                                            inputChannels: [], outputChannels: [])]),
        ], properties: nil, trailer: [])
        var bytes = try FlinkMetadataWriter.write(m)
        let name = Array("SourceReaderState".utf8)
        let at = try #require((0...(bytes.count - name.count)).first { Array(bytes[$0..<($0 + name.count)]) == name })
        // The count of offsets after the name and its mode byte: make it claim more than the file holds.
        let countAt = at + name.count + 1
        bytes.replaceSubrange(countAt..<(countAt + 4), with: [0x00, 0xFF, 0xFF, 0xFF])
        do {
            _ = try FlinkMetadataParser.parse(bytes, file: "m")
            Issue.record("a count beyond the file must fail")
        } catch {
            #expect(error.code == .lengthOutOfBounds)
            #expect(error.message.contains("offset count of 'SourceReaderState'"), "\(error.message)")
            #expect(error.location.offset == UInt64(countAt))
            #expect(error.location.subtask == 0)
        }
    }

    @Test("missing and short files: one problem per reference, in the order of the references, however many files")
    func manyFiles() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-scale-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let n = 1500
        var subtasks: [FlinkSubtaskState] = []
        var expected: [(String, Int)] = []
        for i in 0..<n {
            // Every tenth subtask shares the file of the one before: checked once, reported for both.
            let file = i % 10 == 9 ? i - 1 : i
            subtasks.append(FlinkSubtaskState(index: i, finished: false, managedOperatorState: Self.operatorHandle(["s"], file: .relativeFile(path: "f-\(file)", size: 100)),
                                              inputChannels: [], outputChannels: []))
            switch file % 3 {
            case 0: expected.append(("missingFile", i))
            case 1: expected.append(("shortFile", i))
            default: break
            }
        }
        for i in 0..<n where i % 3 != 0 {
            try Data(count: i % 3 == 1 ? 50 : 100).write(to: dir.appendingPathComponent("f-\(i)"))
        }
        let m = FlinkCheckpointMetadata(version: 3, checkpointId: 1, masterStates: [], operators: [
            FlinkOperatorState(id: SyntheticMetadata.id(1), name: nil, uid: nil, parallelism: n, maxParallelism: 2048, coordinator: nil,
                               fullyFinished: false, subtasks: subtasks),
        ], properties: nil, trailer: [])
        try Data(try FlinkMetadataWriter.write(m)).write(to: dir.appendingPathComponent("_metadata"))
        let problems = try FlinkSnapshot(source: dir.path).formatProblems(deep: false)
        let found = problems.filter { ["missingFile", "shortFile"].contains($0.code) }.map { ($0.code, $0.location.subtask ?? -1) }
        #expect(found.count == expected.count)
        #expect(found.map(\.0) == expected.map(\.0))
        #expect(found.map(\.1) == expected.map(\.1))
        let short = try #require(problems.first { $0.code == "shortFile" })
        #expect(short.message == "\(dir.path)/f-1 has 50 bytes, the handle needs 100")
        let missing = try #require(problems.first { $0.code == "missingFile" })
        #expect(missing.message == "f-0 does not exist (looked for \(dir.path)/f-0); restoring would fail")
    }
}
