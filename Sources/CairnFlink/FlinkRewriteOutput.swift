import CairnCore
import CairnModel

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a rewritten Flink snapshot: works out which files the new `_metadata` needs and where they come from,
/// refuses before writing anything when one is missing, then fills a temporary directory beside DEST, validates it
/// as Flink would read it at DEST, and renames it into place. A failure removes everything it created.
public struct FlinkRewriteOutput {
    /// The engine-neutral checks an output must pass before it moves into place (the tools' validator), given the
    /// output's view and the path it is checked as.
    public typealias Checks = (any SnapshotView, String) -> [ValidationProblem]

    let snapshot: FlinkSnapshot
    let metadata: FlinkCheckpointMetadata
    let newFiles: [String: [UInt8]]
    /// New files for DEST already written to disk (name → path), hard-linked or copied into place.
    let stagedFiles: [String: String]
    let originalPaths: [String: String]
    let copyFiles: Bool
    let destination: String
    let checks: Checks
    public private(set) var notes: [String] = []
    /// Relative files of the input that DEST needs, by name.
    private var relativeCopies: [String: String] = [:]
    /// Absolute files to copy (copy mode): target path → the input's file.
    private var absoluteCopies: [String: String] = [:]

    public init(snapshot: FlinkSnapshot, metadata: FlinkCheckpointMetadata, newFiles: [String: [UInt8]], originalPaths: [String: String],
                copyFiles: Bool, destination: String, stagedFiles: [String: String] = [:], checks: @escaping Checks) {
        self.checks = checks
        self.stagedFiles = stagedFiles
        self.snapshot = snapshot
        self.metadata = metadata
        self.newFiles = newFiles
        self.originalPaths = originalPaths
        self.copyFiles = copyFiles
        self.destination = destination
    }

    /// Every file reference of the new metadata, with what it is for.
    var references: [(role: String, reference: FlinkFileReference)] {
        var out: [(String, FlinkFileReference)] = []
        for op in metadata.operators {
            let who = FlinkMetadataEdit.short(op)
            if let r = op.coordinator?.fileReference { out.append(("coordinator state of \(who)", r)) }
            for st in op.subtasks {
                for (role, h) in st.streamHandles {
                    if let r = h.fileReference { out.append(("\(role) of \(who), subtask \(st.index)", r)) }
                }
            }
        }
        return out
    }

    /// Finds the source of every file DEST needs; fails, before anything is written, on one that is nowhere.
    public mutating func checkReferences() throws(FlinkRewriteError) {
        var remote = Set<String>()
        for (role, ref) in references {
            if ref.relative {
                guard newFiles[ref.path] == nil, stagedFiles[ref.path] == nil, relativeCopies[ref.path] == nil else { continue }
                guard !ref.path.hasPrefix("/"), !ref.path.split(separator: "/").contains("..") else {
                    throw .invalidInput(source: snapshot.location.metadataPath, problems: [ValidationProblem(
                        code: "pathTraversal", "the relative file name \(ref.path) leaves the snapshot directory",
                        at: SnapshotLocation(file: snapshot.location.metadataPath, state: role))])
                }
                guard let path = snapshot.resolver.resolve(ref).localPath else {
                    throw .missingOutputFile(path: ref.path, role: role, hint: "It is missing beside the input's _metadata.")
                }
                try refuseOutside(path, reference: ref.path, role: role)
                relativeCopies[ref.path] = path
                continue
            }
            guard let target = FlinkPathRelocation.localPath(ref.path) else {
                remote.insert(ref.path)
                continue
            }
            let original = originalPaths[ref.path] ?? ref.path
            if copyFiles, originalPaths[ref.path] != nil {
                guard absoluteCopies[target] == nil else { continue }
                var old = ref
                old.path = original
                guard let from = snapshot.resolver.resolve(old).localPath else {
                    throw .missingOutputFile(path: original, role: role, hint: "The input's file is missing, so it cannot be copied.")
                }
                try refuseOutside(from, reference: original, role: role)
                if target.split(separator: "/").contains("..") {
                    throw .invalidInput(source: snapshot.location.metadataPath, problems: [ValidationProblem(
                        code: "pathTraversal", "\(RelativePath.printable(ref.path)) has a .. segment; --copy-files writes only below the --relocate base",
                        at: SnapshotLocation(file: snapshot.location.metadataPath, state: role))])
                }
                absoluteCopies[target] = from
                continue
            }
            if FilePaths.kind(target) == .file { continue }
            if target == destination || target.hasPrefix(destination + "/") {
                throw .missingOutputFile(path: ref.path, role: role, hint: "It would lie inside DEST; add --copy-files to copy it there.")
            }
            var old = ref
            old.path = original
            throw .missingOutputFile(path: ref.path, role: role, hint: hint(for: old))
        }
        if !remote.isEmpty {
            notes.append("\(remote.count) file(s) on other file systems (e.g. \(remote.sorted()[0])) are referenced as they are, not checked")
        }
    }

