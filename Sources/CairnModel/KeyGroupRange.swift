import CairnCore

/// A contiguous range of key groups, `start ..< start + count` (format spec §3.1).
public struct KeyGroupRange: Sendable, Hashable, CustomStringConvertible {
    public var start: Int
    public var count: Int

    public init(start: Int, count: Int) {
        self.start = start
        self.count = count
    }

    /// `first ... last`, inclusive, as Flink writes it.
    public init(first: Int, last: Int) {
        self.start = first
        self.count = max(0, last - first + 1)
    }

    public var end: Int { start + count }
    public var last: Int { start + count - 1 }
    public var isEmpty: Bool { count == 0 }
    public func contains(_ keyGroup: Int) -> Bool { keyGroup >= start && keyGroup < end }
    public var description: String { isEmpty ? "empty" : "\(start)-\(last)" }

    /// The range Flink gives subtask `index` of `parallelism` (`computeKeyGroupRangeForOperatorIndex`).
    public static func forSubtask(_ index: Int, parallelism: Int, maxParallelism: Int) -> KeyGroupRange {
        let first = (index * maxParallelism + parallelism - 1) / parallelism
        let last = ((index + 1) * maxParallelism - 1) / parallelism
        return KeyGroupRange(first: first, last: last)
    }

    /// The subtask that owns `keyGroup` (`computeOperatorIndexForKeyGroup`).
    public static func subtask(owning keyGroup: Int, parallelism: Int, maxParallelism: Int) -> Int {
        keyGroup * parallelism / maxParallelism
    }

    /// The key group of serialized key bytes: murmur3 (x86, 32-bit, seed 0) modulo max parallelism.
    public static func keyGroup<C: ContiguousBytes>(ofKey key: C, maxParallelism: Int) -> Int {
        Int(Murmur3.hash32(key) % UInt32(maxParallelism))
    }

    public static func keyGroup(ofKey key: UnsafeRawBufferPointer, maxParallelism: Int) -> Int {
        Int(Murmur3.hash32(key) % UInt32(maxParallelism))
    }

    /// The largest max parallelism the format (and Flink) allow.
    public static let upperBound = 32768
}
