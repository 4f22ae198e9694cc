import CairnCore
/// A flat key → bytes namespace: a local directory or an S3 bucket prefix. The store's layout (`config`,
/// `packs/…`, `index/…`, `snapshots/…`, `locks/…`) lives on top of this and is the same on both.
///
/// Keys are relative, `/`-separated, and made only by CairnStore (no `..`, no leading `/`). Implementations retry
/// transient failures themselves; what they throw is final.
public protocol ObjectStore: Sendable {
    /// Where this store is, for messages: a directory path or `s3://bucket/prefix`.
    var location: String { get }

    /// Writes `data` under `key`, replacing what is there. Readers see either the old or the new object, never a
    /// part of one. Used for content-addressed objects, where a replacement has identical bytes.
    func put(_ key: String, data: [UInt8]) async throws(ObjectStoreError)

    /// Writes `data` under `key` only if nothing is there yet (S3 `If-None-Match: *`; locally link/rename without
    /// replace). Two racing writers: exactly one gets `.created`.
    func create(_ key: String, data: [UInt8]) async throws(ObjectStoreError) -> CreateOutcome

    /// The whole object. Throws `.notFound` when absent.
    func get(_ key: String) async throws(ObjectStoreError) -> [UInt8]

    /// `count` bytes at `offset` (an S3 ranged GET). Throws when the object is shorter than asked.
    func get(_ key: String, offset: UInt64, count: Int) async throws(ObjectStoreError) -> [UInt8]

    /// Size and modification time, or nil when absent.
    func head(_ key: String) async throws(ObjectStoreError) -> ObjectInfo?

    /// Every object whose key starts with `prefix`, sorted by key.
    func list(prefix: String) async throws(ObjectStoreError) -> [ObjectInfo]

    /// Removes `key`; removing an absent key is not an error.
    func delete(_ key: String) async throws(ObjectStoreError)

    /// Whether `create` really refuses to replace. Local directories always do; an S3-compatible server may ignore
    /// `If-None-Match` (rclone does), which `probeConditionalCreate` finds out.
    func probeConditionalCreate() async throws(ObjectStoreError) -> Bool

    /// Requests made so far by kind, for push reports and benchmarks.
    var requestCounts: RequestCounts { get }

    /// Releases connections and threads. Call once, after the last request.
    func close() async

    /// Removes what writers killed mid-write left behind and no live writer holds (a local store's temporary
    /// files); returns how many. Push and prune call it under their lock.
    func removeAbandonedTemporaries() async -> Int
}

extension ObjectStore {
    public func close() async {}
    public func removeAbandonedTemporaries() async -> Int { 0 }
}

/// What `ObjectStore.create` did.
public enum CreateOutcome: Sendable, Equatable {
    case created
    /// Something was already stored under the key; nothing was written.
    case alreadyExists
}

/// One stored object as a listing or HEAD reports it.
public struct ObjectInfo: Sendable, Equatable {
    public var key: String
    public var size: UInt64
    /// Seconds since 1970, as the backend reports the last write.
    public var modified: Double

    public init(key: String, size: UInt64, modified: Double) {
        self.key = key
        self.size = size
        self.modified = modified
    }
}

/// Requests made to a store, counted by kind, and the payload bytes sent.
public struct RequestCounts: Sendable, Equatable {
    public var puts = 0
    public var gets = 0
    public var heads = 0
    public var lists = 0
    public var deletes = 0
    public var bytesSent: UInt64 = 0
    public var bytesReceived: UInt64 = 0
    /// Requests sent again after a transient failure (S3: 5xx, SlowDown, a reset or timed-out connection); each
    /// retry also counts in its kind above.
    public var retries = 0

    public init() {}

    public var total: Int { puts + gets + heads + lists + deletes }

    public static func - (a: RequestCounts, b: RequestCounts) -> RequestCounts {
        var d = RequestCounts()
        d.puts = a.puts - b.puts
        d.gets = a.gets - b.gets
        d.heads = a.heads - b.heads
        d.lists = a.lists - b.lists
        d.deletes = a.deletes - b.deletes
        d.bytesSent = a.bytesSent &- b.bytesSent
        d.bytesReceived = a.bytesReceived &- b.bytesReceived
        d.retries = a.retries - b.retries
        return d
    }
}

/// A store operation that failed for good (after the backend's own retries).
public struct ObjectStoreError: CairnError {
    public enum Kind: Sendable, Equatable {
        /// The key does not exist.
        case notFound
        /// Credentials missing, wrong or not allowed (HTTP 403/401, or a local permission error).
        case accessDenied
        /// The bucket or the directory of the store does not exist.
        case noSuchStore
        /// The object is shorter than the range asked for, or otherwise not what was expected.
        case shortRead
        /// Configuration: a bad URL, missing region or credentials.
        case configuration
        /// The server answered with an error that retrying did not cure.
        case server
        /// The network: connection refused, reset, timed out — after retries.
        case transport
        /// A local file-system error.
        case io
    }

    public var kind: Kind
    /// The store location and key (or URL) involved.
    public var place: String
    /// What happened, in words, with the server's code and status when there was one.
    public var message: String
    /// What the user can do about it, when there is something to say.
    public var hint: String?

    public init(_ kind: Kind, place: String, message: String, hint: String? = nil) {
        self.kind = kind
        self.place = place
        self.message = message
        self.hint = hint
    }

    public var description: String {
        var s = "\(place): \(message)"
        if let hint { s += " (\(hint))" }
        return s
    }
}

/// Checks a key made from outside input (a snapshot id typed by a user, a name read from a listing) before it is
/// used as a path or an S3 key: `RelativePath.problem` (no `..`, no absolute paths, no empty or dot segments, no
/// control characters). Both object stores and the manifest decoder use it, so the rule lives in one place.
public func validateStoreKey(_ key: String) -> Bool {
    RelativePath.isSafe(key)
}

/// The refusal of an unsafe key, naming it printably and saying why.
public func unsafeKeyError(_ key: String, place: String) -> ObjectStoreError {
    ObjectStoreError(.configuration, place: place,
                     message: "refusing unsafe object key \"\(RelativePath.printable(key))\": it \(RelativePath.problem(key) ?? "is unsafe")",
                     hint: "object keys are made by Cairn; this one came from a damaged or hostile store, or a bad argument")
}

extension ObjectStore {
    /// Throws `unsafeKeyError` when `key` is not a safe store key.
    public func checkKey(_ key: String) throws(ObjectStoreError) {
        guard validateStoreKey(key) else { throw unsafeKeyError(key, place: location) }
    }
}

extension ObjectStoreError {
    /// Transport and permission failures: the request could not be carried out.
    public var exitStatus: Int32 { 2 }
}