    /// Refuses to copy a file from outside the input's directory tree (`/etc/passwd`, `../..`, a symlink out): a
    /// `_metadata` is outside input, and a copy would carry any readable file into DEST.
    private func refuseOutside(_ path: String, reference: String, role: String) throws(FlinkRewriteError) {
        guard snapshot.isOutsideFileTree(path) else { return }
        throw .invalidInput(source: snapshot.location.metadataPath, problems: [ValidationProblem(
            code: "pathTraversal",
            "\(RelativePath.printable(reference)) (at \(RelativePath.printable(path))) lies outside the snapshot's directory tree \(snapshot.fileTreeRoot); rewrite copies only the snapshot's own files",
            at: SnapshotLocation(file: snapshot.location.metadataPath, state: role))])
    }

    /// Where the input's copy of a missing file is, as a `--relocate` suggestion.
    func hint(for old: FlinkFileReference) -> String {
        if case .relocated(let relative) = snapshot.resolver.resolve(old), case let found = FileOperations.absolute(relative), let oldPath = FlinkPathRelocation.localPath(old.path),
           let base = FlinkPathRelocation.derivedBase(of: snapshot.metadata).flatMap(FlinkPathRelocation.localPath) {
            let rest = oldPath.hasPrefix(base + "/") ? String(oldPath.dropFirst(base.count)) : ""
            if !rest.isEmpty, found.hasSuffix(rest) {
                let newBase = String(found.dropLast(rest.count))
                return "The input's file is at \(found): add --relocate \(newBase) to refer to it there, or --relocate NEW_BASE --copy-files to copy it."
            }
            return "The input's file is at \(found): give --relocate NEW_BASE (and --relocate-from OLD_BASE) so the paths point where the files are."
        }
        return "Give --relocate NEW_BASE (and --relocate-from OLD_BASE if needed) so the paths point where the files are."
    }

    /// Links or copies a file of the input; one in S3 or in a store is read through the snapshot's files.
    private func copyInput(_ from: String, to target: String) throws(IOError) {
        let files = snapshot.resolver.files
        if files is LocalFiles { return try FileOperations.linkOrCopy(from, to: target) }
        try FileOperations.copy(try files.open(from), to: target)
    }

    /// Writes everything and moves DEST into place; returns the files and bytes written and what was copied where.
    public func write() throws(FlinkRewriteError) -> (files: Int, bytes: Int64, notes: [String]) {
        let parent = FilePaths.parent(destination)
        do { try FilePaths.makeDirectories(parent) } catch { throw .io(error) }
        let temp = parent + "/" + TemporaryFiles.name(for: FilePaths.lastComponent(destination), hidden: true)
        let claim: Int32
        do { claim = try TemporaryFiles.createDirectory(temp) } catch { throw .io(error) }
        defer { POSIX.close(claim) }
        var createdOutside: [String] = []
        do throws(FlinkRewriteError) {
            let result = try fill(temp, createdOutside: &createdOutside)
            try validate(temp)
            guard FilePaths.kind(destination) == nil else { throw FlinkRewriteError.destinationExists(destination) }
            guard rename(temp, destination) == 0 else {
                throw FlinkRewriteError.io(IOError(path: destination, operation: "rename \(temp) into place", errno: errno))
            }
            return result
        } catch {
            FileOperations.removeTree(temp)
            for f in createdOutside.reversed() { unlink(f) }
            throw error
        }
    }

