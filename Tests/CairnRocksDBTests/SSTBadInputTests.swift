import CairnCore
import CairnRocksDB
import Foundation
import Testing

/// Damaged tables: every problem is a `RocksDBError` naming the file, the block and the offset; never a crash.
@Suite("damaged SSTs")
struct SSTBadInputTests {
    static let name = "snappy-crc32c-v5.sst"
    static func original() throws -> [UInt8] {
        try RocksDBFixtures.bytes(GeneratedSSTTests.directory.appendingPathComponent(name))
    }

    /// Opens, iterates and verifies; returns the first error.
    static func firstError(_ bytes: [UInt8], name: String = "damaged.sst") -> RocksDBError? {
        do {
            let file = try SSTFile(source: MemorySource(bytes, name: name))
            var it = file.entries()
            while try it.next() != nil {}
            _ = try file.verifyChecksums()
            var scan = try RocksDBColumnFamilyScan(files: [file])
            while try scan.next() != nil {}
            return nil
        } catch {
            return error
        }
    }

    /// Rewrites the trailer checksum of the block at `handle` so it matches the (edited) bytes.
    static func rechecksum(_ bytes: inout [UInt8], _ handle: BlockHandle, _ type: SSTChecksumType) {
        let n = Int(handle.offset + handle.size)
        let sum = bytes.withUnsafeBytes { type.checksum(UnsafeRawBufferPointer(rebasing: $0[Int(handle.offset)...n])) }
        for i in 0..<4 { bytes[n + 1 + i] = UInt8(truncatingIfNeeded: sum >> (8 * UInt32(i))) }
    }

    @Test func truncationAtSeveralOffsets() throws {
        let bytes = try Self.original()
        for cut in [0, 1, 20, 47, 52, bytes.count / 3, bytes.count / 2, bytes.count - 60, bytes.count - 53, bytes.count - 1] {
            let error = try #require(Self.firstError(Array(bytes.prefix(cut))), "cut at \(cut)")
            #expect(error.exitStatus == 1)
            #expect(error.description.contains("damaged.sst"), "\(error)")
            #expect([.truncated, .badMagic, .corruptBlock, .checksumMismatch].contains(error.code), "cut at \(cut): \(error)")
        }
    }

    @Test func flippedByteInADataBlock() throws {
        var bytes = try Self.original()
        let file = try SSTFile(source: MemorySource(bytes))
        let blocks = try file.dataBlockHandles()
        let target = blocks[blocks.count / 2]
        bytes[Int(target.offset + target.size / 2)] ^= 0x20
        let error = try #require(Self.firstError(bytes))
        #expect(error.code == .checksumMismatch)
        #expect(error.offset == target.offset)
        #expect(error.block == "data")
        #expect(error.description.contains("damaged.sst"))
        #expect(error.description.contains("offset \(target.offset)"))
        #expect(error.description.contains("stored 0x"), "\(error)")
        #expect(error.description.contains("computed 0x"), "\(error)")
    }

    @Test func flippedByteInTheXXH3FooterOfFormatVersion6() throws {
        var bytes = try RocksDBFixtures.bytes(GeneratedSSTTests.directory.appendingPathComponent("zstd-xxh3-v6.sst"))
        bytes[bytes.count - 30] ^= 1  // reserved (unchecked) padding, covered by the footer checksum
        let error = try #require(Self.firstError(bytes))
        #expect(error.code == .checksumMismatch)
        #expect(error.block == "footer")
    }

    @Test func unknownCompressionTypeWithAValidChecksum() throws {
        var bytes = try Self.original()
        let file = try SSTFile(source: MemorySource(bytes))
        let target = try file.dataBlockHandles()[0]
        bytes[Int(target.offset + target.size)] = 0x2A
        Self.rechecksum(&bytes, target, .crc32c)
        let error = try #require(Self.firstError(bytes))
        #expect(error.code == .unknownCompression, "\(error)")
        #expect(error.description.contains("unknown compression type 42"))
        #expect(error.offset == target.offset + target.size)
    }

