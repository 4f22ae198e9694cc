import CairnCore
import CairnFlink
import CairnFormat
import CairnModel

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Rewrites a Flink savepoint or retained checkpoint at the metadata level into a new directory that Flink restores
/// from: `_metadata` in the input's version plus the relative files it needs (hard-linked where possible). Drops
/// operators, renames uids (the id follows, as Flink hashes it), sets source split positions and relocates absolute
/// paths. The input is checked first and never changed; the output is written beside DEST, validated, and only
/// then renamed into place.
public enum FlinkRewriter {
    public static func rewrite(_ snapshot: FlinkSnapshot, source: String, to destination: String,
                               plan: RewritePlan) throws(FlinkRewriteError) -> RewriteReport {
        var edit = FlinkMetadataEdit(snapshot: snapshot)
        let dest = FileOperations.absolute(destination)
        guard FilePaths.kind(dest) == nil else { throw .destinationExists(destination) }
        let sourceDir = FileOperations.absolute(snapshot.location.directory)
        if dest == sourceDir || dest.hasPrefix(sourceDir + "/") {
            throw .destinationInsideSource(destination: destination, source: snapshot.location.directory)
        }
        let inputProblems = SnapshotValidator.validate(source: source, view: snapshot, deep: false).errors
        guard inputProblems.isEmpty else { throw .invalidInput(source: source, problems: inputProblems) }

        for ref in plan.dropOperators { try edit.drop(ref) }
        for rename in plan.renameUIDs { try edit.rename(rename) }
        try edit.setOffsets(plan.setOffsets)
        if let r = plan.relocation { try edit.relocate(r, source: source) }

        var output = FlinkRewriteOutput(snapshot: snapshot, metadata: edit.metadata, newFiles: edit.newFiles,
                                        originalPaths: edit.originalPaths, copyFiles: plan.relocation?.mode == .copy,
                                        destination: dest) { view, place in
            SnapshotValidator.validate(source: place, view: view, deep: false).errors
        }
        try output.checkReferences()
        let written = try output.write()
        return RewriteReport(source: source, destination: destination, changes: edit.changes + output.notes + written.notes,
                             filesWritten: written.files, bytesWritten: written.bytes)
    }
}
