import CairnCore
import Foundation

/// Index objects and snapshot manifests kept on the local disk between commands, so a push over a series fetches
/// only the ones written since the last one instead of all of them.
///
/// Both never change (an index object's key is the SHA-256 of its bytes, a manifest's its content id), so a cached
/// copy is good exactly when its bytes check out and its key is still listed: the listing, made anyway, validates
/// the cache. A cached manifest is stored after the SHA-256 of its bytes, which is checked on reading. A cached file
/// that fails its check is ignored and fetched again; ones whose key is no longer listed (prune removed them) are
/// deleted. Every failure of the cache itself only costs a GET.
public struct IndexCache: Sendable {
    /// The directory of one store's cached index objects.
    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    /// `$XDG_CACHE_HOME/cairn/<store id>` (default `~/.cache/cairn/<store id>`), or nil when `CAIRN_NO_CACHE` is set
    /// to anything but `0` or no home directory is known.
    public static func standard(storeID: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> IndexCache? {
        if let off = environment["CAIRN_NO_CACHE"], !off.isEmpty, off != "0" { return nil }
        guard storeID.allSatisfy({ $0.isHexDigit }), !storeID.isEmpty else { return nil }
        let base: String
        if let xdg = environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") {
            base = xdg
        } else if let home = environment["HOME"], home.hasPrefix("/") {
            base = home + "/.cache"
        } else {
            return nil
        }
        return IndexCache(directory: base + "/cairn/" + storeID)
    }

    /// The cache's folder for keys under `prefix` (`index/` or `snapshots/`) and the file for `key`.
    private func path(_ key: String) -> (folder: String, file: String)? {
        for prefix in ["index/", "snapshots/"] where key.hasPrefix(prefix) {
            let name = key.dropFirst(prefix.count)
            guard name.count == 64, name.allSatisfy({ $0.isHexDigit }) else { return nil }
            let folder = directory + "/" + prefix.dropLast()
            return (folder, folder + "/" + name)
        }
        return nil
    }

    /// The cached bytes of `key` when they check out (an index object's hash is its key; a manifest's stored
    /// SHA-256 matches); nil otherwise.
    public func read(_ key: String) -> [UInt8]? {
        guard let path = path(key), let data = FileManager.default.contents(atPath: path.file) else { return nil }
        let bytes = [UInt8](data)
        if key.hasPrefix("index/") { return IndexFile.key(for: bytes) == key ? bytes : nil }
        guard bytes.count >= 32 else { return nil }
        let body = Array(bytes[32...])
        return ChunkID.hash(body).bytes == Array(bytes[..<32]) ? body : nil
    }

    /// Keeps `bytes` under `key` (written to a temporary name and renamed, so a reader never sees half a file).
    public func write(_ key: String, bytes: [UInt8]) {
        guard let path = path(key) else { return }
        try? FileManager.default.createDirectory(atPath: path.folder, withIntermediateDirectories: true)
        let temporary = path.folder + "/.tmp-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)"
        let contents = key.hasPrefix("index/") ? bytes : ChunkID.hash(bytes).bytes + bytes
        guard FileManager.default.createFile(atPath: temporary, contents: Data(contents)) else { return }
        if rename(temporary, path.file) != 0 { unlink(temporary) }
    }

    /// Removes cached objects under `prefix` whose keys are not in `listed` (and leftover temporary files).
    public func retain(only listed: Set<String>, prefix: String = "index/") {
        let folder = directory + "/" + prefix.dropLast()
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        for name in names where !listed.contains(prefix + name) {
            unlink(folder + "/" + name)
        }
    }
}
