#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CairnCore
import Dispatch

/// A store in a local directory. Every write goes to a temporary file beside its target, is flushed with fsync,
/// and then appears whole: `rename` to replace, `link` to create only if absent (the kernel refuses with EEXIST,
/// so two racing writers cannot both win). Temporary files start with `.tmp-` and are never listed.
public final class LocalObjectStore: ObjectStore, @unchecked Sendable {
    public let root: String
    public var location: String { root }
    private let counts = Locked(RequestCounts())

    /// Opens (and with `create`, makes) the directory `root`.
    public init(root: String, create: Bool) throws(ObjectStoreError) {
        var r = root
        while r.count > 1 && r.hasSuffix("/") { r.removeLast() }
        self.root = r
        var st = stat()
        if stat(r, &st) == 0 {
            guard (st.st_mode & S_IFMT) == S_IFDIR else {
                throw ObjectStoreError(.noSuchStore, place: r, message: "not a directory")
            }
        } else if create {
            try Self.makeDirectories(r)
        } else {
            throw ObjectStoreError(.noSuchStore, place: r, message: "no such directory", hint: "push to it first to create a store")
        }
    }

    public var requestCounts: RequestCounts { counts.withLock { $0 } }

    private func path(_ key: String) throws(ObjectStoreError) -> String {
        guard validateStoreKey(key) else { throw unsafeKeyError(key, place: root) }
        return root + "/" + key
    }

