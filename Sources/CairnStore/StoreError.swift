import CairnCore

/// A problem with the store's content or with how it is used: a damaged pack, a missing chunk, an unknown
/// snapshot id, a lock held by someone else. Transport failures stay `ObjectStoreError`.
public struct StoreError: CairnError {
    public enum Kind: Sendable, Equatable {
        /// Bytes that fail their checksum or do not decode.
        case corrupt
        /// Something a manifest or index refers to is not there.
        case missing
        /// A store or object written by a newer Cairn.
        case unsupported
        /// A snapshot id that matches nothing, or more than one snapshot.
        case unknownSnapshot
        /// Another process holds a lock that excludes this operation.
        case locked
        /// The source to push cannot be read as asked.
        case source
        /// A file of the source disappeared or changed size while it was pushed (Flink deletes subsumed checkpoints
        /// as it goes); nothing of that snapshot was committed. `place` names the file.
        case vanished
        /// The location holds no Cairn store (no `config`), or holds something else.
        case notAStore
        /// The server ignores conditional writes, so commits could overwrite each other.
        case unsafeServer
    }

    public var kind: Kind
    /// The object key, file or snapshot involved.
    public var place: String
    public var message: String
    public var hint: String?

    public init(_ kind: Kind, place: String, message: String, hint: String? = nil) {
        self.kind = kind
        self.place = place
        self.message = message
        self.hint = hint
    }

    /// A damaged store is a finding (1); a lock, a bad id or an unreadable source is a usage problem (2).
    public var exitStatus: Int32 {
        switch kind {
        case .corrupt, .missing, .unsupported: 1
        case .unknownSnapshot, .locked, .source, .vanished, .notAStore, .unsafeServer: 2
        }
    }

    public var description: String {
        var s = "\(place): \(message)"
        if let hint { s += " (\(hint))" }
        return s
    }
}
