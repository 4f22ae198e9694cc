import ArgumentParser
import CairnCore
import CairnFormat
import CairnModel
import CairnTools

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct GenerateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Write realistic synthetic checkpoints of a preset streaming job.",
        discussion: """
            The job reads Kafka-like partitions, aggregates per user with Zipf-skewed keys and TTL, counts in one-minute windows with timers, and enriches with union and broadcast state; checkpoints are unaligned and carry in-flight buffers. Consecutive checkpoints change about --change-rate of the keys. The same seed gives the same bytes.

            Presets: tiny, small, demo (a few MB), medium (about 1 GB), large (over 2 GB, streamed).

            Examples:
              cairn generate demo --checkpoints 3
              cairn generate demo --checkpoints 5 --incremental
              cairn generate one.cairn --preset tiny --seed 7
            """)

    @Argument(help: "A directory for chk-N.cairn files, or a .cairn file path when writing one checkpoint.")
    var dest: String

    @Option(help: "Job size: tiny, small, demo, medium or large.")
    var preset: String = "demo"

    @Option(help: "Number of consecutive checkpoints.")
    var checkpoints: Int = 1

    @Option(help: "Seed for all generated data.")
    var seed: UInt64 = 1

    @Option(help: "Share of keys that change between consecutive checkpoints (0 to 1).")
    var changeRate: Double = 0.03

    @Flag(help: "Write aligned checkpoints (no in-flight buffers).")
    var aligned = false

    @Flag(help: "Keys appear but never expire, like state without a TTL: keyed state grows with every checkpoint.")
    var leak = false

    @Flag(help: "Write chk-1 in full and every later checkpoint as a delta on the one before (format 1.1): only the keys that changed, and tombstones for those removed.")
    var incremental = false

    @Option(help: "Block compression: zstd, zstd:LEVEL, lz4 or none.")
    var compression: String = "zstd:1"

    @Flag(help: "Print what was written as JSON.")
    var json = false

    func validate() throws {
        guard GeneratorPreset.named(preset) != nil else {
            throw ValidationError("unknown preset '\(preset)'; choose one of \(GeneratorPreset.all.map(\.name).joined(separator: ", "))")
        }
        guard checkpoints >= 1 && checkpoints <= 10_000 else { throw ValidationError("--checkpoints must be between 1 and 10000") }
        guard changeRate >= 0 && changeRate <= 1 else { throw ValidationError("--change-rate must be between 0 and 1") }
        if incremental && checkpoints > 1 && dest.hasSuffix(".cairn") {
            throw ValidationError("--incremental writes a chain of chk-N.cairn files; give a directory")
        }
        guard CompressionSetting(parsing: compression) != nil else {
            throw ValidationError("--compression must be zstd, zstd:1…22, lz4 or none")
        }
    }

    func run() async throws {
        let setting = CompressionSetting(parsing: compression)!
        var job = SyntheticJob(
            preset: GeneratorPreset.named(preset)!, seed: seed, changeRate: changeRate, mode: aligned ? .aligned : .unaligned,
            options: WriterOptions(compression: setting))
        job.leak = leak
        let single = checkpoints == 1 && dest.hasSuffix(".cairn")
        if !single {
            if mkdir(dest, 0o755) != 0 && errno != EEXIST {
                throw IOError(path: dest, operation: "create directory", errno: errno)
            }
        }
        var written: [JSONValue] = []
        let clock = ContinuousClock()
        for c in 1...checkpoints {
            let path = single ? dest : dest + "/chk-\(c).cairn"
            let start = clock.now
            let sink = try AtomicFileSink(path: path)
            let base = incremental && c > 1 ? DeltaBase(of: try SnapshotReader(path: dest + "/chk-\(c - 1).cairn"), file: "chk-\(c - 1).cairn") : nil
            let summary = try job.write(checkpoint: c, to: sink, base: base)
            let elapsed = clock.now - start
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            written.append(.object([
                ("path", .string(path)), ("checkpoint", .number(c)), ("fileSize", .number(summary.fileSize)),
                ("rawBytes", .number(summary.rawBytes)), ("blocks", .number(summary.blockCount)),
                ("entries", .number(summary.entryCount)), ("base", base.map { .string($0.file) } ?? .null),
                ("seconds", .double((seconds * 1000).rounded() / 1000)),
            ]))
            if !json {
                let what = base.map { "delta on \($0.file), " } ?? ""
                Terminal.out("wrote \(path): \(ByteCount.format(Int64(summary.fileSize))) (\(what)\(ByteCount.format(Int64(summary.rawBytes))) raw, \(summary.blockCount) blocks, \(summary.entryCount) keyed entries) in \(ByteCount.fixed(seconds, 2)) s")
            }
        }
        if json { Terminal.out(JSONValue.array(written).rendered()) }
    }
}
