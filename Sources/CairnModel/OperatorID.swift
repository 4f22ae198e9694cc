import CairnCore

/// The 16-byte identity of an operator, printed as 32 lowercase hex digits as Flink prints it.
public struct OperatorID: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let bytes: [UInt8]

    /// Returns nil unless `bytes` has exactly 16 bytes.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    /// Parses 32 hex digits.
    public init?(hex: String) {
        guard hex.utf8.count == 32, let b = Hex.decode(hex) else { return nil }
        self.bytes = b
    }

    /// The id Flink gives an operator with this uid (`StreamGraphHasherV2`): murmur3_128 with seed 0 of its UTF-8
    /// bytes. Renaming a uid therefore changes the id, and a job spec may name operators by uid alone.
    public init(flinkUID uid: String) {
        self.bytes = Murmur3.hash128x64(Array(uid.utf8), seed: 0)
    }

    /// A stable id derived from a uid string: murmur3 with four seeds, so generated jobs get fixed ids.
    public init(derivedFrom uid: String) {
        var out: [UInt8] = []
        let data = Array(uid.utf8)
        for seed: UInt32 in [0, 1, 2, 3] {
            let h = Murmur3.hash32(data, seed: seed)
            out += [UInt8(h >> 24), UInt8(truncatingIfNeeded: h >> 16), UInt8(truncatingIfNeeded: h >> 8), UInt8(truncatingIfNeeded: h)]
        }
        self.bytes = out
    }

    public var hex: String { Hex.encode(bytes) }
    public var description: String { hex }

    public static func < (a: OperatorID, b: OperatorID) -> Bool { a.bytes.lexicographicallyPrecedes(b.bytes) }
}
