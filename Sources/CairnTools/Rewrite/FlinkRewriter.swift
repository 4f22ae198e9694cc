import CairnCore
import CairnFlink
import CairnFormat
import CairnModel

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Rewrites a Flink savepoint or retained checkpoint into a new directory that Flink restores from: `_metadata` in
/// the input's version plus the relative files it needs (hard-linked where possible). At the metadata level it drops
/// operators, renames uids (the id follows, as Flink hashes it), sets source split positions and relocates absolute
/// paths; at the state level (`FlinkStateRewriter`) it drops states, expires TTL entries, changes max parallelism
/// and parallelism, writing the keyed state of the operators it changes as a canonical savepoint. The input is
/// checked first and never changed; the output is written beside DEST, validated, and only then renamed into place.
public enum FlinkRewriter {
    /// Rewrites `snapshot` into `destination` by `plan`; `state` carries further per-entry transforms (library use),
    /// to which the plan's state-level options are added.
    public static func rewrite(_ snapshot: FlinkSnapshot, source: String, to destination: String,
                               plan: RewritePlan, state custom: FlinkStateRewriter? = nil) throws(FlinkRewriteError) -> RewriteReport {
        var edit = FlinkMetadataEdit(snapshot: snapshot)
        let dest = FileOperations.absolute(destination)
        // What a killed rewrite to the same DEST left behind: its output and staging directories, claimed by nobody.
        let name = FilePaths.lastComponent(dest)
        TemporaryFiles.removeAbandoned(in: FilePaths.parent(dest)) {
            $0.hasPrefix("." + name + TemporaryFiles.marker) || $0.hasPrefix("." + name + ".cairn-stage-")
        }
        guard FilePaths.kind(dest) == nil else { throw .destinationExists(destination) }
        let sourceDir = FileOperations.absolute(snapshot.location.directory)
        if dest == sourceDir || dest.hasPrefix(sourceDir + "/") {
            throw .destinationInsideSource(destination: destination, source: snapshot.location.directory)
        }
        // --copy-files reads every file it copies: none may come from outside the snapshot's tree (/etc/passwd).
        if plan.relocation?.mode == .copy {
            for (_, _, role, ref) in snapshot.fileReferences {
                guard let path = snapshot.resolver.resolve(ref).localPath, snapshot.isOutsideFileTree(path) else { continue }
                throw .invalidInput(source: source, problems: [ValidationProblem(
                    code: "pathTraversal",
                    "\(RelativePath.printable(ref.path)) (at \(RelativePath.printable(path))) lies outside the snapshot's directory tree \(snapshot.fileTreeRoot); --copy-files copies only the snapshot's own files",
                    at: SnapshotLocation(file: snapshot.location.metadataPath, state: role))])
            }
        }
        let inputProblems = SnapshotValidator.validate(source: source, view: snapshot, deep: false).errors
        guard inputProblems.isEmpty else { throw .invalidInput(source: source, problems: inputProblems) }

        var stateRewriter = custom ?? FlinkStateRewriter(snapshot: snapshot)
        stateRewriter.sortMemory = plan.sortMemory
        try configure(&stateRewriter, plan: plan, snapshot: snapshot)
        var g = SystemRandomNumberGenerator()
        let staging = FilePaths.parent(dest) + "/." + name + ".cairn-stage-\(getpid())-\(UInt32.random(in: 0...UInt32.max, using: &g))"
        var stagingClaim: Int32 = -1
        defer {
            FileOperations.removeTree(staging)
            if stagingClaim >= 0 { POSIX.close(stagingClaim) }
        }
        var staged: [String: String] = [:]
        if !stateRewriter.isEmpty {
            do { try FilePaths.makeDirectories(FilePaths.parent(dest)) } catch { throw .io(error) }
            do { stagingClaim = try TemporaryFiles.createDirectory(staging) } catch { throw .io(error) }
            let out = try stateRewriter.write(staging: staging)
            edit.replaceOperators(out.operators, changes: out.changes)
            staged = out.files
        } else if plan.expireTTLAt != nil {
            edit.replaceOperators([], changes: ["--expire-ttl: no keyed state has time-to-live; nothing expired"])
        }

        for ref in plan.dropOperators { try edit.drop(ref) }
        for rename in plan.renameUIDs { try edit.rename(rename) }
        try edit.setOffsets(plan.setOffsets)
        if let r = plan.relocation { try edit.relocate(r, source: source) }
        if !stateRewriter.isEmpty { edit.markCanonicalSavepoint() }

        var output = FlinkRewriteOutput(snapshot: snapshot, metadata: edit.metadata, newFiles: edit.newFiles,
                                        originalPaths: edit.originalPaths, copyFiles: plan.relocation?.mode == .copy,
                                        destination: dest, stagedFiles: staged) { view, place in
            SnapshotValidator.validate(source: place, view: view, deep: false).errors
        }
        try output.checkReferences()
        let written = try output.write()
        return RewriteReport(source: source, destination: destination, changes: edit.changes + output.notes + written.notes,
                             filesWritten: written.files, bytesWritten: written.bytes)
    }
}
