import CairnCore
import Foundation

/// Forgets old snapshots and frees what only they used: mark every chunk of the kept manifests, delete packs with
/// nothing marked, repack packs that are mostly dead, and replace the indexes with one that describes what is left.
///
/// Holds the store's exclusive lock, so no push can reuse a chunk while its pack is being deleted. Packs younger
/// than the grace period (by the store's clock) are never deleted either, which protects the packs of a push that
/// was interrupted (its next run reuses them) and of writers that do not take locks. A push whose lock lapsed checks
/// before committing that what it relies on survived (STORE.md §6).
public struct Pruner: Sendable {
    public struct Policy: Sendable {
        /// Keep the newest N snapshots of each group (a Flink job, a source directory).
        public var keepLast: Int?
        /// Keep every snapshot younger than this many seconds.
        public var keepWithin: Double?
        /// Only these groups are subject to the policy (`backup` prunes its own series); nil: every group.
        public var groups: Set<String>?
        public init(keepLast: Int?, keepWithin: Double?, groups: Set<String>? = nil) {
            self.keepLast = keepLast
            self.keepWithin = keepWithin
            self.groups = groups
        }
    }

    public struct Options: Sendable {
        public var dryRun: Bool
        /// Seconds a pack must have existed before it may be deleted.
        public var grace: Double
        /// Repack a pack whose live bytes are below this fraction of it.
        public var repackBelow: Double
        public var lockWait: Double
        public init(dryRun: Bool = false, grace: Double = 3600, repackBelow: Double = 0.5, lockWait: Double = 0) {
            self.dryRun = dryRun
            self.grace = grace
            self.repackBelow = repackBelow
            self.lockWait = lockWait
        }
    }

    public struct Report: Sendable {
        public var dryRun: Bool
        public var kept: [SnapshotManifest]
        public var removed: [SnapshotManifest]
        public var packsDeleted: Int
        public var packsRepacked: Int
        public var packsWritten: Int
        /// Packs no index names (left by an interrupted push), kept because they are younger than the grace period.
        public var packsInGrace: Int
        public var bytesBefore: UInt64
        public var bytesAfter: UInt64
        public var requests: RequestCounts
        public var durationSeconds: Double
    }

    public let store: SnapshotStore
    public let options: Options

    public init(store: SnapshotStore, options: Options = Options()) {
        self.store = store
        self.options = options
    }

    /// Which snapshots a policy keeps: per group, the newest `keepLast`, plus all within `keepWithin` of `now`.
    public static func select(_ snapshots: [SnapshotManifest], policy: Policy, now: Date) -> (keep: [SnapshotManifest], remove: [SnapshotManifest]) {
        var keepIDs = Set<String>()
        var groups: [String: [SnapshotManifest]] = [:]
        for s in snapshots { groups[s.attributes["group"] ?? s.root, default: []].append(s) }
        for (group, members) in groups {
            if let only = policy.groups, !only.contains(group) {
                for s in members { keepIDs.insert(s.id) }
                continue
            }
            let newestFirst = members.sorted { ($0.createdAt, $0.id) > ($1.createdAt, $1.id) }
            if let n = policy.keepLast { for s in newestFirst.prefix(n) { keepIDs.insert(s.id) } }
            if let within = policy.keepWithin {
                for s in members where (s.createdDate.map { now.timeIntervalSince($0) <= within } ?? true) { keepIDs.insert(s.id) }
            }
        }
        keepIDs.formUnion(basesNeeded(by: keepIDs, in: snapshots))
        return (snapshots.filter { keepIDs.contains($0.id) }, snapshots.filter { !keepIDs.contains($0.id) })
    }

    /// The snapshots that kept deltas are written on, down each chain (format spec §13): a delta's manifest names
    /// its base (`baseFile`, `baseSnapshotId`, `baseIndexCRC`), which is the native snapshot of the same group with
    /// that file name and snapshot id (and index CRC, where recorded). A delta is never kept without its base.
    static func basesNeeded(by kept: Set<String>, in snapshots: [SnapshotManifest]) -> Set<String> {
        var needed = Set<String>()
        var queue = snapshots.filter { kept.contains($0.id) }
        while let m = queue.popLast() {
            guard let file = m.attributes["baseFile"], let id = m.attributes["baseSnapshotId"] else { continue }
            let group = m.attributes["group"] ?? m.root
            for b in snapshots where b.kind == m.kind && (b.attributes["group"] ?? b.root) == group
                && b.attributes["snapshotFile"] == file && b.attributes["snapshotId"] == id
                && (b.attributes["indexCRC"] == nil || m.attributes["baseIndexCRC"] == nil || b.attributes["indexCRC"] == m.attributes["baseIndexCRC"])
                && !kept.contains(b.id) && !needed.contains(b.id) {
                needed.insert(b.id)
                queue.append(b)
            }
        }
        return needed
    }

