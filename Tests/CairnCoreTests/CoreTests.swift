import CairnCore
import Testing

@Suite("CairnCore primitives")
struct CoreTests {
    @Test("varints round trip at every width and reject bad forms")
    func varints() throws {
        let values: [UInt64] = [0, 1, 127, 128, 300, 16_383, 16_384, UInt64(UInt32.max), UInt64.max >> 1, UInt64.max]
        for v in values {
            var w = ByteWriter()
            w.writeVarint(v)
            #expect(w.count == ByteWriter.varintSize(v))
            var r = ByteReader(w.bytes)
            #expect(try r.readVarint() == v)
            #expect(r.isAtEnd)
        }
        for v: Int64 in [0, -1, 1, Int64.min, Int64.max, -300] {
            var w = ByteWriter()
            w.writeSVarint(v)
            var r = ByteReader(w.bytes)
            #expect(try r.readSVarint() == v)
        }
        let bad: [([UInt8], DecodeError.Code)] = [
            ([0x80, 0x00], .invalidVarint), ([0x80], .truncated), ([], .truncated),
            ([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02], .invalidVarint),
            ([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x81, 0x01], .invalidVarint),
        ]
        for (bytes, code) in bad {
            var r = ByteReader(bytes)
            #expect(throws: DecodeError.self) { _ = try r.readVarint() }
            var r2 = ByteReader(bytes)
            do { _ = try r2.readVarint() } catch { #expect(error.code == code) }
        }
    }

    @Test("lengths beyond the buffer fail without allocating")
    func lengths() {
        var w = ByteWriter()
        w.writeVarint(UInt64(1) << 40)
        var r = ByteReader(w.bytes + [1, 2, 3])
        do {
            _ = try r.readBytes()
            Issue.record("accepted")
        } catch {
            #expect(error.code == .lengthOutOfBounds)
        }
        var s = ByteReader([2, 0xC3, 0x28])
        #expect(throws: DecodeError.self) { _ = try s.readString() }
    }

    @Test("CRC32C matches the standard check value and is the same in pieces")
    func crc32c() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8]()) == 0)
        let data = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        var c = CRC32C()
        c.update(Array(data[0..<3]))
        c.update(Array(data[3..<4097]))
        c.update(Array(data[4097...]))
        #expect(c.value == CRC32C.checksum(data))
    }

    @Test("murmur3 matches the reference values")
    func murmur3() {
        #expect(Murmur3.hash32([UInt8]()) == 0)
        #expect(Murmur3.hash32(Array("hello".utf8)) == 0x248B_FA47)
        #expect(Murmur3.hash32(Array("The quick brown fox jumps over the lazy dog".utf8)) == 0x2E4F_F723)
    }

    static func zstd(_ data: [UInt8]) -> [UInt8]? {
        var out: [UInt8] = []
        return data.withUnsafeBytes { Zstd.Compressor(level: 3).compress($0, into: &out) } ? out : nil
    }

    static func lz4(_ data: [UInt8]) -> [UInt8]? {
        var out: [UInt8] = []
        return data.withUnsafeBytes { LZ4.compress($0, into: &out) } ? out : nil
    }

    static func unzstd(_ data: [UInt8], _ n: Int) throws(DecodeError) -> [UInt8] {
        try data.withUnsafeBytes { b in Result { () throws(DecodeError) in try Zstd.decompress(b, rawLength: n) } }.get()
    }

    static func unlz4(_ data: [UInt8], _ n: Int) throws(DecodeError) -> [UInt8] {
        try data.withUnsafeBytes { b in Result { () throws(DecodeError) in try LZ4.decompress(b, rawLength: n) } }.get()
    }

    @Test("zstd and lz4 round trip and refuse wrong lengths")
    func codecs() throws {
        let data = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 / 7) }
        let z = try #require(Self.zstd(data))
        #expect(try Self.unzstd(z, data.count) == data)
        #expect(throws: DecodeError.self) { _ = try Self.unzstd(z, data.count - 1) }
        #expect(throws: DecodeError.self) { _ = try Self.unzstd(z, data.count + 1) }
        #expect(throws: DecodeError.self) { _ = try Self.unzstd(Array(z.prefix(z.count / 2)), data.count) }
        let l = try #require(Self.lz4(data))
        #expect(try Self.unlz4(l, data.count) == data)
        #expect(throws: DecodeError.self) { _ = try Self.unlz4(l, data.count - 1) }
        #expect(throws: DecodeError.self) { _ = try Self.unlz4(Array(l.prefix(l.count / 2)), data.count) }
        // Incompressible input is reported as not shrinking.
        var x: UInt64 = 88_172_645_463_325_252
        let noise = (0..<4096).map { _ -> UInt8 in
            x ^= x << 13; x ^= x >> 7; x ^= x << 17
            return UInt8(truncatingIfNeeded: x)
        }
        #expect(Self.lz4(noise) == nil)
        #expect(Self.zstd(noise) == nil)
    }

    @Test("civil time from epoch seconds, leap days and times before 1970 included")
    func civilTime() {
        #expect(CivilTime(epochSeconds: 0) == CivilTime(year: 1970, month: 1, day: 1, hour: 0, minute: 0, second: 0))
        #expect(CivilTime(epochSeconds: 951_868_799) == CivilTime(year: 2000, month: 2, day: 29, hour: 23, minute: 59, second: 59))
        #expect(CivilTime(epochSeconds: 1_767_225_600) == CivilTime(year: 2026, month: 1, day: 1, hour: 0, minute: 0, second: 0))
        #expect(CivilTime(epochSeconds: -1) == CivilTime(year: 1969, month: 12, day: 31, hour: 23, minute: 59, second: 59))
    }

    @Test("hex and sizes render as documented")
    func rendering() {
        #expect(Hex.encode([0x00, 0xAB, 0xFF]) == "00abff")
        #expect(Hex.decode("00abFF") == [0, 0xAB, 0xFF])
        #expect(Hex.decode("abc") == nil)
        #expect(ByteCount.format(512) == "512 B")
        #expect(ByteCount.format(1536) == "1.50 KiB")
        #expect(ByteCount.format(Int64(5) << 30) == "5.00 GiB")
        let doc: JSONValue = .object([("a", 1), ("b", .array(["x", .null, .bool(true)])), ("c", .double(0.5))])
        #expect(doc.rendered(indent: 0) == #"{"a":1,"b":["x",null,true],"c":0.5}"#)
        #expect(JSONValue.string("q\"\n\u{01}").rendered() == #""q\"\n\u0001""#)
    }
}
