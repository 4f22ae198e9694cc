import CairnCore
import CairnStore

/// A STORE argument, classified once: a local directory or an `s3://bucket/prefix`.
public enum StoreLocation: Sendable, Equatable, CustomStringConvertible {
    case directory(String)
    case s3(String)

    /// Classifies `argument`; any other URL scheme is a usage error.
    public init(_ argument: String) throws(UsageError) {
        if ObjectStoreURL.hasUserInfo(argument) {
            throw UsageError("\(ObjectStoreURL.redacted(argument)): credentials in a URL are refused (they would show in process lists and logs); "
                + "give them with AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or --profile")
        } else if ObjectStoreURL.isS3(argument) {
            self = .s3(argument)
        } else if argument.contains("://") {
            throw UsageError("\(ObjectStoreURL.redacted(argument)): stores are local directories or s3://bucket/prefix URLs")
        } else {
            self = .directory(argument)
        }
    }

    /// The argument as the user gave it.
    public var description: String {
        switch self {
        case .directory(let path): path
        case .s3(let url): url
        }
    }

    /// Opens the store, runs `body`, and closes the store's connections whether `body` returns or throws.
    /// With `create`, a new store is made where there is none.
    public func withStore<T>(create: Bool = false, s3: S3Options = S3Options(), _ body: (SnapshotStore) async throws -> T) async throws -> T {
        let store = try await StoreOpener.open(self, create: create, s3: s3)
        let result: Result<T, any Error>
        do { result = .success(try await body(store)) } catch { result = .failure(error) }
        await store.objects.close()
        return try result.get()
    }
}

/// How to reach S3, from the command line; everything else comes from AWS_* variables and ~/.aws.
public struct S3Options: Sendable {
    public var endpoint: String?
    public var profile: String?
    /// The bucket's region (beats AWS_REGION / AWS_DEFAULT_REGION and the profile's).
    public var region: String?

    /// Keep index objects in the local cache (`IndexCache.standard`; `--no-cache` turns it off).
    public var indexCache: Bool

    public init(endpoint: String? = nil, profile: String? = nil, region: String? = nil, indexCache: Bool = true) {
        self.endpoint = endpoint
        self.profile = profile
        self.region = region
        self.indexCache = indexCache
    }
}