    public func prune(policy: Policy) async throws -> Report {
        try await StoreLock.holdingLock(in: store.objects, exclusive: true, operation: "prune", wait: options.lockWait, clock: store.clock) { lock in
            try await run(policy, lock: lock)
        }
    }

    /// Stops before a destructive stage when prune's own lock lapsed (prune was paused longer than
    /// `StoreLock.lapseAfter`): someone may have judged it stale and started a push that relies on what prune
    /// planned to delete.
    private func ensureIntact(_ lock: HeldStoreLock, before stage: String) async throws {
        guard try await lock.isIntact() else {
            throw StoreError(.locked, place: store.objects.location + "/" + lock.key,
                             message: "prune's lock lapsed while it ran (paused, or cut off from the store), so another command may have started; prune stopped before \(stage)",
                             hint: "run prune again")
        }
    }

    /// Prune in named stages: select, mark, plan the sweep, then (unless a dry run) forget, repack, re-index, delete.
    private func run(_ policy: Policy, lock: HeldStoreLock) async throws -> Report {
        let started = Date()
        if !options.dryRun { _ = await store.objects.removeAbandonedTemporaries() }
        let before = store.objects.requestCounts
        let objects = store.objects
        let snapshots = try await store.snapshots()
        let (keep, remove) = Self.select(snapshots, policy: policy, now: Date(timeIntervalSince1970: store.clock.now()))
        let (index, _) = try await store.loadIndex(recoverPacks: false)
        let listed = try await objects.list(prefix: "packs/")
        let bytesBefore = listed.reduce(0) { $0 + $1.size }

        let live = try mark(keep, index: index)
        // Pack ages are compared on the store's clock (their modification times against the store's time now), so
        // a prune whose own clock runs ahead never takes a young pack for an old one.
        let plan = planSweep(index: index, listed: listed, live: live, now: lock.storeNow())
        var written: [PackTable] = []
        let bytesAfter: UInt64
        if options.dryRun {
            bytesAfter = plan.projectedBytes(listed: listed, live: live)
        } else {
            // Manifests go first, so a crash later leaves only unreferenced data.
            try await ensureIntact(lock, before: "forgetting snapshots")
            for m in remove { try await objects.delete(m.key) }
            written = try await repack(plan, index: index)
            try await reindex(keeping: plan.keepTables + written, replacing: index)
            try await ensureIntact(lock, before: "deleting packs")
            for id in plan.deletePacks + plan.repack.map(\.table.packID) { try await objects.delete(PackTable.key(for: id)) }
            bytesAfter = try await objects.list(prefix: "packs/").reduce(0) { $0 + $1.size }
        }
        return Report(dryRun: options.dryRun, kept: keep, removed: remove, packsDeleted: plan.deletePacks.count,
                      packsRepacked: plan.repack.count, packsWritten: written.count, packsInGrace: plan.packsInGrace,
                      bytesBefore: bytesBefore, bytesAfter: bytesAfter, requests: objects.requestCounts - before,
                      durationSeconds: Date().timeIntervalSince(started))
    }

    /// Mark: every chunk a kept manifest references. A chunk in no index stops the prune before anything is deleted.
    private func mark(_ keep: [SnapshotManifest], index: ChunkIndex) throws -> Set<ChunkID> {
        var live = Set<ChunkID>()
        for m in keep {
            for f in m.files {
                for c in f.chunks {
                    guard let id = ChunkID(hex: c), index.chunks[id] != nil else {
                        throw StoreError(.missing, place: store.objects.location + "/" + m.key,
                                         message: "file \(f.path): chunk \(c.prefix(12)) is in no index; prune stops so nothing more is lost",
                                         hint: "run `cairn check --read-data`")
                    }
                    live.insert(id)
                }
            }
        }
        return live
    }

