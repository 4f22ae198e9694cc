import CairnCore
import Foundation

/// Proves a store is whole: every manifest decodes and every chunk it names is in an index, every indexed pack
/// exists with its recorded size — and with `readData`, that every pack's bytes hash to its name and every chunk
/// decompresses to its SHA-256. Problems name the pack, offset, chunk, and the snapshots and files that need it.
public struct StoreChecker: Sendable {
    public struct Problem: Sendable, Equatable {
        /// The object (and offset) where the problem is.
        public var place: String
        public var message: String
        /// Snapshots (short ids) that cannot be pulled whole because of it.
        public var affectedSnapshots: [String]
    }

    public struct Report: Sendable {
        public var storeID: String
        public var snapshots: Int
        public var indexObjects: Int
        public var packs: Int
        public var chunks: Int
        /// Packs no index names: left by an interrupted push, reused by the next push or removed by prune.
        public var unindexedPacks: Int
        public var readData: Bool
        public var bytesRead: UInt64
        public var problems: [Problem]
        public var durationSeconds: Double
    }

    public let store: SnapshotStore
    public var lockWait: Double
    /// Packs read at once with `readData`.
    public var parallelReads: Int

    public init(store: SnapshotStore, lockWait: Double = 600, parallelReads: Int = 3) {
        // Check reads what the store holds, never the local index cache.
        var store = store
        store.indexCache = nil
        self.store = store
        self.lockWait = lockWait
        self.parallelReads = parallelReads
    }

    public func check(readData: Bool) async throws -> Report {
        try await StoreLock.holding(in: store.objects, exclusive: false, operation: "check", wait: lockWait, clock: store.clock) {
            try await run(readData: readData)
        }
    }

    private func run(readData: Bool) async throws -> Report {
        let started = Date()
        let before = store.objects.requestCounts
        let objects = store.objects
        let location = objects.location
        var problems: [Problem] = []

        var manifests: [SnapshotManifest] = []
        for info in try await objects.list(prefix: "snapshots/") {
            do { manifests.append(try await store.manifest(key: info.key)) } catch let e as StoreError {
                problems.append(Problem(place: e.place, message: e.message, affectedSnapshots: [String(info.key.dropFirst(10).prefix(12))]))
            }
        }

        var index = ChunkIndex()
        let indexObjects = try await objects.list(prefix: "index/")
        for info in indexObjects {
            do {
                for p in try await store.indexObject(info.key).packs { index.add(p) }
            } catch let e as StoreError {
                problems.append(Problem(place: e.place, message: e.message, affectedSnapshots: []))
            }
        }

        // Who needs which chunk, to name the victims of a problem.
        var users: [ChunkID: Set<String>] = [:]
        var fileOf: [ChunkID: String] = [:]
        for m in manifests {
            for f in m.files {
                for c in f.chunks {
                    guard let id = ChunkID(hex: c) else { continue }
                    users[id, default: []].insert(m.shortID)
                    if fileOf[id] == nil { fileOf[id] = f.path }
                    if index.chunks[id] == nil && users[id]?.count == 1 {
                        problems.append(Problem(place: location + "/" + m.key, message: "file \(f.path): chunk \(id.short) is in no index",
                                                affectedSnapshots: [m.shortID]))
                    }
                }
            }
        }
        func victims(of table: PackTable) -> [String] {
            Set(table.entries.flatMap { users[$0.id] ?? [] }).sorted()
        }

        var listedPacks: [ChunkID: ObjectInfo] = [:]
        for info in try await objects.list(prefix: "packs/") {
            guard let id = PackTable.id(fromKey: info.key) else {
                problems.append(Problem(place: location + "/" + info.key, message: "not a pack name (packs/<2 hex>/<64 hex>)", affectedSnapshots: []))
                continue
            }
            listedPacks[id] = info
        }
        var present: [PackTable] = []
        for table in index.packs {
            let key = PackTable.key(for: table.packID)
            guard let info = listedPacks[table.packID] else {
                let v = victims(of: table)
                if !v.isEmpty {
                    problems.append(Problem(place: location + "/" + key, message: "pack is missing (\(table.entries.count) chunks)", affectedSnapshots: v))
                }
                continue
            }
            guard info.size == table.packSize else {
                problems.append(Problem(place: location + "/" + key, message: "pack is \(info.size) bytes, the index says \(table.packSize)",
                                        affectedSnapshots: victims(of: table)))
                continue
            }
            present.append(table)
        }
        let unindexed = listedPacks.keys.filter { !index.contains(pack: $0) }.count

        if readData {
            try await withThrowingTaskGroup(of: [Problem].self) { group in
                var next = 0, inFlight = 0
                func launch() {
                    let table = present[next]
                    let v = victims(of: table)
                    next += 1
                    inFlight += 1
                    group.addTask { try await Self.verify(table, in: objects, victims: v) }
                }
                while next < present.count && inFlight < parallelReads { launch() }
                while inFlight > 0, let found = try await group.next() {
                    inFlight -= 1
                    problems.append(contentsOf: found)
                    while next < present.count && inFlight < parallelReads { launch() }
                }
            }
        }

        return Report(storeID: store.config.id, snapshots: manifests.count, indexObjects: indexObjects.count, packs: index.packs.count,
                      chunks: index.chunks.count, unindexedPacks: unindexed, readData: readData,
                      bytesRead: (objects.requestCounts - before).bytesReceived, problems: problems,
                      durationSeconds: Date().timeIntervalSince(started))
    }

    /// Reads a whole pack and checks its name, its table against the index, and every chunk.
    static func verify(_ table: PackTable, in objects: any ObjectStore, victims: [String]) async throws -> [Problem] {
        let key = PackTable.key(for: table.packID)
        let place = objects.location + "/" + key
        let bytes: [UInt8]
        do {
            bytes = try await objects.get(key)
        } catch {
            guard error.kind == .notFound else { throw error }
            return [Problem(place: place, message: "pack vanished while checking", affectedSnapshots: victims)]
        }
        var problems: [Problem] = []
        // The tail's hash is the pack's name; the chunk hashes below cover every other byte.
        let tailLength = table.entries.count * PackTable.entrySize + PackTable.trailerSize
        if bytes.count < tailLength {
            problems.append(Problem(place: place, message: "pack is shorter than its table", affectedSnapshots: victims))
        } else {
            do {
                let decoded = try PackTable.decode(tail: Array(bytes[(bytes.count - tailLength)...]), packID: table.packID,
                                                   packSize: UInt64(bytes.count), place: place)
                if decoded.entries != table.entries {
                    problems.append(Problem(place: place, message: "pack table differs from the index", affectedSnapshots: victims))
                }
            } catch {
                problems.append(Problem(place: error.place, message: error.message, affectedSnapshots: victims))
            }
        }
        for e in table.entries {
            let end = Int(e.offset) + Int(e.storedLength)
            guard end <= bytes.count else {
                problems.append(Problem(place: "\(place) at offset \(e.offset)", message: "chunk \(e.id.short) lies past the end", affectedSnapshots: victims))
                continue
            }
            let loc = ChunkLocation(pack: 0, offset: e.offset, storedLength: e.storedLength, rawLength: e.rawLength, codec: e.codec)
            do { _ = try SnapshotStore.decodeChunk(Array(bytes[Int(e.offset)..<end]), id: e.id, location: loc, place: place) } catch {
                problems.append(Problem(place: error.place, message: error.message, affectedSnapshots: victims))
            }
        }
        return problems
    }
}
