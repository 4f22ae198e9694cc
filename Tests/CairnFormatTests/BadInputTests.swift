import CairnCore
import CairnFormat
import CairnModel
import Testing

/// Damaged files must give a clear, located error — never a crash, a hang or an unbounded allocation.
@Suite("bad input")
struct BadInputTests {
    static func fixture() throws -> [UInt8] { try VectorCatalog.keyed(.zstd(level: 1)) }

    /// Opens and fully decodes; returns the error, or nil if it all decoded.
    static func decodeAll(_ bytes: [UInt8]) -> SnapshotError? {
        do {
            let reader = try SnapshotReader(source: MemorySource(bytes, name: "damaged.cairn"))
            _ = try SnapshotDump.json(reader)
            let problems = SnapshotVerifier(reader: reader).verify()
            if let p = problems.first {
                return SnapshotError(DecodeError.Code(rawValue: p.code) ?? .invalidValue, p.message, at: p.location)
            }
            return nil
        } catch let e as SnapshotError {
            return e
        } catch {
            Issue.record("unexpected error type: \(error)")
            return nil
        }
    }

    @Test("truncation at every offset is reported")
    func truncationEverywhere() throws {
        let good = try Self.fixture()
        for length in 0..<good.count {
            let e = Self.decodeAll(Array(good.prefix(length)))
            #expect(e != nil, "a file cut to \(length) of \(good.count) bytes was accepted")
            if let e { #expect(!e.description.isEmpty && e.location.file == "damaged.cairn") }
        }
    }

    @Test("a flipped bit in every block is found and named by block and owner")
    func bitFlipInEveryBlock() throws {
        let good = try Self.fixture()
        let reader = try SnapshotReader(source: MemorySource(good))
        for (i, block) in reader.index.blocks.enumerated() {
            for bit in [0, 3, 7] {
                // Flip a bit in the stored bytes, and separately in the frame header.
                for position in [Int(block.offset) + 16 + block.storedLength / 2, Int(block.offset) + 5] {
                    var bad = good
                    bad[position] ^= UInt8(1 << bit)
                    let problems = SnapshotVerifier(reader: try SnapshotReader(source: MemorySource(bad))).verify()
                    let p = try #require(problems.first, "flip in block \(i) at \(position) not found")
                    #expect(p.location.block == i)
                    #expect(p.location.operatorID != nil)
                    #expect(p.location.offset == block.offset)
                }
            }
        }
    }

    @Test("every byte of the index and footer is protected")
    func indexAndFooterFlips() throws {
        let good = try Self.fixture()
        let reader = try SnapshotReader(source: MemorySource(good))
        for position in Int(reader.indexOffset)..<good.count {
            var bad = good
            bad[position] ^= 0x20
            #expect(throws: SnapshotError.self, "flip at \(position) was accepted") {
                _ = try SnapshotReader(source: MemorySource(bad))
            }
        }
    }

    @Test("wrong magic, version and flags name the problem")
    func headerProblems() throws {
        let good = try Self.fixture()
        var magic = good
        magic[3] = 0
        #expect(Self.decodeAll(magic)?.code == .badMagic)
        var major = good
        major[9] = 9
        #expect(Self.decodeAll(major)?.code == .unsupportedVersion)
        var flags = good
        flags[12] = 0x80
        #expect(Self.decodeAll(flags)?.code == .unknownFlags)
        #expect(Self.decodeAll([])?.code == .truncated)
        #expect(Self.decodeAll(Array("short text".utf8))?.code == .truncated)
        #expect(Self.decodeAll(Array("not a snapshot at all, just some text in a file that is long enough".utf8))?.code == .badMagic)
    }