    /// What the sweep will do with each pack.
    struct SweepPlan {
        /// Packs with nothing live (or in no index) and older than the grace period.
        var deletePacks: [ChunkID] = []
        /// Old packs mostly dead: their live chunks move to new packs. `number` is the pack's place in the index.
        var repack: [(table: PackTable, number: Int)] = []
        var keepTables: [PackTable] = []
        var packsInGrace = 0
        /// A chunk stored twice (two pushes raced) counts only where the index reads it from.
        let isLive: (PackEntry, Int) -> Bool

        /// Pack bytes a dry run expects to remain.
        func projectedBytes(listed: [ObjectInfo], live: Set<ChunkID>) -> UInt64 {
            let gone = Set(deletePacks + repack.map(\.table.packID))
            let remaining = listed.filter { PackTable.id(fromKey: $0.key).map { !gone.contains($0) } ?? true }.reduce(0) { $0 + $1.size }
            let moved = repack.reduce(UInt64(0)) { acc, r in
                acc + r.table.entries.filter { live.contains($0.id) }.reduce(0) { $0 + UInt64($1.storedLength) }
            }
            return remaining + moved
        }
    }

    private func planSweep(index: ChunkIndex, listed: [ObjectInfo], live: Set<ChunkID>, now: Double) -> SweepPlan {
        var packInfo: [ChunkID: ObjectInfo] = [:]
        for info in listed { if let id = PackTable.id(fromKey: info.key) { packInfo[id] = info } }
        var plan = SweepPlan { e, n in live.contains(e.id) && index.chunks[e.id]?.pack == Int32(n) }
        for (n, table) in index.packs.enumerated() {
            guard let info = packInfo[table.packID] else { continue }  // already gone; the new index drops it
            let old = now - info.modified >= options.grace
            var liveBytes: UInt64 = 0
            var liveCount = 0
            for e in table.entries where plan.isLive(e, n) {
                liveBytes += UInt64(e.storedLength)
                liveCount += 1
            }
            if liveCount == 0 && old {
                plan.deletePacks.append(table.packID)
            } else if old && Double(liveBytes) < Double(table.packSize) * options.repackBelow {
                plan.repack.append((table, n))
            } else {
                plan.keepTables.append(table)
            }
        }
        for (id, info) in packInfo where !index.contains(pack: id) {
            if now - info.modified >= options.grace { plan.deletePacks.append(id) } else { plan.packsInGrace += 1 }
        }
        return plan
    }

    /// Copies the live chunks of mostly-dead packs into new packs, checking each chunk's hash on the way.
    private func repack(_ plan: SweepPlan, index: ChunkIndex) async throws -> [PackTable] {
        let objects = store.objects
        var written: [PackTable] = []
        var writer = PackWriter(capacity: store.config.packTargetSize + store.config.chunkMaxSize)
        func upload() async throws {
            let (bytes, t) = writer.finish()
            try await objects.put(PackTable.key(for: t.packID), data: bytes)
            written.append(t)
        }
        var moved = Set<ChunkID>()
        for (table, n) in plan.repack {
            let key = PackTable.key(for: table.packID)
            for e in table.entries where plan.isLive(e, n) && !moved.contains(e.id) {
                let stored = try await objects.get(key, offset: e.offset, count: Int(e.storedLength))
                let loc = ChunkLocation(pack: 0, offset: e.offset, storedLength: e.storedLength, rawLength: e.rawLength, codec: e.codec)
                _ = try SnapshotStore.decodeChunk(stored, id: e.id, location: loc, place: objects.location + "/" + key)
                writer.append(id: e.id, stored: stored, rawLength: Int(e.rawLength), codec: e.codec)
                moved.insert(e.id)
                if writer.size >= store.config.packTargetSize { try await upload() }
            }
        }
        if !writer.isEmpty { try await upload() }
        return written
    }

    /// One index for everything that stays, then the old indexes go.
    private func reindex(keeping tables: [PackTable], replacing index: ChunkIndex) async throws {
        let newKey = try await store.writeIndex(tables)
        for key in index.sources where key != newKey { try await store.objects.delete(key) }
    }
}
