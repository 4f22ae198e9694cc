import CairnCore
import Foundation

/// A Cairn store opened over an `ObjectStore`: its config, and the index and manifests read on demand.
///
/// Readers follow one ordering rule: list manifests before loading indexes, so every chunk a listed manifest
/// references is found (a push writes its index before its manifest).
public struct SnapshotStore: Sendable {
    public let objects: any ObjectStore
    public let config: StoreConfig
    /// Whether `open` made this store just now (so the caller can check the server once, not on every push).
    public private(set) var isNew = false
    /// The writer's wall clock for `createdAt` and `refreshedAt` stamps; see `StoreClock` for what it never decides.
    public var clock = StoreClock()
    /// Where index objects are kept between commands; nil fetches every one every time.
    public var indexCache: IndexCache?

    public init(objects: any ObjectStore, config: StoreConfig) {
        self.objects = objects
        self.config = config
    }

    /// Opens the store at `objects`; with `create`, makes it when there is no `config` yet (racing creators agree:
    /// the first config wins and the others read it).
    public static func open(_ objects: any ObjectStore, create: Bool, newConfig: @autoclosure () -> StoreConfig = StoreConfig()) async throws -> SnapshotStore {
        let place = objects.location + "/" + StoreConfig.key
        do {
            let bytes = try await objects.get(StoreConfig.key)
            return SnapshotStore(objects: objects, config: try StoreConfig.decode(bytes, place: place))
        } catch let e as ObjectStoreError where e.kind == .notFound {
            guard create else {
                throw StoreError(.notAStore, place: place, message: "no Cairn store here (no config object)", hint: "`cairn push SOURCE \(objects.location)` creates one")
            }
            // Refuse a non-empty location that is not a store, so a typo never scatters objects into someone's data.
            let existing = try await objects.list(prefix: "")
            if let other = existing.first(where: { !$0.key.hasPrefix("locks/") }) {
                throw StoreError(.notAStore, place: objects.location, message: "not empty (holds \(other.key)) and not a Cairn store",
                                 hint: "choose an empty directory or prefix")
            }
            let config = newConfig()
            if try await objects.create(StoreConfig.key, data: config.encoded()) == .created {
                var store = SnapshotStore(objects: objects, config: config)
                store.isNew = true
                return store
            }
            return try await open(objects, create: false)
        }
    }

    // MARK: - manifests

    /// Every snapshot, oldest first. A manifest that does not decode is reported, not skipped.
    public func snapshots() async throws -> [SnapshotManifest] {
        let listed = try await objects.list(prefix: "snapshots/")
        var out: [SnapshotManifest] = []
        for info in listed {
            out.append(try await manifest(key: info.key))
        }
        indexCache?.retain(only: Set(listed.map(\.key)), prefix: "snapshots/")
        return out.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
    }

    /// A cached copy (see `IndexCache`) is used when it checks out and decodes; else the manifest is fetched, and
    /// cached when it decodes.
    public func manifest(key: String) async throws -> SnapshotManifest {
        let place = objects.location + "/" + key
        if let cached = indexCache?.read(key), let m = try? SnapshotManifest.decode(cached, key: key, place: place) {
            return m
        }
        let bytes = try await objects.get(key)
        let m = try SnapshotManifest.decode(bytes, key: key, place: place)
        indexCache?.write(key, bytes: bytes)
        return m
    }

    /// Finds a snapshot by id, unique id prefix (at least 4 hex digits) or `latest`.
    public func resolve(_ reference: String) async throws -> SnapshotManifest {
        let place = objects.location
        if reference == "latest" {
            let all = try await snapshots()
            guard let last = all.last else { throw StoreError(.unknownSnapshot, place: place, message: "the store has no snapshots") }
            return last
        }
        let ref = reference.lowercased()
        guard ref.count >= 4, ref.count <= 64, ref.allSatisfy({ $0.isHexDigit }) else {
            throw StoreError(.unknownSnapshot, place: place, message: "\"\(RelativePath.printable(reference))\" is not a snapshot id",
                             hint: "give `latest` or at least 4 hex digits of an id from `cairn snapshots`")
        }
        let listed = try await objects.list(prefix: "snapshots/").map { String($0.key.dropFirst("snapshots/".count)) }
        let matches = listed.filter { $0.hasPrefix(ref) }
        guard let first = matches.first else {
            throw StoreError(.unknownSnapshot, place: place, message: "no snapshot id starts with \(ref)", hint: "`cairn snapshots \(place)` lists them")
        }
        guard matches.count == 1 else {
            throw StoreError(.unknownSnapshot, place: place, message: "\(matches.count) snapshots start with \(ref)", hint: "give more digits")
        }
        return try await manifest(key: SnapshotManifest.key(first))
    }