    @Test func absurdUncompressedSizeIsRefusedBeforeAllocating() throws {
        var bytes = try RocksDBFixtures.bytes(GeneratedSSTTests.directory.appendingPathComponent("lz4-xxhash-v5.sst"))
        let file = try SSTFile(source: MemorySource(bytes))
        let target = try file.dataBlockHandles()[0]
        // Overwrite the start of the LZ4 payload with a 5-byte varint32 size header claiming 0xFFFFFFF0 bytes; the
        // size must be refused before any decompression (or allocation) is tried.
        let p = Int(target.offset)
        let header: [UInt8] = [0xF0, 0xFF, 0xFF, 0xFF, 0x0F]
        for (i, b) in header.enumerated() { bytes[p + i] = b }
        Self.rechecksum(&bytes, target, .xxHash)
        let error = try #require(Self.firstError(bytes))
        #expect(error.code == .tooLarge, "\(error)")
        #expect(error.description.contains("4294967280"))
    }

    @Test func absurdBlockHandleIsRefused() throws {
        var bytes = try Self.original()
        // Footer (v5): checksum type, then the metaindex handle's varint64 offset and size. Make the size huge.
        let f = bytes.count - 53
        var r = [UInt8](bytes[(f + 1)...])
        var offsetEnd = 0
        while r[offsetEnd] & 0x80 != 0 { offsetEnd += 1 }
        let huge: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]
        r.replaceSubrange((offsetEnd + 1)..<(offsetEnd + 1), with: huge)
        bytes.replaceSubrange((f + 1)..<(f + 41), with: r.prefix(40))
        let error = try #require(Self.firstError(bytes))
        #expect([.tooLarge, .corruptBlock].contains(error.code), "\(error)")
        #expect(error.block == "metaindex" || error.block == "footer")
    }

    @Test func anotherComparatorIsRefusedByTheMergedView() throws {
        var bytes = try Self.original()
        let file = try SSTFile(source: MemorySource(bytes))
        let handle = try #require(file.metaBlock("rocksdb.properties"))
        let from = "leveldb.BytewiseComparator", to = "leveldb.BytewiseComparatoX"
        let block = Array(bytes[Int(handle.offset)..<Int(handle.offset + handle.size)])
        let at = try #require(Self.find(Array(from.utf8), in: block))
        for (i, b) in to.utf8.enumerated() { bytes[Int(handle.offset) + at + i] = b }
        Self.rechecksum(&bytes, handle, .crc32c)
        let error = try #require(Self.firstError(bytes))
        #expect(error.code == .unsupportedComparator, "\(error)")
        #expect(error.description.contains(to))
    }

    @Test func unsupportedValueTypeIsNamed() throws {
        // An uncompressed table; find an internal key trailer's type byte (value 1 after the key bytes) and make it a
        // BlobIndex (0x11), then fix the checksum.
        var bytes = try RocksDBFixtures.bytes(GeneratedSSTTests.directory.appendingPathComponent("none-crc32c-v5.sst"))
        let file = try SSTFile(source: MemorySource(bytes))
        let target = try file.dataBlockHandles()[0]
        let block = Array(bytes[Int(target.offset)..<Int(target.offset + target.size)])
        let key = RocksDBFixtures.key(0)
        let at = try #require(Self.find(key, in: block))
        bytes[Int(target.offset) + at + key.count] = 0x11
        Self.rechecksum(&bytes, target, .crc32c)
        let error = try #require(Self.firstError(bytes))
        #expect(error.code == .unsupportedValueType, "\(error)")
        #expect(error.description.contains("BlobIndex"))
    }

    @Test func garbageIsNotATable() throws {
        let error = try #require(Self.firstError([UInt8](repeating: 0x41, count: 4096)))
        #expect(error.code == .badMagic)
        #expect(error.description.contains("damaged.sst"))
    }

    static func find(_ needle: [UInt8], in hay: [UInt8]) -> Int? {
        guard needle.count <= hay.count else { return nil }
        for i in 0...(hay.count - needle.count) where hay[i..<(i + needle.count)].elementsEqual(needle) { return i }
        return nil
    }
}
