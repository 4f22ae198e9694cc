import CairnCore
import CairnFlink
import CairnFormat
import CairnModel
import CairnTools
import Foundation
import Testing

/// Compares Cairn with Flink's own reader (`Checkpoints.loadCheckpointMetadata`, printed by
/// Fixtures/flink/oracle) on every committed real Flink checkpoint and savepoint.
@Suite("Flink fixtures against Flink's own reader", .serialized)
struct FlinkOracleTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/flink")

    /// Directories holding both a `_metadata` and an `oracle.json`, relative to Fixtures/flink.
    static let fixtures: [String] = {
        guard let e = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else { return [] }
        var out: [String] = []
        for case let url as URL in e where url.lastPathComponent == "oracle.json" {
            let dir = url.deletingLastPathComponent()
            if FileManager.default.fileExists(atPath: dir.appendingPathComponent("_metadata").path) {
                out.append(String(dir.path.dropFirst(root.path.count + 1)))
            }
        }
        return out.sorted()
    }()

    static func int(_ v: Any?) -> Int64? { (v as? NSNumber)?.int64Value }

    /// Checks one snapshot directory against its oracle; returns the number of subtasks compared.
    static func compare(_ dir: URL, oracleAt oracleURL: URL) throws -> Int {
        let oracle = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: oracleURL)) as? [String: Any])
        let snapshot = try FlinkSnapshot(source: dir.path)
        let m = snapshot.metadata
        #expect(Int64(m.version) == int(oracle["metadataVersion"]), "\(dir.path): metadata version")
        #expect(m.checkpointId == int(oracle["checkpointId"]), "\(dir.path): checkpoint id")
        if let savepoint = oracle["savepoint"] as? Bool {
            #expect(snapshot.kind == (savepoint ? .savepoint : .checkpoint), "\(dir.path): savepoint or checkpoint")
        }
        if let format = oracle["savepointFormat"] as? String {
            #expect(m.properties?.savepointFormat == format, "\(dir.path): savepoint format")
        }
        let ops = try #require(oracle["operators"] as? [[String: Any]])
        #expect(ops.count == m.operators.count, "\(dir.path): operator count")
        let summary = try snapshot.summary()
        var subtasksCompared = 0
        for o in ops {
            let idHex = try #require(o["id"] as? String)
            guard let op = m.operators.first(where: { $0.id.hex == idHex }) else {
                Issue.record("\(dir.path): operator \(idHex) missing")
                continue
            }
            let at = "\(dir.path) operator \(idHex)"
            if let name = o["name"] as? String { #expect(op.name == name, "\(at): name") }
            if let uid = o["uid"] as? String { #expect(op.uid == uid, "\(at): uid") }
            #expect(Int64(op.parallelism) == int(o["parallelism"]), "\(at): parallelism")
            #expect(Int64(op.maxParallelism) == int(o["maxParallelism"]), "\(at): max parallelism")
            #expect(op.stateSize == int(o["stateSize"]), "\(at): stateSize")
            #expect(op.checkpointedSize == int(o["checkpointedSize"]), "\(at): checkpointedSize")
            #expect((op.coordinator?.stateSize ?? 0) == int(o["coordinatorStateSize"]), "\(at): coordinator")
            #expect(op.fullyFinished == (o["fullyFinished"] as? Bool), "\(at): fully finished")
            let summarized = try #require(summary.operators.first { $0.info.id.hex == idHex })
            #expect(summarized.fullyFinished == (o["fullyFinished"] as? Bool), "\(at): fully finished in the summary")
            #expect(summarized.stateSize == int(o["stateSize"]), "\(at): stateSize in the summary")
            #expect(summarized.checkpointedSize == int(o["checkpointedSize"]), "\(at): checkpointedSize in the summary")
            for s in (o["subtasks"] as? [[String: Any]]) ?? [] {
                let index = Int(int(s["index"]) ?? -1)
                guard let st = op.subtasks.first(where: { $0.index == index }) else {
                    Issue.record("\(at): subtask \(index) missing")
                    continue
                }
                let sat = "\(at) subtask \(index)"
                #expect(st.finished == (s["finished"] as? Bool), "\(sat): finished")
                #expect(summarized.subtasks.first { $0.index == index }?.finished == (s["finished"] as? Bool), "\(sat): finished in the summary")
                #expect(st.stateSize == int(s["stateSize"]), "\(sat): stateSize")
                #expect(st.checkpointedSize == int(s["checkpointedSize"]), "\(sat): checkpointedSize")
                #expect((st.managedOperatorState?.stateSize ?? 0) == int(s["managedOperatorState"]), "\(sat): managed operator state")
                #expect((st.rawOperatorState?.stateSize ?? 0) == int(s["rawOperatorState"]), "\(sat): raw operator state")
                #expect((st.managedKeyedState?.stateSize ?? 0) == int(s["managedKeyedState"]), "\(sat): managed keyed state")
                #expect((st.rawKeyedState?.stateSize ?? 0) == int(s["rawKeyedState"]), "\(sat): raw keyed state")
                #expect(st.inputChannelSize == int(s["inputChannelState"]), "\(sat): input channel state")
                #expect(st.outputChannelSize == int(s["resultSubpartitionState"]), "\(sat): result subpartition state")
                if let ranges = s["keyGroupRanges"] as? [[Any]], let first = ranges.first, let kg = st.managedKeyedState?.keyGroupRange {
                    #expect(Int64(kg.start) == int(first[0]) && Int64(kg.last) == int(first[1]), "\(sat): key-group range")
                }
                if let handles = s["handles"] as? [[String: Any]] {
                    let kinds = handles.compactMap { $0["kind"] as? String }.sorted()
                    var mine = [st.managedOperatorState?.kind, st.rawOperatorState?.kind, st.managedKeyedState?.kind, st.rawKeyedState?.kind].compactMap { $0 }
                    mine += (st.inputChannels + st.outputChannels).map(\.kind)
                    #expect(mine.sorted() == kinds, "\(sat): handle kinds")
                }
                if let files = s["files"] as? [[String: Any]] {
                    let expected = Set(files.compactMap { f -> String? in
                        guard let size = int(f["size"]) else { return nil }
                        if let p = f["path"] as? String { return "\(p)#\(size)" }
                        if let i = f["inline"] as? String { return "inline:\(i)#\(size)" }
                        return nil
                    })
                    var mine = Set<String>()
                    for (_, h) in st.streamHandles { collect(h, into: &mine) }
                    #expect(mine == expected, "\(sat): files differ: only Cairn \(mine.subtracting(expected).sorted()), only Flink \(expected.subtracting(mine).sorted())")
                }
                subtasksCompared += 1
            }
        }
        return subtasksCompared
    }

    static func collect(_ h: FlinkStreamHandle, into set: inout Set<String>) {
        switch h {
        case .inline(let name, let data): set.insert("inline:\(name)#\(data.count)")
        case .file(let path, let size): set.insert("\(path)#\(size)")
        case .relativeFile(let path, let size): set.insert("\(path)#\(size)")
        case .keyGroups(_, _, let d): if let d { collect(d, into: &set) }
        case .segment(_, let size, _, let path, _): set.insert("\(path)#\(size)")
        case .emptySegment: break
        }
    }

    @Test("there are real Flink fixtures to compare")
    func fixturesExist() {
        #expect(Self.fixtures.count >= 5, "found \(Self.fixtures)")
    }

    @Test("every operator and subtask matches Flink's reader", arguments: fixtures)
    func matchesOracle(fixture: String) throws {
        let dir = Self.root.appendingPathComponent(fixture)
        let compared = try Self.compare(dir, oracleAt: dir.appendingPathComponent("oracle.json"))
        #expect(compared > 0, "\(fixture): no subtasks compared")
        // Every referenced file is found (relocated from the generator's temporary path) and long enough.
        let report = SnapshotValidator.validate(source: dir.path, view: try SnapshotOpener.open(dir.path), deep: false)
        #expect(report.isValid, "\(fixture): \(report.problems.map(\.description))")
    }

    @Test("the comparison notices a wrong size")
    func negativeControl() throws {
        let fixture = try #require(Self.fixtures.first)
        let source = Self.root.appendingPathComponent(fixture)
        var oracle = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: source.appendingPathComponent("oracle.json"))) as? [String: Any])
        var ops = try #require(oracle["operators"] as? [[String: Any]])
        ops[0]["stateSize"] = (Self.int(ops[0]["stateSize"]) ?? 0) + 1
        oracle["operators"] = ops
        let tampered = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-oracle-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: tampered) }
        try JSONSerialization.data(withJSONObject: oracle).write(to: tampered)
        withKnownIssue("a size one byte off must be reported") {
            _ = try Self.compare(source, oracleAt: tampered)
        }
    }

    @Test("fixtures still match after being moved elsewhere")
    func moved() throws {
        let target = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-moved-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: target) }
        try FileManager.default.copyItem(at: Self.root, to: target)
        for fixture in Self.fixtures {
            let dir = target.appendingPathComponent(fixture)
            _ = try Self.compare(dir, oracleAt: dir.appendingPathComponent("oracle.json"))
            let report = SnapshotValidator.validate(source: dir.path, view: try SnapshotOpener.open(dir.path), deep: false)
            #expect(report.isValid, "\(fixture) moved: \(report.problems.map(\.description))")
        }
    }
}

