import CairnCore
import CairnFlink
import CairnFormat
import CairnModel
import CairnStore
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Turns a push SOURCE into the files to store: a native `.cairn` file; a Flink checkpoint or savepoint as every
/// file its `_metadata` references (including `shared/` files outside `chk-N`), relative to the directory they
/// all live under; or any directory, as all its regular files.
public enum PushSourceBuilder {
    public static func build(_ source: String) throws -> PushSource {
        guard !ObjectStoreURL.isS3(source) else {
            throw UsageError("\(source): push reads local sources; to copy between stores, pull first")
        }
        let path = absolute(source)
        var st = stat()
        guard stat(path, &st) == 0 else { throw IOError(path: source, operation: "open", errno: errno) }
        let isDirectory = (st.st_mode & S_IFMT) == S_IFDIR
        if isDirectory {
            if (try? FlinkSnapshotLocation.locate(path)) != nil { return try flink(source, path) }
            return try directory(source, path)
        }
        if try SnapshotOpener.isFlink(path) { return try flink(source, path) }
        return try native(source, path)
    }

    static func native(_ source: String, _ path: String) throws -> PushSource {
        // Opening checks it is a Cairn snapshot (magic, footer, index) before anything is stored.
        let reader = try SnapshotReader(source: try FileSource(path: path))
        let meta = reader.index.metadata
        let root = FilePaths.parent(path)
        var file = try file(path, root: root)
        // Chunk at block boundaries, and where the index begins.
        file.boundaries = (reader.index.blocks.map(\.offset) + [reader.indexOffset]).filter { $0 > 0 && $0 < file.size }.sorted()
        var attributes = ["group": "native:" + root, "snapshotFile": FilePaths.lastComponent(path), "snapshotId": meta.snapshotId]
        if !meta.jobId.isEmpty { attributes["jobId"] = meta.jobId }
        // A delta names its base, so prune keeps the base while the delta is kept (STORE.md §5).
        attributes["indexCRC"] = String(reader.indexCRC, radix: 16)
        if let base = reader.index.base {
            attributes["baseFile"] = base.file
            attributes["baseSnapshotId"] = base.snapshotId
            attributes["baseIndexCRC"] = String(base.indexCRC, radix: 16)
        }
        return PushSource(kind: "native", source: source, root: root, attributes: attributes, files: [file])
    }

    /// A live Flink checkpoint in S3 (`s3://`, `s3a://`, `s3p://`): its `_metadata` and every object it references,
    /// with sizes and modification times from LIST (never downloaded here), read later by ranged GETs. Objects a
    /// previous snapshot of the job stored with the same path, size and modification time are not read again.
    /// Blocks on listings: call it off the cooperative pool (`BlockingBridge.offPool`).
    public static func flink(objectStore source: String, location: FlinkSnapshotLocation, files: ObjectStoreSnapshotFiles, series: String? = nil) throws -> PushSource {
        let snapshot = try FlinkSnapshot(location: location, files: files)
        let paths = try referencedPaths(of: snapshot, source: source) { $0 }
        guard let (bucket, _) = ObjectStoreSnapshotFiles.split(location.metadataPath) else {
            throw UsageError("\(source): not an s3://bucket/key URL")
        }
        let bucketRoot = "s3://" + bucket
        if let other = paths.first(where: { ObjectStoreSnapshotFiles.split($0)?.bucket != bucket }) {
            throw UsageError("\(source): the checkpoint references \(other) in another bucket; push reads one bucket")
        }
        let sorted = paths.sorted()
        let rootKey = commonDirectory(sorted.map { String($0.dropFirst(bucketRoot.count)) })
        let root = bucketRoot + (rootKey == "/" ? "" : rootKey)
        var out: [PushSource.File] = []
        for p in sorted {
            guard let info = files.objectInfo(p) else {
                if let failure = files.listingFailure { throw failure }
                throw IOError(path: p, operation: "list", message: "no such object (deleted while being read?)")
            }
            out.append(PushSource.File(relativePath: String(p.dropFirst(root.count + 1)), absolutePath: String(p.dropFirst(bucketRoot.count + 1)),
                                       size: info.size, mtimeNs: Int64((info.modified * 1000).rounded()) * 1_000_000, mode: 0o644))
        }
        return PushSource(kind: kind(of: snapshot), source: source, root: root, attributes: attributes(of: snapshot, root: root, series: series),
                          files: out, storage: files, objects: try files.store(bucket))
    }

    static func flink(_ source: String, _ path: String) throws -> PushSource {
        try flink(source, location: try FlinkSnapshotLocation.locate(path), files: LocalFiles())
    }

    /// A Flink checkpoint or savepoint read through `files` (the local disk, or any `SnapshotFiles`): its `_metadata`
    /// and every file it references. `series` names the group (by default the job id) the snapshot is counted in, and
    /// is kept as the `series` attribute, which is part of the snapshot's id. A referenced file that is not there is
    /// an `IncompleteSnapshotError`, naming it.
    public static func flink(_ source: String, location: FlinkSnapshotLocation, files: any SnapshotFiles, series: String? = nil) throws -> PushSource {
        if let objects = files as? ObjectStoreSnapshotFiles {
            return try flink(objectStore: source, location: location, files: objects, series: series)
        }
        let snapshot = try FlinkSnapshot(location: location, files: files)
        let sorted = try referencedPaths(of: snapshot, source: source) { $0.hasPrefix("/") ? absolute($0) : $0 }.sorted()
        let root = commonDirectory(sorted)
        return PushSource(kind: kind(of: snapshot), source: source, root: root, attributes: attributes(of: snapshot, root: root, series: series),
                          files: try sorted.map { try file($0, root: root, files: files) }, storage: files)
    }

