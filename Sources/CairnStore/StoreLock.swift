import CairnCore
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A lock object under `locks/`: pushes, pulls and checks hold shared locks, prune holds an exclusive one, so
/// prune never deletes a pack that a running push has decided to reuse. A holder rewrites its lock every few
/// minutes; a lock the store last wrote more than `staleAfter` ago, or left by a dead process on this host, no
/// longer counts. Age is measured on the store's clock (each object's modification time), never on a writer's, so
/// writers whose clocks disagree still agree on which locks count.
public struct StoreLock: Codable, Sendable, Equatable {
    public var exclusive: Bool
    public var operation: String
    public var host: String
    public var pid: Int32
    /// The holder's wall clock when it took the lock (informative: staleness uses the store's clock).
    public var createdAt: Double
    /// The holder's wall clock at its last rewrite (informative).
    public var refreshedAt: Double

    public static let staleAfter: Double = 30 * 60
    public static let refreshEvery: Double = 5 * 60
    /// A holder whose successive writes of its lock were further apart than this (it was paused, or cut off from
    /// the store) may have been judged stale by someone else, so it no longer relies on the lock. The margin to
    /// `staleAfter` covers a write's time in flight.
    public static let lapseAfter: Double = staleAfter - refreshEvery

    /// Judged from the lock's own fields on the caller's clock, for tools that have only the JSON. Taking a lock
    /// uses `isStale(lastWritten:storeNow:)`.
    public func isStale(now: Double) -> Bool {
        now - refreshedAt > Self.staleAfter || isDeadOnThisHost
    }

    /// Whether the lock no longer counts: the store last wrote it (`lastWritten`, the object's modification time)
    /// more than `staleAfter` before `storeNow` (the store's time now), or its process no longer exists on this host.
    /// A process on another host is never presumed dead while it keeps its lock fresh.
    public func isStale(lastWritten: Double, storeNow: Double) -> Bool {
        storeNow - lastWritten > Self.staleAfter || isDeadOnThisHost
    }

    private var isDeadOnThisHost: Bool {
        host == ProcessInfo.processInfo.hostName && pid > 0 && kill(pid, 0) != 0 && errno == ESRCH
    }

