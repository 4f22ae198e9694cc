import CairnCore
import CairnFormat
import CairnModel

/// Rewrites a native snapshot by a `RewritePlan` into a new file, in one streaming pass.
///
/// The input is never modified. The plan is checked against the input's index first (every refusal happens before
/// a byte is written), then the input itself is validated — deep when values or key groups change — then the
/// output is written beside DEST, validated deep, and only then renamed into place. Any failure leaves nothing at
/// DEST. Memory holds one key group (one operator-state unit) at a time, plus a bounded sort buffer when
/// `--max-parallelism` re-hashes keys.
public enum NativeRewriter {
    /// Tuning that does not change the output.
    public struct Options: Sendable {
        /// Bytes of entries sorted in memory per state before a sorted run is spilled to disk (max-parallelism changes).
        public var sortMemory: Int
        /// Writer threads for compression.
        public var compressionThreads: Int

        public init(sortMemory: Int = 128 << 20, compressionThreads: Int = WriterOptions.availableCores) {
            self.sortMemory = sortMemory
            self.compressionThreads = compressionThreads
        }
    }

    /// Rewrites `source` into `destination`; returns every change made.
    public static func rewrite(source: String, to destination: String, plan: RewritePlan, options: Options = Options()) throws -> RewriteReport {
        do {
            return try run(source: source, destination: destination, plan: plan, options: options)
        } catch let e as IOError {
            throw NativeRewriteError.io(e)
        }
    }

    private static func run(source: String, destination: String, plan: RewritePlan, options: Options) throws -> RewriteReport {
        guard !StagedFile.sameFile(source, destination) else { throw NativeRewriteError.sameFile(source: source, destination: destination) }
        guard plan.relocation == nil else { throw UsageError("--relocate applies to Flink snapshots; native snapshots hold no paths") }
        let reader: SnapshotReader
        do { reader = try SnapshotReader(path: source) } catch let e as SnapshotError {
            throw NativeRewriteError.invalidInput(source: source, deep: false, problems: [ValidationProblem(e)])
        }
        if let base = reader.index.base {
            throw UsageError("\(source) is a delta on \(base.file) (format 1.1); fold its chain into a full snapshot first (cairn rewrite \(source) FULL.cairn --compact), then rewrite that")
        }
        let resolved = try resolve(plan, index: reader.index)

        // The input must be sound before anything is written: a damaged block found half way would waste the
        // write, and one a shallow check cannot see would be carried into the output.
        let inputReport = SnapshotValidator.validate(source: source, view: NativeSnapshot(reader: reader), deep: resolved.rewritesEntries)
        guard inputReport.isValid else {
            throw NativeRewriteError.invalidInput(source: source, deep: resolved.rewritesEntries, problems: inputReport.errors)
        }

        let staged = StagedFile(destination: destination)
        let sortDirectory = staged.stagingPath + ".sort"
        // Claimed for the whole rewrite (see `TemporaryFiles`), so no other run takes it for abandoned.
        let sortClaim = try TemporaryFiles.createDirectory(sortDirectory)
        defer {
            removeDirectory(sortDirectory)
            POSIX.close(sortClaim)
        }
        var pass = try NativeRewritePass(reader: reader, resolved: resolved, sink: try staged.sink(),
                                         options: WriterOptions(compression: resolved.compression, compressionThreads: options.compressionThreads),
                                         sortDirectory: sortDirectory, sortMemory: options.sortMemory)
        let summary = try pass.write()

        // Nobody sees the output before it passed the same deep validation `cairn validate --deep` runs.
        let written: SnapshotReader
        do { written = try SnapshotReader(path: staged.stagingPath) } catch let e as SnapshotError {
            throw NativeRewriteError.invalidOutput(destination: destination, problems: [ValidationProblem(e)])
        }
        let outputReport = SnapshotValidator.validate(source: destination, view: NativeSnapshot(reader: written), deep: true)
        guard outputReport.isValid else { throw NativeRewriteError.invalidOutput(destination: destination, problems: outputReport.errors) }
        try staged.publish()

        return RewriteReport(source: source, destination: destination, changes: resolved.changes + pass.changes,
                             filesWritten: 1, bytesWritten: Int64(summary.fileSize))
    }

    /// Removes the sort runs' directory, if one was made.
    static func removeDirectory(_ path: String) {
        guard FilePaths.kind(path) == .directory else { return }
        for name in FilePaths.list(path) { unlink(path + "/" + name) }
        rmdir(path)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