    /// Runs blocking file I/O on Dispatch's threads, so a write waiting for fsync never holds one of the few
    /// cooperative threads that hashing and compression need.
    private func offload<T: Sendable>(_ work: @escaping @Sendable () throws(ObjectStoreError) -> T) async throws(ObjectStoreError) -> T {
        let result: Result<T, ObjectStoreError> = await withCheckedContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async {
                continuation.resume(returning: Result { () throws(ObjectStoreError) in try work() })
            }
        }
        return try result.get()
    }

    public func put(_ key: String, data: [UInt8]) async throws(ObjectStoreError) {
        try await offload { () throws(ObjectStoreError) in try self.putNow(key, data: data) }
    }

    private func putNow(_ key: String, data: [UInt8]) throws(ObjectStoreError) {
        let target = try path(key)
        let (temp, fd) = try writeTemporary(for: target, data: data)
        defer { POSIX.close(fd) }
        if rename(temp, target) != 0 {
            let e = errno
            unlink(temp)
            throw Self.failure(target, "rename into place", e)
        }
        syncDirectory(of: target)
        counts.withLock { $0.puts += 1; $0.bytesSent += UInt64(data.count) }
    }

    public func create(_ key: String, data: [UInt8]) async throws(ObjectStoreError) -> CreateOutcome {
        let target = try path(key)
        if access(target, F_OK) == 0 { return .alreadyExists }
        let (temp, fd) = try writeTemporary(for: target, data: data)
        defer {
            unlink(temp)
            POSIX.close(fd)
        }
        counts.withLock { $0.puts += 1; $0.bytesSent += UInt64(data.count) }
        if link(temp, target) != 0 {
            let e = errno
            if e == EEXIST { return .alreadyExists }
            throw Self.failure(target, "link into place", e)
        }
        syncDirectory(of: target)
        return .created
    }

    public func get(_ key: String) async throws(ObjectStoreError) -> [UInt8] {
        try await offload { () throws(ObjectStoreError) in try self.getNow(key) }
    }

    private func getNow(_ key: String) throws(ObjectStoreError) -> [UInt8] {
        let p = try path(key)
        let source: FileSource
        do { source = try FileSource(path: p) } catch { throw Self.failure(p, error) }
        let bytes: [UInt8]
        do { bytes = try source.read(at: 0, count: Int(source.size)) } catch { throw Self.failure(p, error) }
        counts.withLock { $0.gets += 1; $0.bytesReceived += UInt64(bytes.count) }
        return bytes
    }

    public func get(_ key: String, offset: UInt64, count: Int) async throws(ObjectStoreError) -> [UInt8] {
        try await offload { () throws(ObjectStoreError) in try self.getNow(key, offset: offset, count: count) }
    }

    private func getNow(_ key: String, offset: UInt64, count: Int) throws(ObjectStoreError) -> [UInt8] {
        let p = try path(key)
        let source: FileSource
        do { source = try FileSource(path: p) } catch { throw Self.failure(p, error) }
        guard count >= 0, offset <= source.size, UInt64(count) <= source.size - offset else {
            throw ObjectStoreError(.shortRead, place: p, message: "asked for \(count) bytes at offset \(offset) of a \(source.size)-byte object")
        }
        let bytes: [UInt8]
        do { bytes = try source.read(at: offset, count: count) } catch { throw Self.failure(p, error) }
        counts.withLock { $0.gets += 1; $0.bytesReceived += UInt64(bytes.count) }
        return bytes
    }

    public func head(_ key: String) async throws(ObjectStoreError) -> ObjectInfo? {
        let p = try path(key)
        counts.withLock { $0.heads += 1 }
        var st = stat()
        guard stat(p, &st) == 0 else {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw Self.failure(p, "stat", errno)
        }
        return ObjectInfo(key: key, size: UInt64(st.st_size), modified: Self.modified(st))
    }

    public func list(prefix: String) async throws(ObjectStoreError) -> [ObjectInfo] {
        counts.withLock { $0.lists += 1 }
        // Walk the deepest directory the prefix names, then filter by the prefix's last part.
        var dirKey = ""
        if let slash = prefix.lastIndex(of: "/") { dirKey = String(prefix[..<slash]) }
        var out: [ObjectInfo] = []
        try walk(dirKey, prefix: prefix, into: &out)
        out.sort { $0.key < $1.key }
        return out
    }

    private func walk(_ dirKey: String, prefix: String, into out: inout [ObjectInfo]) throws(ObjectStoreError) {
        let dirPath = dirKey.isEmpty ? root : root + "/" + dirKey
        let names: [String]
        do throws(IOError) {
            names = try FilePaths.entries(dirPath).filter { !$0.hasPrefix(".") }  // temporary files start with "."
        } catch {
            if error.errno == ENOENT || error.errno == ENOTDIR { return }
            throw Self.failure(dirPath, error)
        }
        for name in names {
            let key = dirKey.isEmpty ? name : dirKey + "/" + name
            // Skip subtrees that cannot hold a key with this prefix.
            guard key.hasPrefix(prefix) || prefix.hasPrefix(key + "/") else { continue }
            var st = stat()
            guard stat(root + "/" + key, &st) == 0 else { continue }  // removed while listing
            if (st.st_mode & S_IFMT) == S_IFDIR {
                try walk(key, prefix: prefix, into: &out)
            } else if (st.st_mode & S_IFMT) == S_IFREG, key.hasPrefix(prefix) {
                out.append(ObjectInfo(key: key, size: UInt64(st.st_size), modified: Self.modified(st)))
            }
        }
    }

    public func delete(_ key: String) async throws(ObjectStoreError) {
        let p = try path(key)
        counts.withLock { $0.deletes += 1 }
        if unlink(p) != 0 && errno != ENOENT { throw Self.failure(p, "delete", errno) }
    }

    public func probeConditionalCreate() async throws(ObjectStoreError) -> Bool { true }

    // MARK: - helpers

    /// Writes `data` to a new claimed temporary file beside `target` (see `TemporaryFiles`); the caller renames or
    /// links it into place and only then closes the returned descriptor, which releases the claim.
    private func writeTemporary(for target: String, data: [UInt8]) throws(ObjectStoreError) -> (path: String, fd: Int32) {
        let slash = target.lastIndex(of: "/")!
        let dir = String(target[..<slash])
        try Self.makeDirectories(dir)
        var fd: Int32 = -1
        var temp = ""
        for _ in 0..<8 where fd < 0 {
            temp = dir + "/.tmp-" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
            fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw Self.failure(temp, "create", errno) }
            if !TemporaryFiles.claim(fd) {
                POSIX.close(fd)
                fd = -1
            }
        }
        guard fd >= 0 else { throw ObjectStoreError(.io, place: dir, message: "temporary files kept disappearing") }
        var failure = data.withUnsafeBytes { POSIX.writeAll(fd, $0) } ?? 0
        if failure == 0 && fsync(fd) != 0 { failure = errno }
        if failure != 0 {
            unlink(temp)
            POSIX.close(fd)
            throw Self.failure(temp, "write", failure)
        }
        return (temp, fd)
    }

    /// Removes the temporary files (`.tmp-…`) that writers killed before their rename or link left in the store;
    /// one a live writer still holds is kept. Push and prune call it under their lock; returns how many went.
    public func removeAbandonedTemporaries() async -> Int {
        await withCheckedContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async {
                continuation.resume(returning: Self.removeAbandoned(below: self.root))
            }
        }
    }

    private static func removeAbandoned(below dir: String) -> Int {
        var removed = TemporaryFiles.removeAbandoned(in: dir) { $0.hasPrefix(".tmp-") }
        for name in FilePaths.list(dir) where !name.hasPrefix(".") {
            var st = stat()
            if lstat(dir + "/" + name, &st) == 0, st.st_mode & S_IFMT == S_IFDIR { removed += removeAbandoned(below: dir + "/" + name) }
        }
        return removed
    }

    private func syncDirectory(of path: String) {
        guard let slash = path.lastIndex(of: "/") else { return }
        let fd = open(String(path[..<slash]), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 {
            fsync(fd)
            POSIX.close(fd)
        }
    }

    private static func makeDirectories(_ path: String) throws(ObjectStoreError) {
        do throws(IOError) { try FilePaths.makeDirectories(path) } catch { throw failure(error.path, error) }
    }

    private static func modified(_ st: stat) -> Double {
        Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9
    }

    private static func failure(_ path: String, _ operation: String, _ code: Int32) -> ObjectStoreError {
        let message = String(cString: strerror(code))
        switch code {
        case ENOENT: return ObjectStoreError(.notFound, place: path, message: "cannot \(operation): \(message)")
        case EACCES, EPERM: return ObjectStoreError(.accessDenied, place: path, message: "cannot \(operation): \(message)")
        default: return ObjectStoreError(.io, place: path, message: "cannot \(operation): \(message)")
        }
    }

    private static func failure(_ path: String, _ error: IOError) -> ObjectStoreError {
        if let e = error.errno { return failure(path, error.operation, e) }
        return ObjectStoreError(.io, place: path, message: "cannot \(error.operation): \(error.message)")
    }
}