@Suite("damaged real Flink metadata")
struct FlinkDamageTests {
    /// The smallest real `_metadata` of each metadata version.
    static func samples() throws -> [URL] {
        var best: [Int32: (URL, Int)] = [:]
        for fixture in FlinkOracleTests.fixtures {
            let url = FlinkOracleTests.root.appendingPathComponent(fixture).appendingPathComponent("_metadata")
            let bytes = try [UInt8](Data(contentsOf: url))
            let version = Int32(bytes[7])
            if best[version].map({ bytes.count < $0.1 }) ?? true { best[version] = (url, bytes.count) }
        }
        return best.keys.sorted().map { best[$0]!.0 }
    }

    @Test("truncation anywhere and flipped bytes give located errors, never a crash")
    func damage() throws {
        let files = try Self.samples()
        #expect(files.count == 3, "one sample per metadata version 3, 4 and 6")
        for url in files {
            let bytes = try [UInt8](Data(contentsOf: url))
            let original = try FlinkMetadataParser.parse(bytes, file: url.path)
            // Every cut before the v4+ trailer fails; the trailer is optional to Cairn.
            let bodyEnd = bytes.count - original.trailer.count
            for n in stride(from: 0, to: bodyEnd, by: max(1, bodyEnd / 3000)) {
                do {
                    _ = try FlinkMetadataParser.parse(Array(bytes.prefix(n)), file: url.path)
                    Issue.record("\(url.path) cut at \(n) of \(bodyEnd) was accepted")
                } catch {
                    #expect(error.location.file == url.path)
                }
            }
            // Deterministic pseudo-random flips: the parser either decodes or names a place.
            var x: UInt64 = 0x9E3779B97F4A7C15
            for _ in 0..<3000 {
                x ^= x << 13; x ^= x >> 7; x ^= x << 17
                var b = bytes
                let i = Int(x % UInt64(bodyEnd))
                b[i] ^= UInt8(truncatingIfNeeded: x >> 32) | 1
                do { _ = try FlinkMetadataParser.parse(b) } catch { #expect(error.location.offset != nil) }
            }
        }
    }
}

@Suite("deep scans of real Flink state")
struct FlinkDeepScanTests {
    /// State names the fixture job (Fixtures/flink/job) declares on its keyed operator.
    static let keyedStates: Set<String> = ["count", "attributes", "recent", "last-seen", "_timer_state/processing_user-timers"]

