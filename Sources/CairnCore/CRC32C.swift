import CCRC32C

/// CRC32C (Castagnoli), the block checksum of the Cairn format: hardware-accelerated where SSE4.2 exists.
public struct CRC32C: Sendable, Equatable {
    public private(set) var value: UInt32

    public init() { value = 0 }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        value = cairn_crc32c_update(value, base, bytes.count)
    }

    public mutating func update<C: ContiguousBytes>(_ bytes: C) {
        bytes.withUnsafeBytes { update($0) }
    }

    public static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var c = CRC32C()
        c.update(bytes)
        return c.value
    }

    public static func checksum<C: ContiguousBytes>(_ bytes: C) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0) }
    }

    /// True when the SSE4.2 instruction path is in use.
    public static var isHardwareAccelerated: Bool { cairn_crc32c_hardware() != 0 }
}

/// Types whose bytes can be viewed contiguously; kept local so CairnCore needs no Foundation.
public protocol ContiguousBytes {
    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R
}

extension Array: ContiguousBytes where Element == UInt8 {}
extension ArraySlice: ContiguousBytes where Element == UInt8 {}
