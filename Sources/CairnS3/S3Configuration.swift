import CairnStore

/// Everything an `S3ObjectStore` needs besides the bucket: where the server is, who we are, and how hard to push it.
/// Usually made by `resolve(environment:homeDirectory:endpointOverride:profile:)` from the standard `AWS_*`
/// variables and `~/.aws` files, so Cairn is configured like every other S3 tool.
public struct S3Configuration: Sendable, Equatable, CustomStringConvertible {
    /// How the bucket appears in URLs.
    public enum AddressingStyle: Sendable, Equatable {
        /// Virtual-hosted on AWS (`bucket.s3.region.amazonaws.com`), path-style on custom endpoints, which
        /// rarely have a DNS name per bucket.
        case automatic
        /// `http(s)://host:port/bucket/key`.
        case path
        /// `http(s)://bucket.host:port/key`.
        case virtualHosted
    }

    /// A custom server (`http://127.0.0.1:8333`, MinIO, SeaweedFS, R2, …); nil means AWS itself.
    public var endpoint: String?
    /// Signed into every request; S3-compatible servers mostly accept `us-east-1`.
    public var region: String
    /// Never printed: `description` shows the access key id only.
    public var credentials: AWSCredentials
    public var addressingStyle: AddressingStyle
    /// Requests in flight at once, across all callers of one store (also the HTTP connection pool's size).
    public var maxConcurrentRequests: Int
    /// Objects at least this large go up as multipart uploads; below, one PUT. Packs (~32 MiB) stay below.
    public var multipartThreshold: Int
    /// Size of each multipart part but the last (S3 wants at least 5 MiB).
    public var partSize: Int
    public var retry: S3RetryPolicy
    /// Seconds one attempt of one request may take, body included, before it counts as failed (and is retried).
    public var requestTimeout: Double
    /// Seconds to wait for a TCP connection.
    public var connectTimeout: Double
    /// Keys per ListObjectsV2 page (`max-keys`; S3 caps it at 1000). Tests lower it to exercise pagination.
    public var listPageSize: Int

    public init(
        endpoint: String? = nil,
        region: String,
        credentials: AWSCredentials,
        addressingStyle: AddressingStyle = .automatic,
        maxConcurrentRequests: Int = 8,
        multipartThreshold: Int = 64 << 20,
        partSize: Int = 16 << 20,
        retry: S3RetryPolicy = S3RetryPolicy(),
        requestTimeout: Double = 300,
        connectTimeout: Double = 10,
        listPageSize: Int = 1000
    ) {
        self.endpoint = endpoint
        self.region = region
        self.credentials = credentials
        self.addressingStyle = addressingStyle
        self.maxConcurrentRequests = maxConcurrentRequests
        self.multipartThreshold = multipartThreshold
        self.partSize = partSize
        self.retry = retry
        self.requestTimeout = requestTimeout
        self.connectTimeout = connectTimeout
        self.listPageSize = listPageSize
    }

    /// For logs and test failures: everything but the secret and the session token.
    public var description: String {
        let token = credentials.sessionToken == nil ? "" : " +session token"
        return "S3Configuration(endpoint: \(endpoint ?? "AWS"), region: \(region), access key: \(credentials.accessKeyId)\(token), "
            + "addressing: \(addressingStyle), concurrency: \(maxConcurrentRequests), multipart: \(multipartThreshold)/\(partSize), "
            + "retry: \(retry.maxAttempts)×\(retry.baseDelay)s…\(retry.maxDelay)s within \(retry.totalBudget)s, "
            + "timeouts: \(connectTimeout)s/\(requestTimeout)s, list page: \(listPageSize))"
    }
}
