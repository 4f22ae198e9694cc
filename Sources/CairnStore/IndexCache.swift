import CairnCore
import Foundation

/// Index objects kept on the local disk between commands, so a push over a series fetches only the index objects
/// written since the last one instead of all of them.
///
/// Index objects never change (their key is the SHA-256 of their bytes), so a cached copy is good exactly when its
/// bytes still hash to its key and the key is still listed under `index/`: the listing, made anyway, validates the
/// cache. A cached file that fails the hash is ignored and fetched again; ones whose key is no longer listed (a
/// prune replaced them) are removed. Every failure of the cache itself only costs a GET.
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

    private func path(_ key: String) -> String? {
        guard key.hasPrefix("index/") else { return nil }
        let name = key.dropFirst("index/".count)
        guard name.count == 64, name.allSatisfy({ $0.isHexDigit }) else { return nil }
        return directory + "/index/" + name
    }

    /// The cached bytes of `key` when they still hash to it; nil otherwise.
    public func read(_ key: String) -> [UInt8]? {
        guard let path = path(key), let data = FileManager.default.contents(atPath: path) else { return nil }
        let bytes = [UInt8](data)
        return IndexFile.key(for: bytes) == key ? bytes : nil
    }

    /// Keeps `bytes` under `key` (written to a temporary name and renamed, so a reader never sees half a file).
    public func write(_ key: String, bytes: [UInt8]) {
        guard let path = path(key) else { return }
        let dir = directory + "/index"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let temporary = dir + "/.tmp-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(bytes)) else { return }
        if rename(temporary, path) != 0 { unlink(temporary) }
    }

    /// Removes cached objects whose keys are not in `listed` (and leftover temporary files).
    public func retain(only listed: Set<String>) {
        let dir = directory + "/index"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return }
        for name in names where !listed.contains("index/" + name) {
            unlink(dir + "/" + name)
        }
    }
}
