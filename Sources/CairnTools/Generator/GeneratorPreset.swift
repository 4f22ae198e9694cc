/// The shape and size of a synthetic job for `cairn generate`.
public struct GeneratorPreset: Sendable, Equatable {
    public var name: String
    /// Keys alive in each checkpoint.
    public var keys: Int
    public var parallelism: Int
    public var maxParallelism: Int
    public var kafkaPartitions: Int
    /// Events kept per key in the aggregation's list state: at least `minEvents`, up to `maxEvents` for the
    /// hottest keys, following a Zipf law over key popularity.
    public var minEvents: Int
    public var maxEvents: Int
    /// Zipf exponent of key popularity.
    public var zipfExponent: Double
    public var rules: Int
    /// Largest in-flight buffer, in bytes, and buffers per channel at most.
    public var maxBufferSize: Int
    public var maxBuffersPerChannel: Int

    public static let tiny = GeneratorPreset(
        name: "tiny", keys: 120, parallelism: 2, maxParallelism: 8, kafkaPartitions: 3, minEvents: 1, maxEvents: 30,
        zipfExponent: 1.0, rules: 3, maxBufferSize: 96, maxBuffersPerChannel: 2)
    public static let small = GeneratorPreset(
        name: "small", keys: 2_000, parallelism: 3, maxParallelism: 32, kafkaPartitions: 6, minEvents: 1, maxEvents: 400,
        zipfExponent: 1.0, rules: 8, maxBufferSize: 2048, maxBuffersPerChannel: 3)
    public static let demo = GeneratorPreset(
        name: "demo", keys: 50_000, parallelism: 4, maxParallelism: 128, kafkaPartitions: 8, minEvents: 2, maxEvents: 2_000,
        zipfExponent: 1.0, rules: 20, maxBufferSize: 32 << 10, maxBuffersPerChannel: 6)
    /// About 1 GB per checkpoint, for store benchmarks.
    public static let medium = GeneratorPreset(
        name: "medium", keys: 2_500_000, parallelism: 8, maxParallelism: 256, kafkaPartitions: 16, minEvents: 36,
        maxEvents: 50_000, zipfExponent: 1.0, rules: 50, maxBufferSize: 32 << 10, maxBuffersPerChannel: 8)
    /// Over 2 GB per checkpoint, written without holding it in memory.
    public static let large = GeneratorPreset(
        name: "large", keys: 4_000_000, parallelism: 8, maxParallelism: 256, kafkaPartitions: 32, minEvents: 48,
        maxEvents: 100_000, zipfExponent: 1.0, rules: 100, maxBufferSize: 32 << 10, maxBuffersPerChannel: 8)

    public static let all: [GeneratorPreset] = [.tiny, .small, .demo, .medium, .large]

    public static func named(_ name: String) -> GeneratorPreset? { all.first { $0.name == name } }
}