    /// The `_metadata` and every file it references, as `place` spells their resolved paths; a snapshot with a file
    /// that is missing or on a file system these files do not reach is an `IncompleteSnapshotError` naming them.
    static func referencedPaths(of snapshot: FlinkSnapshot, source: String, _ place: (String) -> String) throws -> Set<String> {
        var paths: Set<String> = [snapshot.location.metadataPath]
        var problems: [String] = []
        var missing: [String] = []
        var outside: [String] = []
        for (op, subtask, role, ref) in snapshot.fileReferences {
            let owner = "operator \(op.id.hex)" + (subtask.map { " subtask \($0)" } ?? "") + " \(role)"
            switch snapshot.resolver.resolve(ref) {
            case .local(let p), .relocated(let p):
                if snapshot.isOutsideFileTree(p) { outside.append(RelativePath.printable(p)) } else { paths.insert(place(p)) }
            case .remote(let uri): problems.append("\(owner): \(uri) is on a file system Cairn does not read from here")
            case .missing(let expected):
                problems.append("\(owner): \(expected) is missing")
                missing.append(expected)
            }
        }
        // `_metadata` is outside input: push reads nothing outside the checkpoint's own tree (not /etc/passwd).
        if !outside.isEmpty {
            throw StoreError(.source, place: RelativePath.printable(snapshot.location.metadataPath),
                             message: "references \(outside.count) file(s) outside the snapshot's directory tree \(snapshot.fileTreeRoot), e.g. \(outside.sorted()[0]); push refuses to read them",
                             hint: "a _metadata written by Flink names only files below its checkpoint directory; check where this one came from")
        }
        // A listing that failed makes files look missing: its error is the true answer.
        if let failure = snapshot.resolver.files.listingFailure { throw failure }
        if !problems.isEmpty { throw IncompleteSnapshotError(source: source, problems: problems, missing: missing) }
        return paths
    }

    static func kind(of snapshot: FlinkSnapshot) -> String { snapshot.kind == .savepoint ? "flink-savepoint" : "flink-checkpoint" }

    /// The manifest facts of a Flink snapshot whose files are stored relative to `root`. The series (`group`) is the
    /// job unless `series` names another, wherever its checkpoints are read from, so a push from S3 and one from a
    /// local copy dedup alike.
    static func attributes(of snapshot: FlinkSnapshot, root: String, series: String? = nil) -> [String: String] {
        let jobId = snapshot.jobId
        var attributes = [
            "group": series ?? (jobId.isEmpty ? "flink:" + FilePaths.parent(snapshot.location.directory) : "flink-job:" + jobId),
            "metadataPath": String(snapshot.location.metadataPath.dropFirst(root.count + 1)),
            "checkpointId": String(snapshot.metadata.checkpointId),
            "flinkMetadataVersion": String(snapshot.metadata.version),
        ]
        if !jobId.isEmpty { attributes["jobId"] = jobId }
        if let series { attributes["series"] = series }
        return attributes
    }

    static func directory(_ source: String, _ path: String) throws -> PushSource {
        var files: [PushSource.File] = []
        func walk(_ dir: String) throws {
            for name in try FilePaths.entries(dir) {
                let p = dir + "/" + name
                var st = stat()
                guard lstat(p, &st) == 0 else { continue }
                switch st.st_mode & S_IFMT {
                case S_IFDIR: try walk(p)
                case S_IFREG: files.append(try file(p, root: path))
                default: continue  // symlinks, sockets and devices are not snapshot data
                }
            }
        }
        try walk(path)
        guard !files.isEmpty else { throw UsageError("\(source): the directory holds no files to push") }
        return PushSource(kind: "directory", source: source, root: path, attributes: ["group": "dir:" + path], files: files)
    }

    static func file(_ path: String, root: String, files: any SnapshotFiles = LocalFiles()) throws -> PushSource.File {
        guard let info = files.info(path) else {
            if FilePaths.kind(path) != nil { throw UsageError("\(path) is not a regular file") }
            throw IOError(path: path, operation: "stat", errno: ENOENT)
        }
        let relative = String(path.dropFirst(root.count + 1))
        return PushSource.File(relativePath: relative, absolutePath: path, size: UInt64(info.size), mtimeNs: info.modifiedNs, mode: info.mode)
    }

    // MARK: - paths

    static func absolute(_ path: String) -> String {
        var p = path
        if !p.hasPrefix("/") { p = FileManager.default.currentDirectoryPath + "/" + p }
        var parts: [Substring] = []
        for part in p.split(separator: "/") {
            if part == "." { continue }
            if part == ".." { _ = parts.popLast(); continue }
            parts.append(part)
        }
        return "/" + parts.joined(separator: "/")
    }

    /// The deepest directory holding all of `paths` (absolute, normalized files).
    static func commonDirectory(_ paths: [String]) -> String {
        guard var common = paths.first.map({ FilePaths.parent($0).split(separator: "/") }) else { return "/" }
        for p in paths.dropFirst() {
            let parts = FilePaths.parent(p).split(separator: "/")
            var n = 0
            while n < common.count && n < parts.count && common[n] == parts[n] { n += 1 }
            common = Array(common.prefix(n))
        }
        return "/" + common.joined(separator: "/")
    }
}
