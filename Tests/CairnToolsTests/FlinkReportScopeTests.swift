import CairnCore
import CairnFlink
import CairnModel
import CairnTools
import Foundation
import Testing

/// Reports on Flink snapshots say what they looked at: `validate` names only checks that ran and lists what it
/// could not read; `inspect --by state` shows the serializers and TTL that the state files record.
@Suite("What Flink reports claim")
struct FlinkReportScopeTests {
    static func dirs(_ pattern: (String) -> Bool) -> [URL] {
        FlinkOracleTests.fixtures.filter(pattern).map { FlinkOracleTests.root.appendingPathComponent($0) }
    }

    @Test("validate --deep and inspect --deep decode heap checkpoints: per-state entries, and a warning where they cannot")
    func heapScope() throws {
        let heap = Self.dirs { $0.contains("/hashmap/") && $0.contains("/chk-") }
        #expect(!heap.isEmpty)
        for dir in heap {
            let view = try FlinkSnapshot(source: dir.path)
            let report = SnapshotValidator.validate(source: dir.path, view: view, deep: true)
            #expect(report.isValid, "\(dir.path)")
            #expect(report.checks.contains("heapEntriesDecoded") && !report.checks.contains("keyedStateScan"), "\(dir.path)")
            #expect(report.problems.isEmpty, "\(dir.path): \(report.problems.map(\.message))")
            let inspect = try InspectReport.build(source: dir.path, view: view, grouping: .state, deep: true)
            let states = inspect.summary.operators.flatMap(\.states)
            #expect(!states.contains { $0.descriptor.name == "(keyed state)" }, "\(dir.path): every heap state is named")
            // Entries counted by the scan are the entries `dump --state` lists, state by state.
            for name in ["count", "attributes", "recent", "window-contents"] {
                let st = try #require(states.first { $0.descriptor.name == name }, "\(dir.path) \(name)")
                var lines = 0
                try view.forEachStateEntry(StateEntryQuery(state: name)) { _ in lines += 1; return true }
                #expect(st.entryCount == Int64(lines) && lines > 0, "\(dir.path) \(name): \(st.entryCount ?? -1) vs \(lines)")
                #expect((st.statistics?.valueBytes ?? 0) > 0 && (st.statistics?.largestEntry ?? 0) > 0)
            }
        }
        // A heap checkpoint whose POJO holds a Kryo field (Flink 1.20) cannot be delimited: a warning says so.
        for dir in Self.dirs({ $0.hasPrefix("1.20/typed-hashmap/") && $0.contains("/chk-") }) {
            let report = SnapshotValidator.validate(source: dir.path, view: try FlinkSnapshot(source: dir.path), deep: true)
            #expect(report.problems.contains { $0.code == "heapEntriesNotDecoded" && $0.severity == .warning && $0.message.contains("Kryo") }, "\(dir.path)")
        }
    }

    @Test("validate --deep of a canonical savepoint scans its keyed state and says so")
    func canonicalScope() throws {
        let canonical = Self.dirs { $0.contains("/hashmap/savepoint-") }
        #expect(!canonical.isEmpty)
        for dir in canonical {
            let report = SnapshotValidator.validate(source: dir.path, view: try FlinkSnapshot(source: dir.path), deep: true)
            #expect(report.checks.contains("keyedStateScan"), "\(dir.path)")
            #expect(report.notChecked.isEmpty, "\(dir.path): \(report.notChecked)")
        }
    }

    @Test("without --deep nothing is claimed beyond the metadata checks")
    func shallowScope() throws {
        for dir in Self.dirs({ $0.contains("/rocksdb-incremental/") }) {
            let report = SnapshotValidator.validate(source: dir.path, view: try FlinkSnapshot(source: dir.path), deep: false)
            #expect(!report.checks.contains("keyedStateScan") && !report.checks.contains("rocksDBManifest"), "\(dir.path)")
        }
    }

    @Test("inspect --by state shows the value serializer and TTL of Flink states")
    func serializersAndTTL() throws {
        for dir in Self.dirs({ $0.contains("/hashmap/savepoint-") }) {
            let report = try InspectReport.build(source: dir.path, view: try FlinkSnapshot(source: dir.path), grouping: .state, deep: true)
            let states = report.summary.operators.flatMap(\.states)
            let count = try #require(states.first { $0.descriptor.name == "count" }, "\(dir.path)")
            #expect(count.ttlTimestamps, "\(dir.path): count has a one-hour TTL in the fixture job")
            #expect(count.valueSerializer?.name.contains("TtlSerializer") == true, "\(dir.path)")
            let lastSeen = try #require(states.first { $0.descriptor.name == "last-seen" })
            #expect(!lastSeen.ttlTimestamps)
            #expect(lastSeen.valueSerializer?.name == "StringSerializer", "\(dir.path)")
            #expect(states.filter { $0.descriptor.kind.isKeyed }.allSatisfy { $0.valueSerializer != nil }, "\(dir.path)")
            #expect(report.text(style: TextStyle(color: false)).contains("on (duration set in the job)"))
        }
    }

    @Test("validate --deep reads every SST block of a RocksDB checkpoint and names a flipped byte")
    func sstChecksums() throws {
        let fm = FileManager.default
        for version in ["1.20", "2.3"] {
            let scenario = FlinkOracleTests.root.appendingPathComponent("\(version)/rocksdb-incremental")
            let work = fm.temporaryDirectory.appendingPathComponent("cairn-sst-\(UUID().uuidString)")
            defer { try? fm.removeItem(at: work) }
            try fm.createDirectory(at: work, withIntermediateDirectories: true)
            let copy = work.appendingPathComponent("rocksdb-incremental")
            try fm.copyItem(at: scenario, to: copy)
            let checkpoints = Self.dirs { $0.hasPrefix("\(version)/rocksdb-incremental/") && $0.contains("/chk-") }
            let chk = try #require(checkpoints.last)
            let dir = copy.appendingPathComponent(String(chk.path.dropFirst(scenario.path.count + 1)))
            let clean = SnapshotValidator.validate(source: dir.path, view: try FlinkSnapshot(source: dir.path), deep: true)
            #expect(clean.isValid && clean.checks.contains("sstBlockChecksums"), "\(dir.path): \(clean.problems)")
            // Damage one byte inside the first data block of a real SST file in shared/ (block-based table magic at its end).
            let shared = try fm.contentsOfDirectory(at: dir.deletingLastPathComponent().appendingPathComponent("shared"), includingPropertiesForKeys: nil)
            let magic: [UInt8] = [0xf7, 0xcf, 0xf4, 0x85, 0xb7, 0x41, 0xe2, 0x88]
            let sst = try #require(shared.first { (try? Data(contentsOf: $0)).map { Array($0.suffix(8)) == magic } ?? false }, "\(version): an SST in shared/")
            var bytes = [UInt8](try Data(contentsOf: sst))
            bytes[100] ^= 0x10
            try Data(bytes).write(to: sst)
            let damaged = SnapshotValidator.validate(source: dir.path, view: try FlinkSnapshot(source: dir.path), deep: true)
            #expect(!damaged.isValid, "\(version): a flipped SST byte must be found")
            let problem = try #require(damaged.errors.first)
            #expect(problem.code == "checksumMismatch")
            #expect(problem.message.contains(sst.lastPathComponent), "\(problem.message)")
            let shallow = SnapshotValidator.validate(source: dir.path, view: try FlinkSnapshot(source: dir.path), deep: false)
            #expect(!shallow.checks.contains("sstBlockChecksums"))
        }
    }
}
