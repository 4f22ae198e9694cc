import CairnCore
@testable import CairnFlink
import CairnFormat
import CairnModel
@testable import CairnTools
import Foundation
import Testing

/// Real Flink fixtures rewritten at the metadata level: every change keeps the input's metadata version, the rest
/// of the snapshot byte for byte (per operator), and an output that parses and validates.
@Suite("Flink rewrite", .serialized)
struct FlinkRewriterTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/flink")

    /// The canonical savepoint of the hashmap scenario: metadata v3 (1.15), v4 (1.20), v6 (2.3).
    static let savepoints: [String] = ["1.15", "1.20", "2.3"].map { v in
        let dir = root.appendingPathComponent("\(v)/hashmap")
        let name = FilePaths.list(dir.path).first { $0.hasPrefix("savepoint-") } ?? "missing"
        return dir.appendingPathComponent(name).path
    }

    /// The newest retained checkpoint of a scenario (absolute `shared/` files under a base that no longer exists).
    static func checkpoint(_ version: String, _ scenario: String) -> (scenario: String, checkpoint: String) {
        let dir = root.appendingPathComponent("\(version)/\(scenario)").path
        let job = FilePaths.list(dir).first { $0.count == 32 } ?? "missing"
        let chk = FilePaths.list(dir + "/" + job).filter { $0.hasPrefix("chk-") }.sorted { Int($0.dropFirst(4)) ?? 0 < Int($1.dropFirst(4)) ?? 0 }.last ?? "missing"
        return (dir, dir + "/" + job + "/" + chk)
    }

    static let expectedVersion: [String: Int32] = ["1.15": 3, "1.20": 4, "2.3": 6]

    static func version(of path: String) -> Int32 {
        expectedVersion.first { path.contains("/\($0.key)/") }?.value ?? 0
    }

    /// A scratch directory removed at the end of the test.
    final class Scratch {
        let path: String
        init() throws {
            path = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-flinkrw-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        }
        deinit { try? FileManager.default.removeItem(atPath: path) }
    }

    static func rewrite(_ source: String, _ dest: String, _ plan: RewritePlan) throws -> (RewriteReport, FlinkSnapshot) {
        let input = try FlinkSnapshot(source: source)
        let report = try FlinkRewriter.rewrite(input, source: source, to: dest, plan: plan)
        return (report, try FlinkSnapshot(source: dest))
    }

    /// One operator alone, serialized: equal bytes mean an unchanged operator (ids, handles, paths, inline bytes).
    static func bytes(_ op: FlinkOperatorState, version: Int32) throws -> [UInt8] {
        try FlinkMetadataWriter.write(FlinkCheckpointMetadata(version: version, checkpointId: 0, masterStates: [], operators: [op], properties: nil, trailer: []))
    }

    static func expectValid(_ dest: String, version: Int32) throws {
        let out = try FlinkSnapshot(source: dest)
        #expect(out.metadata.version == version)
        let report = SnapshotValidator.validate(source: dest, view: out, deep: false)
        #expect(report.errors.isEmpty, "\(report.errors.map(\.description))")
        for (_, _, _, ref) in out.fileReferences {
            if case .relocated = out.resolver.resolve(ref) { Issue.record("\(ref.path) only found by relocation") }
        }
    }

    static func noLeftovers(_ parent: String) -> Bool {
        !FilePaths.list(parent).contains { $0.contains(".cairn-tmp-") }
    }

    // MARK: real fixtures, every version

    @Test("an empty plan reproduces _metadata byte for byte and copies every relative file", arguments: savepoints)
    func emptyPlan(source: String) throws {
        let scratch = try Scratch()
        let dest = scratch.path + "/out"
        let (report, out) = try Self.rewrite(source, dest, RewritePlan())
        #expect(report.changes.isEmpty)
        let original = try [UInt8](Data(contentsOf: URL(fileURLWithPath: source + "/_metadata")))
        let written = try [UInt8](Data(contentsOf: URL(fileURLWithPath: dest + "/_metadata")))
        #expect(written == original)
        let input = try FlinkSnapshot(source: source)
        let relative = Set(input.fileReferences.filter(\.reference.relative).map(\.reference.path))
        #expect(!relative.isEmpty)
        for name in relative {
            #expect(FileManager.default.contentsEqual(atPath: source + "/" + name, andPath: dest + "/" + name))
        }
        #expect(Set(FilePaths.list(dest)) == relative.union(["_metadata"]))
        #expect(report.filesWritten == relative.count + 1)
        try Self.expectValid(dest, version: Self.version(of: source))
        #expect(out.metadata.operators.count == input.metadata.operators.count)
    }

    @Test("dropping an operator by uid removes it and its files, keeping every other operator", arguments: savepoints)
    func drop(source: String) throws {
        let scratch = try Scratch()
        let dest = scratch.path + "/out"
        var plan = RewritePlan()
        plan.dropOperators = [.init("throttle")]
        let (report, out) = try Self.rewrite(source, dest, plan)
        let input = try FlinkSnapshot(source: source)
        let v = input.metadata.version
        let throttle = OperatorID(flinkUID: "throttle")
        #expect(input.metadata.operators.contains { $0.id == throttle })
        #expect(!out.metadata.operators.contains { $0.id == throttle })
        #expect(out.metadata.operators.count == input.metadata.operators.count - 1)
        for op in out.metadata.operators {
            let before = try #require(input.metadata.operators.first { $0.id == op.id })
            #expect(try Self.bytes(op, version: v) == Self.bytes(before, version: v))
        }
        #expect(report.changes.count == 1 && report.changes[0].contains("dropped operator"))
        // The throttle's list state file is not carried over.
        let dropped = Set(input.fileReferences.filter { $0.operator.id == throttle && $0.reference.relative }.map(\.reference.path))
        #expect(!dropped.isEmpty)
        #expect(Set(FilePaths.list(dest)).isDisjoint(with: dropped))
        try Self.expectValid(dest, version: v)
    }

    @Test("renaming a uid gives the operator the new uid's id and keeps its state", arguments: savepoints)
    func rename(source: String) throws {
        let scratch = try Scratch()
        let dest = scratch.path + "/out"
        var plan = RewritePlan()
        plan.renameUIDs = [.init(old: "throttle", new: "throttle-v2")]
        let (report, out) = try Self.rewrite(source, dest, plan)
        let input = try FlinkSnapshot(source: source)
        let v = input.metadata.version
        let newID = OperatorID(flinkUID: "throttle-v2")
        #expect(newID.hex != OperatorID(flinkUID: "throttle").hex)
        let renamed = try #require(out.metadata.operators.first { $0.id == newID })
        #expect(renamed.uid == (v >= 5 ? "throttle-v2" : nil))
        var before = try #require(input.metadata.operators.first { $0.id == OperatorID(flinkUID: "throttle") })
        before.id = newID
        if v >= 5 { before.uid = "throttle-v2" }
        #expect(try Self.bytes(renamed, version: v) == Self.bytes(before, version: v))
        for op in out.metadata.operators where op.id != newID {
            let same = try #require(input.metadata.operators.first { $0.id == op.id })
            #expect(try Self.bytes(op, version: v) == Self.bytes(same, version: v))
        }
        #expect(report.changes.first?.contains(newID.hex) == true)
        try Self.expectValid(dest, version: v)
    }

    @Test("setting the number-source split's position changes only that element", arguments: savepoints)
    func setOffset(source: String) throws {
        let scratch = try Scratch()
        let dest = scratch.path + "/out"
        let input = try FlinkSnapshot(source: source)
        let sourceID = OperatorID(flinkUID: "number-source")
        let split = try #require(input.summary().operators.first { $0.info.id == sourceID }?.subtasks.flatMap(\.splits).first)
        guard case .numberSequence(let next, _) = split.position else { Issue.record("not a number-sequence split"); return }
        var plan = RewritePlan()
        plan.setOffsets = [.init(source: .init("number-source"), split: split.splitId, position: "\(next + 12345)")]
        let (report, out) = try Self.rewrite(source, dest, plan)
        let after = try #require(out.summary().operators.first { $0.info.id == sourceID }?.subtasks.flatMap(\.splits).first { $0.splitId == split.splitId })
        guard case .numberSequence(let moved, _) = after.position else { Issue.record("split lost"); return }
        #expect(moved == next + 12345)
        let v = input.metadata.version
        for op in out.metadata.operators where op.id != sourceID {
            let same = try #require(input.metadata.operators.first { $0.id == op.id })
            #expect(try Self.bytes(op, version: v) == Self.bytes(same, version: v))
        }
        // The other state of the source (offset table, coordinator) is unchanged.
        let a = try #require(input.metadata.operators.first { $0.id == sourceID })
        let b = try #require(out.metadata.operators.first { $0.id == sourceID })
        #expect(a.coordinator == b.coordinator)
        #expect(a.subtasks.map { $0.managedOperatorState?.states } == b.subtasks.map { $0.managedOperatorState?.states })
        #expect(report.changes.count == 1 && report.changes[0].contains("→ \(next + 12345)"))
        try Self.expectValid(dest, version: v)
    }

    @Test("a position past a number-sequence split's end is refused")
    func offsetPastEnd() throws {
        let scratch = try Scratch()
        let source = Self.savepoints[2]
        let input = try FlinkSnapshot(source: source)
        let split = try #require(input.summary().operators.first { $0.info.id == OperatorID(flinkUID: "number-source") }?.subtasks.flatMap(\.splits).first)
        var plan = RewritePlan()
        plan.setOffsets = [.init(source: .init("number-source"), split: split.splitId, position: "\(Int64.max)")]
        #expect(throws: FlinkRewriteError.self) { try FlinkRewriter.rewrite(input, source: source, to: scratch.path + "/out", plan: plan) }
        plan.setOffsets = [.init(source: .init("number-source"), split: "no-such-split", position: "5")]
        do {
            _ = try FlinkRewriter.rewrite(input, source: source, to: scratch.path + "/out", plan: plan)
            Issue.record("an unknown split was accepted")
        } catch {
            #expect(error.description.contains("its splits are: \(split.splitId)"))
        }
        #expect(FilePaths.kind(scratch.path + "/out") == nil)
        #expect(Self.noLeftovers(scratch.path))
    }

    @Test("relocating a retained checkpoint by reference points every absolute path at the files where they are",
          arguments: ["1.15", "1.20", "2.3"])
    func relocateReference(version: String) throws {
        let scratch = try Scratch()
        let (scenario, chk) = Self.checkpoint(version, "rocksdb-incremental")
        let dest = scratch.path + "/chk"
        let input = try FlinkSnapshot(source: chk)
        // Without --relocate the paths still name the generator's deleted directory: refused, with the fix.
        do {
            _ = try FlinkRewriter.rewrite(input, source: chk, to: dest, plan: RewritePlan())
            Issue.record("a checkpoint whose absolute files are gone was rewritten")
        } catch {
            #expect(error.description.contains("--relocate \(scenario)"), "\(error)")
        }
        #expect(FilePaths.kind(dest) == nil)
        var plan = RewritePlan()
        plan.relocation = .init(to: scenario, mode: .reference)
        let (report, out) = try Self.rewrite(chk, dest, plan)
        #expect(out.metadata.version == Self.expectedVersion[version])
        let absolute = out.fileReferences.filter { !$0.reference.relative }.map(\.reference.path)
        #expect(!absolute.isEmpty)
        #expect(absolute.allSatisfy { $0.hasPrefix("file:" + scenario + "/") })
        #expect(!out.metadata.allPaths.contains { $0.path.contains("/tmp/cairn-flink-gen") })
        #expect(report.changes.first?.contains("relocated") == true)
        // Relative files of chk-N are copied beside the new _metadata; shared files are not.
        let relative = Set(out.fileReferences.filter(\.reference.relative).map(\.reference.path))
        #expect(Set(FilePaths.list(dest)) == relative.union(["_metadata"]))
        try Self.expectValid(dest, version: Self.expectedVersion[version] ?? 0)
        // Operators keep their handles apart from the paths.
        #expect(out.metadata.operators.map { $0.id } == input.metadata.operators.map { $0.id })
    }

    @Test("relocating with copies makes a self-contained tree under the new base", arguments: ["1.15", "1.20", "2.3"])
    func relocateCopy(version: String) throws {
        let scratch = try Scratch()
        let (_, chk) = Self.checkpoint(version, "rocksdb-incremental")
        let base = scratch.path + "/restore"
        let job = FilePaths.lastComponent(FilePaths.parent(chk))
        let dest = base + "/" + job + "/" + FilePaths.lastComponent(chk)
        var plan = RewritePlan()
        plan.relocation = .init(to: base, mode: .copy)
        let (report, out) = try Self.rewrite(chk, dest, plan)
        for (_, _, _, ref) in out.fileReferences where !ref.relative {
            #expect(ref.path.hasPrefix("file:" + base + "/" + job + "/shared/"))
            #expect(FilePaths.kind(String(ref.path.dropFirst(5))) == .file)
        }
        #expect(report.changes.contains { $0.contains("copied") })
        try Self.expectValid(dest, version: Self.expectedVersion[version] ?? 0)
        // The same shared files serve the previous checkpoint too: a second rewrite reuses what is there.
        let previous = FilePaths.list(FilePaths.parent(chk)).filter { $0.hasPrefix("chk-") && $0 != FilePaths.lastComponent(chk) }.sorted().last
        if let previous {
            let (second, _) = try Self.rewrite(FilePaths.parent(chk) + "/" + previous, base + "/" + job + "/" + previous, plan)
            #expect(second.changes.contains { $0.contains("already there") })
        }
    }

    @Test("file-merging operator state gets a plain file when its split moves (2.3, v6)")
    func fileMergingOffset() throws {
        let scratch = try Scratch()
        let (scenario, chk) = Self.checkpoint("2.3", "file-merging")
        let input = try FlinkSnapshot(source: chk)
        let sourceID = OperatorID(flinkUID: "number-source")
        let split = try #require(input.summary().operators.first { $0.info.id == sourceID }?.subtasks.flatMap(\.splits).first)
        var plan = RewritePlan()
        plan.relocation = .init(to: scenario, mode: .reference)
        plan.setOffsets = [.init(source: .init(sourceID.hex), split: split.splitId, position: "42")]
        let dest = scratch.path + "/chk"
        let (_, out) = try Self.rewrite(chk, dest, plan)
        let moved = try #require(out.summary().operators.first { $0.info.id == sourceID }?.subtasks.flatMap(\.splits).first { $0.splitId == split.splitId })
        #expect(moved.position == .numberSequence(next: 42, last: { if case .numberSequence(_, let l) = split.position { l } else { 0 } }()))
        try Self.expectValid(dest, version: 6)
    }

    // MARK: refusals

    @Test("an unknown operator is refused with the list of operators, and nothing is written")
    func unknownOperator() throws {
        let scratch = try Scratch()
        let source = Self.savepoints[2]
        var plan = RewritePlan()
        plan.dropOperators = [.init("no-such-operator")]
        let input = try FlinkSnapshot(source: source)
        do {
            _ = try FlinkRewriter.rewrite(input, source: source, to: scratch.path + "/out", plan: plan)
            Issue.record("accepted")
        } catch {
            #expect(error.description.contains("no-such-operator"))
            for uid in ["number-source", "throttle", "keyed-state", "union-sink"] { #expect(error.description.contains(uid)) }
            #expect(error.exitStatus == 2)
        }
        #expect(FilePaths.list(scratch.path).isEmpty)
    }

    @Test("a savepoint with a missing file fails before anything is written")
    func missingFile() throws {
        let scratch = try Scratch()
        let copy = scratch.path + "/sp"
        try FileManager.default.copyItem(atPath: Self.savepoints[1], toPath: copy)
        let input = try FlinkSnapshot(source: copy)
        let victim = try #require(input.fileReferences.first { $0.reference.relative }?.reference.path)
        try FileManager.default.removeItem(atPath: copy + "/" + victim)
        let damaged = try FlinkSnapshot(source: copy)
        do {
            _ = try FlinkRewriter.rewrite(damaged, source: copy, to: scratch.path + "/out", plan: RewritePlan())
            Issue.record("accepted")
        } catch {
            #expect(error.exitStatus == 1)
            #expect(error.description.contains(victim))
        }
        #expect(FilePaths.kind(scratch.path + "/out") == nil)
        #expect(Self.noLeftovers(scratch.path))
    }

    @Test("an existing DEST is refused and left alone")
    func existingDestination() throws {
        let scratch = try Scratch()
        let dest = scratch.path + "/out"
        try FileManager.default.createDirectory(atPath: dest, withIntermediateDirectories: false)
        let source = Self.savepoints[0]
        #expect(throws: FlinkRewriteError.self) {
            try FlinkRewriter.rewrite(try FlinkSnapshot(source: source), source: source, to: dest, plan: RewritePlan())
        }
        #expect(FilePaths.list(dest).isEmpty)
    }

    @Test("a new uid whose id another operator has is refused")
    func collision() throws {
        let scratch = try Scratch()
        let source = Self.savepoints[2]
        var plan = RewritePlan()
        plan.renameUIDs = [.init(old: "throttle", new: "keyed-state")]
        #expect(throws: FlinkRewriteError.self) {
            try FlinkRewriter.rewrite(try FlinkSnapshot(source: source), source: source, to: scratch.path + "/out", plan: plan)
        }
    }

    // MARK: Kafka (synthetic: no Kafka fixture)

    /// A v6 savepoint with a Kafka source of two subtasks: one with inline reader state holding two splits, one with
    /// its reader state in a relative file.
    static func kafkaSavepoint(in dir: String) throws -> String {
        func element(topic: String, partition: Int32, offset: Int64) -> [UInt8] {
            var split = JavaDataOutput()
            split.writeUTF(topic); split.writeI32(partition); split.writeI64(offset); split.writeI64(Int64.min)
            var e = JavaDataOutput()
            e.writeI32(Int32(8 + split.bytes.count)); e.writeI32(0); e.writeI32(Int32(split.bytes.count)); e.writeBytes(split.bytes)
            return e.bytes
        }
        let header: [UInt8] = Array(repeating: 0, count: 16)  // stands for the operator-state proxy header
        let a = element(topic: "orders", partition: 3, offset: 1000), b = element(topic: "orders", partition: 4, offset: 2000)
        let inline = header + a + b
        let c = element(topic: "orders", partition: 5, offset: 3000)
        let file = header + c + [9, 9, 9]  // another state's element after the split
        let st0 = FlinkOperatorStateHandle(tag: 4, states: [.init(name: "SourceReaderState", mode: .splitDistribute, offsets: [16, Int64(16 + a.count)])],
                                           delegate: .inline(name: "file:/gone/sp/x", data: inline))
        let st1 = FlinkOperatorStateHandle(tag: 4, states: [.init(name: "SourceReaderState", mode: .splitDistribute, offsets: [16]),
                                                            .init(name: "other", mode: .union, offsets: [Int64(16 + c.count)])],
                                           delegate: .relativeFile(path: "reader-1", size: Int64(file.count)))
        let m = FlinkCheckpointMetadata(version: 6, checkpointId: 9, masterStates: [], operators: [
            FlinkOperatorState(id: OperatorID(flinkUID: "kafka-source"), name: "Source: kafka", uid: "kafka-source", parallelism: 2, maxParallelism: 128,
                               coordinator: .inline(name: "c", data: [0, 0, 0, 1]), fullyFinished: false, subtasks: [
                                   FlinkSubtaskState(index: 0, finished: false, managedOperatorState: st0, inputChannels: [], outputChannels: []),
                                   FlinkSubtaskState(index: 1, finished: false, managedOperatorState: st1, inputChannels: [], outputChannels: []),
                               ]),
        ], properties: nil, trailer: CheckpointTree.checkpointPropertiesTrailer)
        let sp = dir + "/savepoint-abcdef-0123456789ab"
        try FileManager.default.createDirectory(atPath: sp, withIntermediateDirectories: true)
        try Data(try FlinkMetadataWriter.write(m)).write(to: URL(fileURLWithPath: sp + "/_metadata"))
        try Data(file).write(to: URL(fileURLWithPath: sp + "/reader-1"))
        return sp
    }

    @Test("Kafka splits move inline and in files; the other state's bytes follow")
    func kafka() throws {
        let scratch = try Scratch()
        let sp = try Self.kafkaSavepoint(in: scratch.path)
        var plan = RewritePlan()
        plan.setOffsets = [
            try .init(parsing: "kafka-source:orders-4=120000"),
            try .init(parsing: "kafka-source:orders-5=earliest"),
        ]
        let dest = scratch.path + "/out"
        let (report, out) = try Self.rewrite(sp, dest, plan)
        let splits = try out.summary().operators[0].subtasks.flatMap(\.splits)
        #expect(splits.map(\.position).contains(.kafka(topic: "orders", partition: 3, nextOffset: 1000)))
        #expect(splits.map(\.position).contains(.kafka(topic: "orders", partition: 4, nextOffset: 120000)))
        #expect(splits.map(\.position).contains(.kafka(topic: "orders", partition: 5, nextOffset: -2)))
        #expect(report.changes.count == 2)
        // Subtask 1's state went to a new file; its other state still ends the stream.
        let h = try #require(out.metadata.operators[0].subtasks[1].managedOperatorState)
        guard case .relativeFile(let name, let size)? = h.delegate else { Issue.record("not a file"); return }
        #expect(name != "reader-1" && name.count == 36)
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: dest + "/" + name)))
        #expect(Int64(bytes.count) == size)
        #expect(bytes.suffix(3) == [9, 9, 9])
        #expect(!FilePaths.list(dest).contains("reader-1"))
        // Inline state stays inline under its name.
        guard case .inline(let inlineName, _)? = out.metadata.operators[0].subtasks[0].managedOperatorState?.delegate else {
            Issue.record("not inline"); return
        }
        #expect(inlineName == "file:/gone/sp/x")
        try Self.expectValid(dest, version: 6)
    }

    @Test("elements that change length move the offsets after them")
    func replacingShiftsOffsets() throws {
        let stream: [UInt8] = [0, 0, 1, 1, 1, 2, 2, 3]
        let states: [FlinkOperatorStateHandle.StateInfo] = [.init(name: "a", mode: .splitDistribute, offsets: [2, 5]), .init(name: "b", mode: .union, offsets: [7])]
        let r = try FlinkSplitEditor.replacing([2: [8, 8, 8, 8, 8]], in: stream, states: states)
        #expect(r.stream == [0, 0, 8, 8, 8, 8, 8, 2, 2, 3])
        #expect(r.states.map(\.offsets) == [[2, 7], [9]])
        #expect(throws: FlinkSplitEditError.self) { try FlinkSplitEditor.replacing([3: []], in: stream, states: states) }
    }

    @Test("relocation matches paths, not spellings, and derives the checkpoint base")
    func relocationRules() throws {
        let r = FlinkPathRelocation(from: "/old/base/", to: "/new")
        #expect(r.relocate("file:/old/base/j/shared/x") == "file:/new/j/shared/x")
        #expect(r.relocate("file:///old/base/j/shared/x") == "file:///new/j/shared/x")
        #expect(r.relocate("/old/base/x") == "/new/x")
        #expect(r.relocate("file:/old/based/x") == nil)
        #expect(r.relocate("s3://b/old/base/x") == nil)
        let s3 = FlinkPathRelocation(from: "s3://bucket/ckpt", to: "/mnt/r")
        #expect(s3.relocate("s3://bucket/ckpt/j/shared/x") == "file:/mnt/r/j/shared/x")
        let m = try FlinkSnapshot(source: Self.checkpoint("2.3", "rocksdb-incremental").checkpoint).metadata
        #expect(FlinkPathRelocation.derivedBase(of: m) == "file:/tmp/cairn-flink-gen/2.3/rocksdb-incremental/checkpoints")
    }
}
