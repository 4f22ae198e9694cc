import CairnCore
import CairnFormat
import CairnModel

/// Folds a chain of delta snapshots into one full snapshot (`cairn rewrite --compact`, format spec §13).
///
/// The chain is checked deep first (every link's checksums and base identity); the output is written beside DEST,
/// validated deep, compared entry by entry with the merged view of the chain, and only then renamed into place.
/// Nothing is left at DEST on failure, and the chain is never modified.
public enum ChainCompactor {
    public static func compact(source: String, to destination: String, compression: CompressionSetting?,
                               compressionThreads: Int = WriterOptions.availableCores) throws -> RewriteReport {
        guard !StagedFile.sameFile(source, destination) else { throw NativeRewriteError.sameFile(source: source, destination: destination) }
        do {
            return try run(source: source, destination: destination, compression: compression, threads: compressionThreads)
        } catch let e as IOError {
            throw NativeRewriteError.io(e)
        }
    }

    private static func run(source: String, destination: String, compression: CompressionSetting?, threads: Int) throws -> RewriteReport {
        let chain: SnapshotChain
        do { chain = try SnapshotChain(path: source) } catch let e as SnapshotError {
            throw NativeRewriteError.invalidInput(source: source, deep: false, problems: [ValidationProblem(e)])
        }
        let input = SnapshotValidator.validate(source: source, view: NativeSnapshot(chain: chain), deep: true)
        guard input.isValid else { throw NativeRewriteError.invalidInput(source: source, deep: true, problems: input.errors) }

        let setting = compression ?? NativeRewriter.inputCompression(chain.top.index)
        let staged = StagedFile(destination: destination)
        let summary = try chain.compact(to: try staged.sink(), options: WriterOptions(compression: setting, compressionThreads: threads))

        let written: SnapshotReader
        do { written = try SnapshotReader(path: staged.stagingPath) } catch let e as SnapshotError {
            throw NativeRewriteError.invalidOutput(destination: destination, problems: [ValidationProblem(e)])
        }
        let output = SnapshotValidator.validate(source: destination, view: NativeSnapshot(reader: written), deep: true)
        guard output.isValid else { throw NativeRewriteError.invalidOutput(destination: destination, problems: output.errors) }
        if let difference = try chain.firstDifference(from: written) {
            throw NativeRewriteError.invalidOutput(destination: destination, problems: [ValidationProblem(
                code: "compaction", "the written snapshot differs from the merged chain: \(difference)", at: SnapshotLocation(file: destination))])
        }
        try staged.publish()

        let names = chain.links.map { FilePaths.lastComponent($0.source.name) }
        let change = chain.isDelta
            ? "folded a chain of \(names.count) snapshots (\(names.joined(separator: " on "))) into a full snapshot"
            : "copied \(names[0]), a full snapshot already"
        return RewriteReport(source: source, destination: destination, changes: [change], filesWritten: 1, bytesWritten: Int64(summary.fileSize))
    }
}
