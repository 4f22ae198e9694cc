#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Small POSIX path and directory helpers (no Foundation), shared by the Flink reader, the local store and push.
public enum FilePaths {
    public enum Kind: Sendable { case file, directory, other }

    /// What is at `path` (following symlinks), or nil when nothing is.
    public static func kind(_ path: String) -> Kind? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        switch st.st_mode & S_IFMT {
        case S_IFREG: return .file
        case S_IFDIR: return .directory
        default: return .other
        }
    }

    /// The size of a regular file, or nil.
    public static func size(_ path: String) -> Int64? {
        var st = stat()
        guard stat(path, &st) == 0, st.st_mode & S_IFMT == S_IFREG else { return nil }
        return Int64(st.st_size)
    }

    /// When the file at `path` was last modified, in milliseconds since 1970, or nil when nothing is there.
    public static func modificationTimeMillis(_ path: String) -> Int64? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        #if canImport(Darwin)
        return Int64(st.st_mtimespec.tv_sec) * 1000 + Int64(st.st_mtimespec.tv_nsec) / 1_000_000
        #else
        return Int64(st.st_mtim.tv_sec) * 1000 + Int64(st.st_mtim.tv_nsec) / 1_000_000
        #endif
    }

    /// Names in `dir` (without `.` and `..`), sorted; empty when it cannot be read.
    public static func list(_ dir: String) -> [String] {
        (try? entries(dir)) ?? []
    }

    /// Names in `dir` (without `.` and `..`), sorted; throws when it cannot be opened.
    public static func entries(_ dir: String) throws(IOError) -> [String] {
        guard let d = opendir(dir) else { throw IOError(path: dir, operation: "list", errno: errno) }
        defer { closedir(d) }
        var out: [String] = []
        while let e = readdir(d) {
            let name = withUnsafePointer(to: e.pointee.d_name) { p in
                p.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { out.append(name) }
        }
        return out.sorted()
    }

    /// Names of the regular files in `dir` (symbolic links to regular files count), in directory order; empty when
    /// it cannot be read. The directory entry's type answers for most names, so a directory of half a million files costs
    /// one listing rather than half a million `stat`s.
    public static func regularFileNames(_ dir: String) -> [String] {
        guard let d = opendir(dir) else { return [] }
        defer { closedir(d) }
        var out: [String] = []
        while let e = readdir(d) {
            let name = withUnsafePointer(to: e.pointee.d_name) { p in
                p.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name == "." || name == ".." { continue }
            switch Int32(e.pointee.d_type) {
            case Int32(DT_REG): out.append(name)
            case Int32(DT_UNKNOWN), Int32(DT_LNK): if kind(dir + "/" + name) == .file { out.append(name) }
            default: continue
            }
        }
        return out
    }

    /// Makes `path` and its missing parents (`mkdir -p`).
    public static func makeDirectories(_ path: String) throws(IOError) {
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/" + part
            if mkdir(current, 0o755) != 0 && errno != EEXIST {
                throw IOError(path: current, operation: "create directory", errno: errno)
            }
        }
    }

    /// Without trailing slashes.
    public static func normalize(_ path: String) -> String {
        var p = path
        while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
        return p
    }

    public static func parent(_ path: String) -> String {
        guard let i = path.lastIndex(of: "/") else { return "." }
        return i == path.startIndex ? "/" : String(path[..<i])
    }

    /// `file:/x`, `file:///x` and plain paths as a local path; nil for other schemes (`s3://`, `hdfs://`).
    public static func localPath(ofURI uri: String) -> String? {
        if uri.hasPrefix("file://") {
            let rest = uri.dropFirst(7)
            return rest.hasPrefix("/") ? String(rest) : "/" + rest.drop { $0 != "/" }.dropFirst()
        }
        if uri.hasPrefix("file:") { return String(uri.dropFirst(5)) }
        if uri.hasPrefix("/") { return uri }
        if !uri.contains("://") && !uri.contains(":") { return uri }
        return nil
    }

    public static func lastComponent(_ path: String) -> String {
        guard let i = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: i)...])
    }
}