    private func fill(_ temp: String, createdOutside: inout [String]) throws(FlinkRewriteError) -> (files: Int, bytes: Int64, notes: [String]) {
        var notes: [String] = []
        var files = 0
        var bytes: Int64 = 0
        do {
            for (name, data) in newFiles.sorted(by: { $0.key < $1.key }) {
                try FileOperations.write(data, to: temp + "/" + name)
                files += 1
                bytes += Int64(data.count)
            }
            for (name, from) in stagedFiles.sorted(by: { $0.key < $1.key }) {
                try FileOperations.linkOrCopy(from, to: temp + "/" + name)
                files += 1
                bytes += FilePaths.size(temp + "/" + name) ?? 0
            }
            for (name, from) in relativeCopies.sorted(by: { $0.key < $1.key }) {
                let target = temp + "/" + name
                if name.contains("/") { try FilePaths.makeDirectories(FilePaths.parent(target)) }
                try copyInput(from, to: target)
                files += 1
                bytes += FilePaths.size(target) ?? 0
            }
            var reused = 0, outside = 0
            for (target, from) in absoluteCopies.sorted(by: { $0.key < $1.key }) {
                let inside = target == destination || target.hasPrefix(destination + "/")
                let place = inside ? temp + target.dropFirst(destination.count) : target
                try FilePaths.makeDirectories(FilePaths.parent(place))
                if FilePaths.kind(place) != nil {
                    guard try FileOperations.sameContents(from, place) else { throw FlinkRewriteError.conflictingFile(path: place) }
                    reused += 1
                    continue
                }
                try copyInput(from, to: place)
                if !inside {
                    createdOutside.append(place)
                    outside += 1
                }
                files += 1
                bytes += FilePaths.size(place) ?? 0
            }
            if !absoluteCopies.isEmpty {
                var line = "copied \(absoluteCopies.count - reused) referenced file(s) to their new place"
                if outside > 0 { line += " (\(outside) outside DEST)" }
                if reused > 0 { line += "; \(reused) identical file(s) were already there" }
                notes.append(line)
            }
            let encoded: [UInt8]
            do { encoded = try FlinkMetadataWriter.write(metadata) } catch { throw FlinkRewriteError.unwritable(error.message) }
            try FileOperations.write(encoded, to: temp + "/_metadata")
            files += 1
            bytes += Int64(encoded.count)
        } catch let e as FlinkRewriteError {
            throw e
        } catch let e as IOError {
            throw .io(e)
        } catch {
            throw .io(IOError(path: temp, operation: "write", message: "\(error)"))
        }
        return (files, bytes, notes)
    }

    /// Reads the output back as Flink would at DEST: it must parse, keep the input's version, pass `validate`, and
    /// every absolute file must be exactly where `_metadata` says (no fallback search).
    private func validate(_ temp: String) throws(FlinkRewriteError) {
        let files = RedirectedFiles(from: destination, to: temp)
        let view: FlinkSnapshot
        do {
            view = try FlinkSnapshot(location: FlinkSnapshotLocation(metadataPath: temp + "/_metadata", directory: temp), files: files)
        } catch let e as SnapshotError {
            throw .invalidOutput(problems: [ValidationProblem(e)])
        } catch {
            throw .invalidOutput(problems: [ValidationProblem(code: "unreadable", "\(error)", at: SnapshotLocation(file: destination + "/_metadata"))])
        }
        var problems = checks(view, destination)
        if view.metadata.version != snapshot.metadata.version {
            problems.append(ValidationProblem(code: "metadataVersion", "written as v\(view.metadata.version), the input is v\(snapshot.metadata.version)",
                                              at: SnapshotLocation(file: destination + "/_metadata")))
        }
        for (op, subtask, role, ref) in view.fileReferences where !ref.relative {
            if case .relocated(let found) = view.resolver.resolve(ref) {
                problems.append(ValidationProblem(code: "missingFile", "\(ref.path) does not exist (a file of that name is at \(found))",
                                                  at: SnapshotLocation(file: destination + "/_metadata", operatorID: op.id.hex, subtask: subtask, state: role)))
            }
        }
        guard problems.isEmpty else { throw .invalidOutput(problems: problems) }
    }
}