    // MARK: - index

    /// Loads every index object. With `recoverPacks` (for writers), also lists the packs: index records of packs
    /// that are gone are left out, and the tables of packs no index names yet (what an interrupted push left behind)
    /// are read, so that a new push reuses them instead of uploading again.
    public func loadIndex(recoverPacks: Bool) async throws -> (index: ChunkIndex, recovered: [PackTable]) {
        var index = ChunkIndex()
        var tables: [PackTable] = []
        let indexObjects = try await objects.list(prefix: "index/")
        for info in indexObjects {
            tables += try await indexObject(info.key).packs
            index.sources.append(info.key)
        }
        indexCache?.retain(only: Set(indexObjects.map(\.key)))
        var recovered: [PackTable] = []
        if recoverPacks {
            let listed = try await objects.list(prefix: "packs/")
            // A writer reuses only chunks whose pack exists: an index object can outlive its packs (written late by a
            // push whose lock had lapsed, after a prune deleted them), and a chunk reused from it would be lost.
            let present = Set(listed.compactMap { PackTable.id(fromKey: $0.key) })
            for table in tables where present.contains(table.packID) { index.add(table) }
            for info in listed {
                guard let id = PackTable.id(fromKey: info.key), !index.contains(pack: id) else { continue }
                // A pack that cannot be read is left for `check` to report and `prune` to remove.
                guard let table = try? await PackTable.read(from: objects, key: info.key, packID: id, packSize: info.size) else { continue }
                index.add(table)
                recovered.append(table)
            }
        } else {
            for table in tables { index.add(table) }
        }
        return (index, recovered)
    }

    /// Reads and checks one index object: its bytes must hash to its name and decode.
    /// A cached copy (see `IndexCache`) is used when its bytes still hash to `key`; else the object is fetched, and
    /// cached when it checks out.
    public func indexObject(_ key: String) async throws -> IndexFile {
        let place = objects.location + "/" + key
        if let cached = indexCache?.read(key), let file = try? IndexFile.decode(cached, place: place) {
            return file
        }
        let bytes = try await objects.get(key)
        guard IndexFile.key(for: bytes) == key else {
            throw StoreError(.corrupt, place: place, message: "index content does not match its name (damaged object)")
        }
        let file = try IndexFile.decode(bytes, place: place)
        indexCache?.write(key, bytes: bytes)
        return file
    }

    /// Writes an index object for `packs` (create-if-absent: the name is its hash). Returns its key.
    @discardableResult
    public func writeIndex(_ packs: [PackTable]) async throws -> String {
        let bytes = IndexFile(packs: packs).encoded()
        let key = IndexFile.key(for: bytes)
        _ = try await objects.create(key, data: bytes)
        indexCache?.write(key, bytes: bytes)
        return key
    }

    // MARK: - chunks

    /// Reads, decompresses and verifies one chunk.
    public func readChunk(_ id: ChunkID, in index: ChunkIndex) async throws -> [UInt8] {
        guard let loc = index.chunks[id] else {
            throw StoreError(.missing, place: objects.location, message: "chunk \(id.short) is in no index", hint: "run `cairn check`")
        }
        let pack = index.pack(of: loc)
        let key = PackTable.key(for: pack.packID)
        let stored = try await objects.get(key, offset: loc.offset, count: Int(loc.storedLength))
        return try Self.decodeChunk(stored, id: id, location: loc, place: objects.location + "/" + key)
    }

    /// Turns stored bytes back into the raw chunk and checks its SHA-256.
    public static func decodeChunk(_ stored: [UInt8], id: ChunkID, location loc: ChunkLocation, place: String) throws(StoreError) -> [UInt8] {
        let raw: [UInt8]
        switch loc.codec {
        case .raw:
            raw = stored
        case .zstd:
            do {
                raw = try stored.withUnsafeBytes { (b) throws(DecodeError) -> [UInt8] in try Zstd.decompress(b, rawLength: Int(loc.rawLength)) }
            } catch {
                throw StoreError(.corrupt, place: "\(place) at offset \(loc.offset)", message: "chunk \(id.short) does not decompress: \(error)")
            }
        }
        guard raw.count == Int(loc.rawLength), ChunkID.hash(raw) == id else {
            throw StoreError(.corrupt, place: "\(place) at offset \(loc.offset)", message: "chunk \(id.short) fails its SHA-256 check (damaged pack)",
                             hint: "run `cairn check --read-data`; the damaged bytes were not written anywhere")
        }
        return raw
    }
}
