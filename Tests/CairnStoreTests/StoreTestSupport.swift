import CairnStore
import Foundation

/// Temporary directories and deterministic test data for the store tests.
enum StoreTestSupport {
    static func temporaryDirectory(_ name: String = "store") throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-\(name)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Bytes from a seeded xorshift generator: the same seed always gives the same bytes. `compressible` repeats
    /// short runs so zstd has something to do.
    static func bytes(count: Int, seed: UInt64, compressible: Bool = false) -> [UInt8] {
        var x = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        var out = [UInt8](repeating: 0, count: count)
        var i = 0
        while i < count {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17
            if compressible {
                let run = Int(x % 24) + 1
                let value = UInt8(truncatingIfNeeded: x >> 8) % 16
                for j in 0..<min(run, count - i) { out[i + j] = value }
                i += run
            } else {
                out[i] = UInt8(truncatingIfNeeded: x)
                i += 1
            }
        }
        return out
    }

    static func write(_ bytes: [UInt8], to path: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// A PushSource over the regular files below `root`.
    static func source(_ root: String, group: String = "test") throws -> PushSource {
        var files: [PushSource.File] = []
        let e = FileManager.default.enumerator(atPath: root)
        var paths: [String] = []
        while let p = e?.nextObject() as? String { paths.append(p) }
        for p in paths.sorted() {
            let full = root + "/" + p
            let a = try FileManager.default.attributesOfItem(atPath: full)
            guard (a[.type] as? FileAttributeType) == .typeRegular else { continue }
            var st = stat()
            stat(full, &st)
            files.append(PushSource.File(relativePath: p, absolutePath: full, size: UInt64(st.st_size),
                                         mtimeNs: Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec), mode: 0o644))
        }
        return PushSource(kind: "directory", source: root, root: root, attributes: ["group": group], files: files)
    }

    /// A store with small packs and chunks so tests exercise many of each.
    static func smallConfig() -> StoreConfig {
        StoreConfig(parameters: FastCDC.Parameters(minSize: 16 << 10, averageSize: 64 << 10, maxSize: 256 << 10), packTargetSize: 1 << 20, zstdLevel: 1)
    }

    static func files(below root: String) throws -> [String: [UInt8]] {
        var out: [String: [UInt8]] = [:]
        let e = FileManager.default.enumerator(atPath: root)
        while let p = e?.nextObject() as? String {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: root + "/" + p, isDirectory: &isDir), !isDir.boolValue {
                out[p] = Array(try Data(contentsOf: URL(fileURLWithPath: root + "/" + p)))
            }
        }
        return out
    }
}