    public var summary: String {
        let since = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: createdAt))
        return "\(operation) (pid \(pid) on \(host), since \(since))"
    }

    /// Takes a lock, waiting up to `wait` seconds for conflicting ones to go. Exclusive takers also delete stale
    /// locks they find. `clock` stamps the lock's informative times.
    public static func acquire(in store: any ObjectStore, exclusive: Bool, operation: String, wait: Double,
                               clock: StoreClock = StoreClock()) async throws -> HeldStoreLock {
        let started = ContinuousClock.now
        var delay = 0.5
        while true {
            let now = clock.now()
            let lock = StoreLock(exclusive: exclusive, operation: operation, host: ProcessInfo.processInfo.hostName,
                                 pid: getpid(), createdAt: now, refreshedAt: now)
            let key = "locks/" + Hex.encode((0..<16).map { _ in UInt8.random(in: 0...255) })
            let written = ContinuousClock.now
            try await store.put(key, data: lock.encoded())
            let (storeNow, conflict) = try await survey(store, own: key, conflictsWithShared: exclusive, removeStale: exclusive)
            guard let other = conflict else {
                return HeldStoreLock(store: store, key: key, lock: lock, clock: clock, written: written, storeNow: storeNow)
            }
            try await store.delete(key)
            if (ContinuousClock.now - started).seconds + delay > wait {
                throw StoreError(.locked, place: store.location, message: "the store is in use by \(other.summary)",
                                 hint: exclusive ? "try again when it finishes" : "wait for it to finish, or pass a longer --lock-wait")
            }
            try await Task.sleep(nanoseconds: UInt64(delay * 1e9))
            delay = min(delay * 2, 5)
        }
    }

    /// Lists `locks/` right after writing `own`: the store's time now (the modification time it gave `own`; the
    /// local clock if the listing lacks it) and the first counting lock that conflicts — an exclusive one, or with
    /// `conflictsWithShared` any other. With `removeStale`, stale locks found on the way are deleted.
    static func survey(_ store: any ObjectStore, own key: String, conflictsWithShared: Bool,
                       removeStale: Bool) async throws -> (storeNow: Double, conflict: StoreLock?) {
        let listed = try await store.list(prefix: "locks/")
        let storeNow = listed.first { $0.key == key }?.modified ?? Date().timeIntervalSince1970
        for info in listed where info.key != key && !info.key.hasPrefix("locks/.") {
            guard let bytes = try await readLock(store, key: info.key) else { continue }  // released meanwhile
            // A lock that cannot be read is not ignored (that could let a prune run beside a push): it counts, as
            // exclusive, until it is stale by age.
            let other = (try? JSONDecoder().decode(StoreLock.self, from: Data(bytes)))
                ?? StoreLock(exclusive: true, operation: "an unreadable lock object (\(info.key))", host: "an unknown host", pid: 0,
                             createdAt: info.modified, refreshedAt: info.modified)
            if other.isStale(lastWritten: info.modified, storeNow: storeNow) {
                if removeStale { try? await store.delete(info.key) }
                continue
            }
            if conflictsWithShared || other.exclusive { return (storeNow, other) }
        }
        return (storeNow, nil)
    }

    /// A lock object's bytes; nil when it is gone. Other failures are thrown, not taken for an absent lock.
    private static func readLock(_ store: any ObjectStore, key: String) async throws -> [UInt8]? {
        let result: Result<[UInt8], ObjectStoreError>
        do { result = .success(try await store.get(key)) } catch { result = .failure(error) }
        switch result {
        case .success(let bytes): return bytes
        case .failure(let error) where error.kind == .notFound: return nil
        case .failure(let error): throw error
        }
    }

    func encoded() -> [UInt8] { Array((try? JSONEncoder().encode(self)) ?? Data()) }

    /// Runs `body` holding a lock, and releases it however `body` ends.
    public static func holding<T: Sendable>(in store: any ObjectStore, exclusive: Bool, operation: String, wait: Double,
                                            clock: StoreClock = StoreClock(), _ body: () async throws -> T) async throws -> T {
        try await holdingLock(in: store, exclusive: exclusive, operation: operation, wait: wait, clock: clock) { _ in try await body() }
    }

    /// Runs `body` with a held lock (to check it is still intact before committing), and releases it however
    /// `body` ends.
    public static func holdingLock<T: Sendable>(in store: any ObjectStore, exclusive: Bool, operation: String, wait: Double,
                                                clock: StoreClock = StoreClock(), _ body: (HeldStoreLock) async throws -> T) async throws -> T {
        let lock = try await acquire(in: store, exclusive: exclusive, operation: operation, wait: wait, clock: clock)
        do {
            let result = try await body(lock)
            await lock.release()
            return result
        } catch {
            await lock.release()
            throw error
        }
    }
}

/// A lock this process holds: rewritten in the background until released. It knows whether it has counted without
/// a break — every rewrite within `StoreLock.lapseAfter` of the previous one, and the object still there — which
/// is what lets a push commit and a prune delete without re-checking the store.
public final class HeldStoreLock: Sendable {
    public let key: String
    private let store: any ObjectStore
    private let state: Locked<State>
    private let refresher: Task<Void, Never>

    private struct State {
        var lock: StoreLock
        /// When the last successful write of the lock was sent.
        var lastWrite: ContinuousClock.Instant
        /// Sticky: set once a gap between writes, or a missing lock object, was seen.
        var lapsed = false
        /// The store's time at `storeInstant`.
        var storeTime: Double
        var storeInstant: ContinuousClock.Instant

