import CairnCore
import Testing

/// xxHash's own sanity vectors (cli/xsum_sanity_check.c in Cyan4973/xxHash): a buffer filled by its generator,
/// hashed at lengths that reach every code path, seed 0.
@Suite("XXH32, XXH64, XXH3 against xxHash's published vectors")
struct XXHashTests {
    static let buffer: [UInt8] = {
        var gen: UInt64 = 2_654_435_761
        var out: [UInt8] = []
        for _ in 0..<2367 {
            out.append(UInt8(gen >> 56))
            gen = gen &* 11_400_714_785_074_694_797
        }
        return out
    }()

    @Test func xxh32() {
        for (n, expected) in [(0, 0x02CC_5D05), (1, 0xCF65_B03E), (14, 0x1208_E7E2), (222, 0x5BD1_1DBD)] as [(Int, UInt32)] {
            #expect(XXHash.xxh32(Array(Self.buffer.prefix(n))) == expected, "length \(n)")
        }
    }

    @Test func xxh64() {
        let vectors: [(Int, UInt64)] = [(0, 0xEF46_DB37_51D8_E999), (1, 0xE934_A84A_DB05_2768), (4, 0x9136_A0DC_A574_57EE),
                                        (14, 0x8282_DCC4_994E_35C8), (222, 0xB641_AE8C_B691_C174)]
        for (n, expected) in vectors { #expect(XXHash.xxh64(Array(Self.buffer.prefix(n))) == expected, "length \(n)") }
    }

    @Test func xxh3() {
        let vectors: [(Int, UInt64)] = [
            (0, 0x2D06_8005_38D3_94C2), (1, 0xC44B_DFF4_074E_ECDB), (6, 0x27B5_6A84_CD2D_7325), (12, 0xA713_DAF0_DFBB_77E7),
            (24, 0xA3FE_70BF_9D35_10EB), (48, 0x397D_A259_ECBA_1F11), (80, 0xBCDE_FBBB_2C47_C90A), (195, 0xCD94_217E_E362_EC3A),
            (403, 0xCDEB_804D_65C6_DEA4), (512, 0x617E_4959_9013_CB6B), (2048, 0xDD59_E2C3_A5F0_38E0), (2099, 0xC6B9_D9B3_FC9A_C765),
            (2240, 0x6E73_A905_39CF_2948), (2367, 0xCB37_AEB9_E5D3_61ED),
        ]
        for (n, expected) in vectors { #expect(XXH3.hash64(Array(Self.buffer.prefix(n))) == expected, "length \(n)") }
    }

    @Test func snappyRefusesAbsurdLengthsBeforeAllocating() throws {
        // A header claiming 2^32-1 bytes, then nothing.
        let bomb: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x00]
        #expect(throws: DecodeError.self) { try Snappy.decompress(bomb, 0..<bomb.count, maxLength: 1 << 20) }
        // A literal of 3 bytes and a copy of 4 at distance 3: "abcabca".
        let ok: [UInt8] = [7, 0x08, 0x61, 0x62, 0x63, 0x01, 0x03]
        #expect(try Snappy.decompress(ok, 0..<ok.count, maxLength: 64) == Array("abcabca".utf8))
    }
}
