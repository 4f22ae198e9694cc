import CairnCore
import CairnRocksDB
import Foundation

/// Paths and helpers shared by the RocksDB tests.
enum RocksDBFixtures {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let generated = repo.appendingPathComponent("Fixtures/rocksdb")
    static let flink = repo.appendingPathComponent("Fixtures/flink")

    static func bytes(_ url: URL) throws -> [UInt8] { [UInt8](try Data(contentsOf: url)) }

    /// The generator's rule (Fixtures/rocksdb/generator/SSTGenerator.java `key`/`value`).
    static func key(_ i: Int) -> [UInt8] {
        let digits = String(i)
        return Array(("key" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits).utf8)
    }

    static func value(_ i: Int) -> [UInt8] {
        let letter = Character(Unicode.Scalar(UInt8(ascii: "a") + UInt8(i % 10)))
        return Array(("value-\(i)-" + String(repeating: letter, count: i % 50)).utf8)
    }

    static let variantEntries = 500

    /// Every entry of a table, copied.
    static func allEntries(_ file: SSTFile) throws -> [(key: [UInt8], sequence: UInt64, type: SSTValueType, value: [UInt8])] {
        var it = file.entries()
        var out: [(key: [UInt8], sequence: UInt64, type: SSTValueType, value: [UInt8])] = []
        while let e = try it.next() { out.append((Array(e.userKey), e.sequence, e.type, Array(e.value))) }
        return out
    }

    static func hex(_ b: [UInt8]) -> String { b.map { String(format: "%02x", $0) }.joined() }
}

extension RocksDBFixtures {
    static func compare(_ a: [UInt8], _ b: [UInt8]) -> Int {
        if a.lexicographicallyPrecedes(b) { return -1 }
        return a == b ? 0 : 1
    }
}