        mutating func noteGap(at now: ContinuousClock.Instant) {
            if (now - lastWrite).seconds > StoreLock.lapseAfter { lapsed = true }
        }
    }

    init(store: any ObjectStore, key: String, lock: StoreLock, clock: StoreClock, written: ContinuousClock.Instant, storeNow: Double) {
        self.store = store
        self.key = key
        let state = Locked(State(lock: lock, lastWrite: written, storeTime: storeNow, storeInstant: ContinuousClock.now))
        self.state = state
        refresher = Task {
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: UInt64(StoreLock.refreshEvery * 1e9))
                if Task.isCancelled { break }
                _ = await Self.rewrite(store: store, key: key, state: state, clock: clock)
            }
        }
    }

    /// Writes the lock again; returns when it was sent, or nil if the write failed.
    private static func rewrite(store: any ObjectStore, key: String, state: Locked<State>, clock: StoreClock) async -> ContinuousClock.Instant? {
        let sent = ContinuousClock.now
        let lock = state.withLock { s -> StoreLock in
            s.noteGap(at: sent)
            s.lock.refreshedAt = clock.now()
            return s.lock
        }
        do {
            try await store.put(key, data: lock.encoded())
        } catch {
            return nil
        }
        state.withLock { $0.lastWrite = max($0.lastWrite, sent) }
        return sent
    }

    /// The store's clock now: its time when the lock was taken (or last re-taken) plus the time elapsed since on
    /// this machine's monotonic clock. Prune measures its grace period with it.
    public func storeNow() -> Double {
        state.withLock { $0.storeTime + (ContinuousClock.now - $0.storeInstant).seconds }
    }

    /// Whether the lock has counted without a break since it was taken: no gap longer than `StoreLock.lapseAfter`
    /// between its writes, and its object still listed (an exclusive taker deletes locks it judges stale). One LIST.
    public func isIntact() async throws -> Bool {
        if state.withLock({ s -> Bool in s.noteGap(at: ContinuousClock.now); return s.lapsed }) { return false }
        let listed = try await store.list(prefix: "locks/")
        guard listed.contains(where: { $0.key == key }) else {
            state.withLock { $0.lapsed = true }
            return false
        }
        return !state.withLock { s -> Bool in s.noteGap(at: ContinuousClock.now); return s.lapsed }
    }

    /// For a shared holder whose lock lapsed: writes the lock again and waits (up to `wait` seconds) until no
    /// counting exclusive lock remains, so a prune that started meanwhile has finished and no new one can start.
    /// From then on the lock counts again; what the holder read before must be checked anew.
    public func retake(wait: Double, clock: StoreClock) async throws {
        let started = ContinuousClock.now
        var delay = 0.5
        while true {
            guard let sent = await Self.rewrite(store: store, key: key, state: state, clock: clock) else {
                throw StoreError(.locked, place: store.location + "/" + key, message: "cannot write this process's lock again after it lapsed",
                                 hint: "nothing was committed; run the command again")
            }
            let (storeNow, conflict) = try await StoreLock.survey(store, own: key, conflictsWithShared: false, removeStale: false)
            guard let other = conflict else {
                state.withLock { s in
                    s.lapsed = false
                    s.lastWrite = sent
                    s.storeTime = storeNow
                    s.storeInstant = ContinuousClock.now
                }
                return
            }
            if (ContinuousClock.now - started).seconds + delay > wait {
                throw StoreError(.locked, place: store.location, message: "this process's lock lapsed and the store is now in use by \(other.summary); nothing was committed",
                                 hint: "run the command again when it finishes")
            }
            try await Task.sleep(nanoseconds: UInt64(delay * 1e9))
            delay = min(delay * 2, 5)
        }
    }

    /// Stops refreshing and removes the lock object.
    public func release() async {
        refresher.cancel()
        try? await store.delete(key)
    }
}

extension Duration {
    /// The duration in seconds, as a Double.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
