import CairnCore
import CairnFlink
import CairnRocksDB
import Foundation
import Testing

/// Every SST of every committed RocksDB Flink fixture (1.15, 1.20, 2.3: incremental, native full, file merging),
/// whether a file under `shared/`, a file-merging segment or inline bytes in `_metadata`.
@Suite("SSTs of the real Flink fixtures", .serialized)
struct FlinkSSTFixtureTests {
    static let scenarios = ["rocksdb-incremental", "rocksdb-full", "file-merging"]

    /// Snapshot directories (holding `_metadata`) of the RocksDB scenarios.
    static var snapshots: [URL] {
        var out: [URL] = []
        for version in ["1.15", "1.20", "2.3"] {
            for scenario in scenarios {
                let base = RocksDBFixtures.flink.appendingPathComponent("\(version)/\(scenario)")
                guard let e = FileManager.default.enumerator(at: base, includingPropertiesForKeys: nil) else { continue }
                for case let url as URL in e where url.lastPathComponent == "_metadata" { out.append(url.deletingLastPathComponent()) }
            }
        }
        return out.sorted { $0.path < $1.path }
    }

    struct Totals {
        var tables = 0, entries = 0, blocks = 0
        var checksums: Set<SSTChecksumType> = []
        var compressions: Set<String> = []
        var inline = 0
        var columnFamiliesScanned = 0
    }

    @Test func everySSTReadsAndVerifies() throws {
        var totals = Totals()
        var versions: [String: Int] = [:]
        for dir in Self.snapshots {
            let snapshot = try FlinkSnapshot(source: dir.path)
            for op in snapshot.metadata.operators {
                for st in op.subtasks {
                    guard case .incremental(let h)? = st.managedKeyedState else { continue }
                    let before = totals.tables
                    try Self.check(h, of: snapshot, at: "\(dir.path) \(op.id.hex)/\(st.index)", into: &totals)
                    let version = dir.path.contains("/1.15/") ? "1.15" : dir.path.contains("/1.20/") ? "1.20" : "2.3"
                    versions[version, default: 0] += totals.tables - before
                }
            }
        }
        #expect(totals.tables > 50, "tables read: \(totals.tables)")
        #expect(versions.count == 3, "tables per version: \(versions)")
        #expect(totals.inline > 0, "some tables are inline in _metadata")
        #expect(totals.checksums == [.crc32c, .xxh3], "Flink 1.x uses CRC32C, 2.x XXH3: \(totals.checksums)")
        #expect(totals.compressions.contains("Snappy"), "\(totals.compressions)")
        #expect(totals.columnFamiliesScanned > 0)
    }

    static func check(_ h: FlinkKeyedHandle.IncrementalHandle, of snapshot: FlinkSnapshot, at place: String, into totals: inout Totals) throws {
        let all = h.shared + h.privateFiles
        guard let manifestHandle = all.first(where: { $0.localPath.hasPrefix("MANIFEST-") })?.handle else {
            Issue.record("\(place): no MANIFEST")
            return
        }
        let manifest = try RocksDBManifest(try snapshot.read(manifestHandle, from: 0, to: manifestHandle.stateSize))
        var byFamily: [UInt32: [SSTFile]] = [:]
        for (localPath, handle) in all where localPath.hasSuffix(".sst") {
            guard let handle, let number = UInt64(localPath.dropLast(4)) else { continue }
            let bytes = try snapshot.read(handle, from: 0, to: handle.stateSize)
            #expect(Int64(bytes.count) == handle.stateSize, "\(place) \(localPath): bytes found")
            if case .inline = handle { totals.inline += 1 }
            let file = try SSTFile(source: MemorySource(bytes, name: "\(place) \(localPath)"))
            totals.tables += 1
            totals.checksums.insert(file.footer.checksumType)
            if let c = file.properties.compressionName { totals.compressions.insert(c) }

            let report = try file.verifyChecksums()
            totals.blocks += report.blocks
            #expect(UInt64(report.blocksByKind["data"] ?? 0) == file.properties.numDataBlocks, "\(file.name): data blocks")
            let tombstones = try file.rangeTombstones()
            var it = file.entries()
            var count = 0
            var previous: (key: [UInt8], sequence: UInt64)?
            var sorted = true
            while let e = try it.next() {
                count += 1
                let key = Array(e.userKey)
                if let p = previous {
                    let order = RocksDBFixtures.compare(p.key, key)
                    if order > 0 || (order == 0 && p.sequence <= e.sequence) { sorted = false }
                }
                previous = (key, e.sequence)
            }
            totals.entries += count
            #expect(sorted, "\(file.name): entries in (key ascending, sequence descending) order")
            #expect(UInt64(count + tombstones.count) == file.properties.numEntries, "\(file.name): \(count) entries + \(tombstones.count) range deletions")
            if let live = manifest.liveFiles[number], let cf = manifest.columnFamilies[live.columnFamily] {
                #expect(file.properties.columnFamilyName == cf, "\(file.name): column family")
                #expect(file.properties.columnFamilyID == live.columnFamily, "\(file.name): column family id")
                byFamily[live.columnFamily, default: []].append(file)
            } else {
                Issue.record("\(file.name): not a live file of the MANIFEST")
            }
            #expect(file.properties.mergeOperatorName == "StringAppendTESTOperator", "\(file.name): merge operator")
        }
        for files in byFamily.values {
            var scan = try RocksDBColumnFamilyScan(files: files)
            var previous: [UInt8]?
            while let e = try scan.next() {
                if let p = previous { #expect(RocksDBFixtures.compare(p, e.key) < 0) }
                previous = e.key
            }
            totals.columnFamiliesScanned += 1
        }
    }
}