    /// Builds a file around a hand-made index body, with a valid frame, CRC and footer.
    static func fileWithIndex(_ raw: [UInt8], rawLengthOverride: UInt32? = nil) -> [UInt8] {
        var file = FileLayout.header()
        var header = BlockHeader(kind: .index, codec: 0, rawLength: rawLengthOverride ?? UInt32(raw.count), storedLength: UInt32(raw.count), crc: 0)
        header.crc = raw.withUnsafeBytes { BlockHeader.checksum(prefix: header.prefixBytes(), stored: $0) }
        file += header.bytes() + raw
        file += FileLayout.footer(indexOffset: 16, indexLength: UInt64(16 + raw.count))
        return file
    }

    static func section(_ tag: UInt8, _ body: [UInt8]) -> [UInt8] {
        var w = ByteWriter()
        w.writeU8(tag)
        w.writeBytes(body)
        return w.bytes
    }

    static let metadataBody: [UInt8] = {
        var w = ByteWriter()
        w.writeString("1"); w.writeU8(0); w.writeString("e"); w.writeString(""); w.writeString(""); w.writeString("")
        w.writeSVarint(0); w.writeU8(0); w.writeVarint(0)
        return w.bytes
    }()

    @Test("absurd counts and lengths are refused before allocating")
    func absurdLengths() throws {
        var huge = ByteWriter()
        huge.writeVarint(UInt64(1) << 62)  // serializer count
        let cases: [(String, [UInt8], DecodeError.Code)] = [
            ("huge serializer count", Self.section(1, Self.metadataBody) + Self.section(2, huge.bytes), .lengthOutOfBounds),
            ("section longer than index", [1, 0xFF, 0xFF, 0xFF, 0x7F], .lengthOutOfBounds),
            ("overlong varint", Self.section(1, Self.metadataBody) + [2, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01], .invalidVarint),
            ("non-minimal varint", Self.section(1, Self.metadataBody) + [2, 0x81, 0x00], .invalidVarint),
            ("unknown required section", Self.section(1, Self.metadataBody) + Self.section(0x09, []), .unknownTag),
            ("missing sections", Self.section(1, Self.metadataBody), .truncated),
        ]
        for (name, raw, code) in cases {
            do {
                _ = try SnapshotReader(source: MemorySource(Self.fileWithIndex(raw)))
                Issue.record("\(name) accepted")
            } catch {
                #expect(error.code == code, "\(name): \(error)")
            }
        }
        // A raw length above the limit is refused before decompressing.
        do {
            _ = try SnapshotReader(source: MemorySource(Self.fileWithIndex([0], rawLengthOverride: UInt32.max)))
            Issue.record("4 GiB index accepted")
        } catch {
            #expect(error.code == .lengthOutOfBounds)
        }
    }

    @Test("unknown optional sections are skipped, unknown block kinds refused")
    func extensions() throws {
        var blocks = ByteWriter()
        blocks.writeVarint(0)
        var ops = ByteWriter()
        ops.writeVarint(0)
        var serializers = ByteWriter()
        serializers.writeVarint(0)
        let base = Self.section(1, Self.metadataBody) + Self.section(2, serializers.bytes) + Self.section(3, blocks.bytes) + Self.section(4, ops.bytes)
        let withOptional = Self.section(1, Self.metadataBody) + Self.section(0x90, [1, 2, 3]) + Array(base.dropFirst(Self.section(1, Self.metadataBody).count))
        #expect(try SnapshotReader(source: MemorySource(Self.fileWithIndex(base))).index.operators.isEmpty)
        #expect(try SnapshotReader(source: MemorySource(Self.fileWithIndex(withOptional))).index.operators.isEmpty)
        // A block table entry with an unknown required kind.
        var badBlocks = ByteWriter()
        badBlocks.writeVarint(1); badBlocks.writeVarint(16); badBlocks.writeU8(0x30); badBlocks.writeU8(0)
        badBlocks.writeVarint(0); badBlocks.writeVarint(0); badBlocks.writeU32(0)
        let bad = Self.section(1, Self.metadataBody) + Self.section(2, serializers.bytes) + Self.section(3, badBlocks.bytes) + Self.section(4, ops.bytes)
        #expect(throws: SnapshotError.self) { _ = try SnapshotReader(source: MemorySource(Self.fileWithIndex(bad))) }
    }
}