    @Test("every snapshot scans; RocksDB bytes are fully attributed to named states", arguments: FlinkOracleTests.fixtures)
    func scan(fixture: String) throws {
        let dir = FlinkOracleTests.root.appendingPathComponent(fixture)
        let snapshot = try FlinkSnapshot(source: dir.path)
        let scanned = try snapshot.scanStates()
        for op in snapshot.metadata.operators {
            let states = scanned[op.id] ?? []
            let keyedBytes = op.subtasks.reduce(Int64(0)) { $0 + ($1.managedKeyedState?.stateSize ?? 0) }
            let rocks = op.subtasks.contains { if case .incremental? = $0.managedKeyedState { true } else { false } }
            if rocks {
                #expect(states.reduce(0) { $0 + $1.size } == keyedBytes, "\(fixture) \(op.id.hex): attributed bytes differ from keyed bytes")
                #expect(!states.contains { $0.descriptor.name.hasPrefix("(SST files") }, "\(fixture): SSTs without a column family")
            }
            let names = Set(states.map(\.descriptor.name))
            if op.uid == "keyed-state" || names.contains("count") {
                if rocks || fixture.contains("savepoint") {
                    #expect(Self.keyedStates.isSubset(of: names), "\(fixture): found \(names.sorted())")
                }
            }
        }
    }

