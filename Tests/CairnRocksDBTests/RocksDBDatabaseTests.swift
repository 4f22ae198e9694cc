import CairnCore
import CairnRocksDB
import Foundation
import Testing

/// A database written by real RocksDB in four flushes and a compaction (Fixtures/rocksdb/db): the merged view of
/// each column family must equal what RocksDB's own iterator printed (expected.jsonl).
@Suite("merged column-family view against RocksDB's iterator")
struct RocksDBDatabaseTests {
    static let directory = RocksDBFixtures.generated.appendingPathComponent("db")

    static func manifest() throws -> RocksDBManifest {
        let current = String(decoding: try RocksDBFixtures.bytes(directory.appendingPathComponent("CURRENT")), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return try RocksDBManifest(try RocksDBFixtures.bytes(directory.appendingPathComponent(current)))
    }

    static func files(of cf: UInt32, in manifest: RocksDBManifest) throws -> [SSTFile] {
        try manifest.liveFiles.filter { $0.value.columnFamily == cf }.keys.sorted().map { number in
            let name = String(number)
            let path = directory.appendingPathComponent(String(repeating: "0", count: max(0, 6 - name.count)) + name + ".sst").path
            return try SSTFile(source: try FileSource(path: path))
        }
    }

    @Test func mergedViewEqualsRocksDB() throws {
        let manifest = try Self.manifest()
        var expected: [String: [(String, String)]] = [:]
        let lines = String(decoding: try RocksDBFixtures.bytes(Self.directory.appendingPathComponent("expected.jsonl")), as: UTF8.self)
        for line in lines.split(separator: "\n") {
            let o = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
            expected[o["cf"] ?? "", default: []].append((o["key"] ?? "", o["value"] ?? ""))
        }
        #expect(Set(manifest.columnFamilies.values) == ["default", "values", "lists"])
        var multiFile = 0
        for (id, name) in manifest.columnFamilies {
            let files = try Self.files(of: id, in: manifest)
            if files.count > 1 { multiFile += 1 }
            for f in files { #expect(f.properties.columnFamilyName == name, "\(f.name): column family") }
            var scan = try RocksDBColumnFamilyScan(files: files)
            var got: [(String, String)] = []
            while let e = try scan.next() { got.append((RocksDBFixtures.hex(e.key), RocksDBFixtures.hex(e.value))) }
            let want = expected[name] ?? []
            #expect(got.count == want.count, "\(name): \(got.count) keys, RocksDB has \(want.count)")
            for (g, w) in zip(got, want) where g != w {
                Issue.record("\(name): Cairn has \(g), RocksDB \(w)")
                break
            }
        }
        #expect(multiFile == 2, "values and lists span several tables")
    }

    /// Per table: entry types counted while reading equal the table's own property counts.
    @Test func entryTypesMatchTheProperties() throws {
        let manifest = try Self.manifest()
        var types = Set<SSTValueType>()
        var rangeDeletions = 0
        for id in manifest.columnFamilies.keys {
            for file in try Self.files(of: id, in: manifest) {
                let entries = try RocksDBFixtures.allEntries(file)
                let tombstones = try file.rangeTombstones()
                rangeDeletions += tombstones.count
                types.formUnion(entries.map(\.type))
                let deletes = entries.filter { $0.type == .deletion || $0.type == .singleDeletion }.count
                let merges = entries.filter { $0.type == .merge }.count
                #expect(UInt64(entries.count + tombstones.count) == file.properties.numEntries, "\(file.name): entries")
                #expect(UInt64(deletes + tombstones.count) == file.properties.deletedKeys, "\(file.name): deletions")
                #expect(UInt64(merges) == file.properties.mergeOperands, "\(file.name): merge operands")
                #expect(UInt64(tombstones.count) == (file.properties.numRangeDeletions ?? 0), "\(file.name): range deletions")
                #expect(file.properties.mergeOperatorName == "StringAppendTESTOperator")
                _ = try file.verifyChecksums()
            }
        }
        #expect(types == [.value, .merge, .deletion, .singleDeletion])
        #expect(rangeDeletions == 1)
    }

    @Test func stringAppendJoinsOlderToNewer() {
        #expect(RocksDBMergeOperator(name: "stringappendtest") == .flink)
        #expect(RocksDBMergeOperator(name: "somethingElse") == nil)
        #expect(RocksDBMergeOperator.flink.merge(base: nil, operands: [[1], [2]]) == [1, 44, 2])
        #expect(RocksDBMergeOperator.flink.merge(base: [], operands: [[2]]) == [44, 2])
        #expect(RocksDBMergeOperator.flink.merge(base: [9], operands: []) == [9])
    }
}
