import CairnCore
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A lock object under `locks/`: pushes, pulls and checks hold shared locks, prune holds an exclusive one, so
/// prune never deletes a pack that a running push has decided to reuse. A holder refreshes its lock every few
/// minutes; a lock not refreshed for `staleAfter`, or left by a dead process on this host, no longer counts.
public struct StoreLock: Codable, Sendable, Equatable {
    public var exclusive: Bool
    public var operation: String
    public var host: String
    public var pid: Int32
    public var createdAt: Double
    public var refreshedAt: Double

    public static let staleAfter: Double = 30 * 60
    public static let refreshEvery: Double = 5 * 60

    public func isStale(now: Double) -> Bool {
        if now - refreshedAt > Self.staleAfter { return true }
        if host == ProcessInfo.processInfo.hostName && pid > 0 && kill(pid, 0) != 0 && errno == ESRCH { return true }
        return false
    }

    public var summary: String {
        let since = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: createdAt))
        return "\(operation) (pid \(pid) on \(host), since \(since))"
    }

    /// Takes a lock, waiting up to `wait` seconds for conflicting ones to go. Exclusive takers also delete stale
    /// locks they find.
    public static func acquire(in store: any ObjectStore, exclusive: Bool, operation: String, wait: Double) async throws -> HeldStoreLock {
        let started = Date().timeIntervalSince1970
        var delay = 0.5
        while true {
            let now = Date().timeIntervalSince1970
            let lock = StoreLock(exclusive: exclusive, operation: operation, host: ProcessInfo.processInfo.hostName,
                                 pid: getpid(), createdAt: now, refreshedAt: now)
            let key = "locks/" + Hex.encode((0..<16).map { _ in UInt8.random(in: 0...255) })
            try await store.put(key, data: lock.encoded())
            var conflict: StoreLock? = nil
            for info in try await store.list(prefix: "locks/") where info.key != key && !info.key.hasPrefix("locks/.") {
                guard let bytes = try? await store.get(info.key),
                      let other = try? JSONDecoder().decode(StoreLock.self, from: Data(bytes))
                else { continue }  // removed meanwhile, or not a lock
                if other.isStale(now: now) {
                    if exclusive { try? await store.delete(info.key) }
                    continue
                }
                if exclusive || other.exclusive { conflict = other; break }
            }
            guard let other = conflict else { return HeldStoreLock(store: store, key: key, lock: lock) }
            try await store.delete(key)
            if Date().timeIntervalSince1970 - started + delay > wait {
                throw StoreError(.locked, place: store.location, message: "the store is in use by \(other.summary)",
                                 hint: exclusive ? "try again when it finishes" : "wait for it to finish, or pass a longer --lock-wait")
            }
            try await Task.sleep(nanoseconds: UInt64(delay * 1e9))
            delay = min(delay * 2, 5)
        }
    }

    func encoded() -> [UInt8] { Array((try? JSONEncoder().encode(self)) ?? Data()) }

    /// Runs `body` holding a lock, and releases it however `body` ends.
    public static func holding<T: Sendable>(in store: any ObjectStore, exclusive: Bool, operation: String, wait: Double,
                                            _ body: () async throws -> T) async throws -> T {
        let lock = try await acquire(in: store, exclusive: exclusive, operation: operation, wait: wait)
        do {
            let result = try await body()
            await lock.release()
            return result
        } catch {
            await lock.release()
            throw error
        }
    }
}

/// A lock this process holds: refreshed in the background until released.
public final class HeldStoreLock: Sendable {
    public let key: String
    private let store: any ObjectStore
    private let refresher: Task<Void, Never>

    init(store: any ObjectStore, key: String, lock: StoreLock) {
        self.store = store
        self.key = key
        refresher = Task {
            var lock = lock
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: UInt64(StoreLock.refreshEvery * 1e9))
                if Task.isCancelled { break }
                lock.refreshedAt = Date().timeIntervalSince1970
                try? await store.put(key, data: lock.encoded())
            }
        }
    }

    /// Stops refreshing and removes the lock object.
    public func release() async {
        refresher.cancel()
        try? await store.delete(key)
    }
}