    @Test("a canonical savepoint's entries per state add up and the largest entries come out sorted")
    func canonical() throws {
        let savepoints = FlinkOracleTests.fixtures.filter { $0.contains("savepoint-") }
        var checked = 0
        for fixture in savepoints {
            let snapshot = try FlinkSnapshot(source: FlinkOracleTests.root.appendingPathComponent(fixture).path)
            // Canonical savepoints hold KeyGroupsSavepointStateHandles (tag 7); native ones RocksDB handles.
            let isCanonical = snapshot.metadata.operators.contains { $0.subtasks.contains {
                if case .keyGroups(7, _, _, _, _)? = $0.managedKeyedState { true } else { false } } }
            guard isCanonical else { continue }
            let states = try snapshot.scanStates().values.flatMap { $0 }.filter { $0.statistics != nil }
            #expect(!states.isEmpty, "\(fixture)")
            for s in states {
                #expect(s.keyGroups.reduce(0) { $0 + $1.entries } == s.entryCount, "\(fixture) \(s.descriptor.name)")
                #expect(s.keyGroups.reduce(0) { $0 + $1.size } == s.size)
            }
            let top = try snapshot.largestKeys(limit: 5)
            #expect(top.count == 5)
            #expect(zip(top, top.dropFirst()).allSatisfy { $0.size >= $1.size })
            checked += 1
        }
        #expect(checked >= 5, "canonical savepoints checked: \(checked)")
    }
}

@Suite("converting real Flink snapshots to native ones")
struct FlinkConversionTests {
    @Test("the native file keeps every fact inspect shows and validates deeply", arguments: FlinkOracleTests.fixtures)
    func convert(fixture: String) throws {
        let source = try FlinkSnapshot(source: FlinkOracleTests.root.appendingPathComponent(fixture).path)
        let sink = MemorySink()
        try FlinkConverter.convert(source, to: sink)
        let native = NativeSnapshot(reader: try SnapshotReader(source: MemorySource(sink.bytes, name: "converted.cairn")))
        let report = SnapshotValidator.validate(source: "converted.cairn", view: native, deep: true)
        #expect(report.isValid, "\(fixture): \(report.problems.prefix(3))")
        let a = try source.summary(), b = try native.summary()
        #expect(b.metadata.snapshotId == a.metadata.snapshotId && b.metadata.kind == a.metadata.kind && b.metadata.mode == a.metadata.mode)
        #expect(b.metadata.properties["flink.metadataVersion"] == a.metadata.properties["flink.metadataVersion"])
        #expect(Set(a.operators.map(\.info.id)) == Set(b.operators.map(\.info.id)))
        for op in a.operators {
            let c = try #require(b.operators.first { $0.info.id == op.info.id })
            #expect(c.info == op.info, "\(fixture) \(op.info.id.hex)")
            #expect(c.stateSize - c.coordinatorSize == op.stateSize - op.coordinatorSize, "\(fixture) \(op.info.id.hex): state size")
            for st in op.subtasks where !st.finished {
                let d = try #require(c.subtasks.first { $0.index == st.index })
                let at = "\(fixture) \(op.info.id.hex) subtask \(st.index)"
                #expect(d.keyedSize == st.keyedSize && d.operatorSize == st.operatorSize, "\(at): sizes")
                #expect(d.inputChannelSize == st.inputChannelSize && d.outputSubpartitionSize == st.outputSubpartitionSize, "\(at): in-flight")
                #expect(d.keyGroups == st.keyGroups, "\(at): key groups")
                #expect(d.splits == st.splits, "\(at): splits")
            }
            let names = { (o: OperatorSummary) in o.states.filter { !$0.descriptor.kind.isKeyed }.map { "\($0.descriptor.name)=\($0.size)" }.sorted() }
            #expect(names(c) == names(op), "\(fixture) \(op.info.id.hex): operator states")
        }
    }
}

@Suite("Flink operator ids from uids")
struct FlinkOperatorIDTests {
    @Test("every uid in a v5/v6 fixture hashes to its operator id (murmur3_128, seed 0)")
    func uidHashes() throws {
        var checked = 0
        for fixture in FlinkOracleTests.fixtures {
            let m = try FlinkSnapshot(source: FlinkOracleTests.root.appendingPathComponent(fixture).path).metadata
            for op in m.operators {
                guard let uid = op.uid, !uid.isEmpty else { continue }
                #expect(OperatorID(flinkUID: uid) == op.id, "\(fixture): uid \(uid)")
                checked += 1
            }
        }
        #expect(checked >= 7, "fixtures with uids (v5/v6) must exist")
    }

    /// Printed by Guava 33 (shaded in flink-dist 2.3.0): `Hashing.murmur3_128(0).newHasher().putString(s, UTF_8).hash()`
    /// for the prefixes of "abcdefghijklmnopq" (every tail length) and a non-ASCII uid.
    static let guava: [(String, String)] = [
        ("", "00000000000000000000000000000000"), ("a", "897859f6655555855a890e51483ab5e6"),
        ("abc", "6778ad3f3f3f96b4522dca264174a23b"), ("abcdefgh", "028cef37b00a8acca14069eb600d8948"),
        ("abcdefghi", "64793cf1cfc0470533e041b7f53db579"), ("abcdefghijklmno", "fb2f0c895124be8a612a969c2d8c546a"),
        ("abcdefghijklmnop", "23b74c22a33ccac41aeb31b395d63343"), ("abcdefghijklmnopq", "57a6bd887f746475e40d11a19d49daec"),
        ("héllo wörld ✓ uid", "6a6c839f14795ff01bb87a3b2cdd6efc"),
        ("The quick brown fox jumps over the lazy dog", "6c1b07bc7bbc4be347939ac4a93c437a"),
    ]

    @Test("murmur3_128 agrees with Guava for every tail length and UTF-8", arguments: guava.indices)
    func guavaValues(i: Int) {
        let (input, expected) = Self.guava[i]
        #expect(Hex.encode(Murmur3.hash128x64(Array(input.utf8))) == expected, "\(input)")
        #expect(OperatorID(flinkUID: input).hex == expected)
    }
}
