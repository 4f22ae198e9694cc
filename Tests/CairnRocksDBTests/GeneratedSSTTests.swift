import CairnCore
import CairnRocksDB
import Foundation
import Testing

/// Tables written by real RocksDB (FRocksDB 8.10 from Flink 2.3's jar, Fixtures/rocksdb/generate.sh) in every
/// compression, checksum and format_version Cairn claims; contents recomputed from the generator's rule.
@Suite("RocksDB-written SSTs: compressions, checksums, format versions")
struct GeneratedSSTTests {
    static let directory = RocksDBFixtures.generated.appendingPathComponent("sst")

    static var variants: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).filter { $0.hasSuffix(".sst") }.sorted()
    }

    static func open(_ name: String) throws -> SSTFile {
        try SSTFile(source: try FileSource(path: directory.appendingPathComponent(name).path))
    }

    @Test func allVariantsArePresent() {
        #expect(Self.variants.count >= 12, "Fixtures/rocksdb/sst holds \(Self.variants)")
    }

    @Test("each variant reads back the generator's entries", arguments: variants.filter { !$0.hasPrefix("zlib") })
    func readsEveryEntry(_ name: String) throws {
        let file = try Self.open(name)
        let parts = name.dropLast(4).split(separator: "-")
        let expectedCompression = ["none": "NoCompression", "snappy": "Snappy", "lz4": "LZ4", "lz4hc": "LZ4HC", "zstd": "ZSTD"][String(parts[0])]
        #expect(file.properties.compressionName == expectedCompression, "\(name): compression property")
        let checksum = ["crc32c": SSTChecksumType.crc32c, "xxhash": .xxHash, "xxhash64": .xxHash64, "xxh3": .xxh3, "nochecksum": .none][String(parts[1])]
        #expect(file.footer.checksumType == checksum, "\(name): footer checksum type")
        #expect("v\(file.footer.formatVersion)" == parts[2], "\(name): format version")
        #expect(file.properties.comparatorName == "leveldb.BytewiseComparator")

        let entries = try RocksDBFixtures.allEntries(file)
        #expect(entries.count == RocksDBFixtures.variantEntries)
        #expect(UInt64(entries.count) == file.properties.numEntries)
        for (i, e) in entries.enumerated() {
            #expect(e.key == RocksDBFixtures.key(i), "\(name): key \(i)")
            #expect(e.value == RocksDBFixtures.value(i), "\(name): value \(i)")
            #expect(e.type == .value)
            if e.key != RocksDBFixtures.key(i) || e.value != RocksDBFixtures.value(i) { break }
        }
        let report = try file.verifyChecksums()
        #expect(UInt64(report.blocksByKind["data"] ?? 0) == file.properties.numDataBlocks, "\(name): data blocks checked")
        #expect(report.blocksByKind["properties"] == 1)
        if name.contains("partitioned") {
            #expect(file.properties.indexType == 2)
            #expect((report.blocksByKind["index-partition"] ?? 0) > 1, "\(name): \(report.blocksByKind)")
            #expect((report.blocksByKind["filter-partition"] ?? 0) > 1, "\(name): \(report.blocksByKind)")
        }
        #expect(report.footerChecked == (file.footer.formatVersion >= 6))
    }

    /// RocksDB compresses index blocks too, so a zlib table cannot even be listed: both reading and verifying say so.
    @Test func zlibIsRefusedClearly() throws {
        let file = try Self.open("zlib-crc32c-v5.sst")
        #expect(file.properties.compressionName == "Zlib")
        var it = file.entries()
        for attempt in [{ _ = try it.next() }, { _ = try file.verifyChecksums() }] as [() throws -> Void] {
            do {
                try attempt()
                Issue.record("a zlib block decompressed")
            } catch let error as RocksDBError {
                #expect(error.code == .unsupportedCompression)
                #expect(error.description.contains("zlib-crc32c-v5.sst"))
                #expect(error.description.contains("Zlib compression (type 2) is not supported"))
                #expect(error.exitStatus == 1)
            }
        }
    }

    /// format_version 0 (legacy magic, 48-byte footer) is what format_version 1 becomes without its version and
    /// checksum fields: the blocks are identical, CRC32C.
    @Test func legacyFooter() throws {
        var bytes = try RocksDBFixtures.bytes(Self.directory.appendingPathComponent("none-crc32c-v1.sst"))
        let footer = Array(bytes.suffix(53))
        #expect(footer[0] == 1)
        bytes.removeLast(53)
        bytes += footer[1..<41]
        let legacy: UInt64 = 0xDB47_7524_8B80_FB57
        for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: legacy >> (8 * UInt64(i)))) }
        let file = try SSTFile(source: MemorySource(bytes, name: "legacy.sst"))
        #expect(file.footer.formatVersion == 0)
        #expect(file.footer.checksumType == .crc32c)
        let entries = try RocksDBFixtures.allEntries(file)
        #expect(entries.count == RocksDBFixtures.variantEntries)
        #expect(entries.last?.value == RocksDBFixtures.value(RocksDBFixtures.variantEntries - 1))
        _ = try file.verifyChecksums()
    }
}
