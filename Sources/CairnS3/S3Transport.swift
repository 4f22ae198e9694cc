import AsyncHTTPClient
import CairnCore
import CairnStore
import Crypto
import Foundation
import NIOCore
import NIOHTTP1

/// Sends signed S3 requests for one bucket: builds the URL, signs each attempt afresh (the date is part of the
/// signature), keeps at most N requests in flight, and retries what S3 says is transient. Callers get the final
/// response, whatever its status; only transport failures that outlived the retries are thrown.
final class S3Transport: Sendable {
    /// One S3 operation before signing.
    struct Request: Sendable {
        enum Kind: Sendable { case put, get, head, list, delete }

        var kind: Kind
        var method: String
        /// The object's full key (store prefix included); nil for a request on the bucket itself.
        var key: String?
        var query: [(String, String)] = []
        /// Extra headers to send and sign (Range, If-None-Match, Content-Type).
        var headers: [(String, String)] = []
        var body: ArraySlice<UInt8> = []
        /// Send Content-MD5 so a server that checks it refuses a body damaged on the way (multipart parts).
        var sendContentMD5 = false
        /// Send `x-amz-checksum-sha256`, the payload hash already computed for the signature, so a server that
        /// checks it refuses a damaged body without the cost of an MD5 pass (single PUTs).
        var sendSHA256Checksum = false
        /// CompleteMultipartUpload can answer 200 and still carry an `<Error>`.
        var errorMayHideIn200 = false
        /// Bytes to reserve for the response body, when known.
        var expectedBodySize = 0
    }

    /// The final answer to a request.
    struct Response: Sendable {
        var status: Int
        var headers: HTTPHeaders
        var body: [UInt8]
        /// Attempts made; more than one means an earlier one may have reached the server.
        var attempts: Int
        /// From the XML error body, when the answer is an error.
        var errorCode: String?
        var errorMessage: String?

        func header(_ name: String) -> String? { headers.first(name: name) }
    }

    let configuration: S3Configuration
    let bucket: String
    let endpoint: S3Endpoint
    let pathStyle: Bool
    /// For messages: the custom endpoint, or nil on AWS.
    let customEndpoint: String?
    private let signer: SigV4Signer
    private let http: HTTPClient
    private let limiter: ConcurrencyLimiter
    let counts = Locked(RequestCounts())
    let retries = Locked(0)
    private let shutDown = Locked(false)

    init(bucket: String, configuration: S3Configuration) throws(ObjectStoreError) {
        self.configuration = configuration
        self.bucket = bucket
        let base: S3Endpoint
        if let e = configuration.endpoint {
            guard let parsed = S3Endpoint(e) else {
                throw ObjectStoreError(.configuration, place: e, message: "not an http:// or https:// URL with a host")
            }
            base = parsed
            customEndpoint = parsed.description
        } else {
            let domain = configuration.region.hasPrefix("cn-") ? "amazonaws.com.cn" : "amazonaws.com"
            base = S3Endpoint(secure: true, host: "s3.\(configuration.region).\(domain)", port: nil)
            customEndpoint = nil
        }
        switch configuration.addressingStyle {
        case .path: pathStyle = true
        case .virtualHosted: pathStyle = false
        case .automatic: pathStyle = configuration.endpoint != nil || bucket.contains(".")
        }
        endpoint = pathStyle ? base : base.prefixingHost(with: bucket)
        signer = SigV4Signer(credentials: configuration.credentials, region: configuration.region, service: "s3")
        limiter = ConcurrencyLimiter(limit: configuration.maxConcurrentRequests)

        var pool = HTTPClient.Configuration.ConnectionPool(
            idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: max(1, configuration.maxConcurrentRequests))
        pool.retryConnectionEstablishment = false  // a refused connection is our retry policy's business
        var client = HTTPClient.Configuration(
            timeout: .init(connect: Self.amount(configuration.connectTimeout), read: Self.amount(configuration.requestTimeout)),
            connectionPool: pool)
        client.httpVersion = .http1Only  // parallel part uploads want separate TCP connections
        client.redirectConfiguration = .disallow  // S3 redirects mean a wrong region; say so instead
        http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: client)
    }

    deinit {
        // A store dropped without close(): shut the client down anyway (AsyncHTTPClient traps in debug builds
        // when a running client is released). The task keeps it alive until then.
        if !shutDown.withLock({ $0 }) {
            let client = http
            Task { try? await client.shutdown() }
        }
    }

    func shutdown() async {
        let first = shutDown.withLock { done in
            defer { done = true }
            return !done
        }
        if first { try? await http.shutdown() }
    }

    private static func amount(_ seconds: Double) -> TimeAmount {
        .milliseconds(Int64(min(max(seconds, 0.001), 86_400) * 1000))
    }

    /// `s3://bucket/key`, and the endpoint when it is not AWS.
    func place(_ key: String?) -> String {
        let s = "s3://\(bucket)/\(key ?? "")"
        return customEndpoint.map { "\(s) at \($0)" } ?? s
    }

    // MARK: - sending

    /// Sends `request`, retrying transient failures under the configured policy.
    func send(_ request: Request) async throws(ObjectStoreError) -> Response {
        // Bodies are in memory, so sign the real payload hash (S3 then rejects a body changed on the way).
        let digest = Array(SHA256.hash(data: request.body))
        let payloadHash = Hex.encode(digest)
        let md5 = request.sendContentMD5 ? Data(Insecure.MD5.hash(data: request.body)).base64EncodedString() : nil
        let sha256 = request.sendSHA256Checksum ? Data(digest).base64EncodedString() : nil
        let policy = configuration.retry
        let clock = ContinuousClock()
        let start = clock.now
        var attempt = 0
        while true {
            attempt += 1
            let outcome = await attemptOnce(request, payloadHash: payloadHash, contentMD5: md5, checksumSHA256: sha256, attempts: attempt)
            switch outcome {
            case .success(let response):
                if !Self.isRetryable(response) || attempt >= policy.maxAttempts { return response }
            case .failure(let failure):
                if !failure.retryable || attempt >= policy.maxAttempts {
                    throw ObjectStoreError(
                        .transport, place: place(request.key),
                        message: "\(request.method) failed after \(attempt) attempt\(attempt == 1 ? "" : "s"): \(failure.description)",
                        hint: customEndpoint.map { "is the server at \($0) running?" })
                }
            }
            let delay = policy.delay(afterAttempt: attempt, unit: Double.random(in: 0..<1))
            let elapsed = start.duration(to: clock.now)
            if elapsed + .milliseconds(Int64(delay * 1000)) > .milliseconds(Int64(policy.totalBudget * 1000)) {
                // Out of time: hand back what we have.
                switch outcome {
                case .success(let response): return response
                case .failure(let failure):
                    throw ObjectStoreError(
                        .transport, place: place(request.key),
                        message: "\(request.method) failed after \(attempt) attempts in \(Int(policy.totalBudget)) s: \(failure.description)")
                }
            }
            retries.withLock { $0 += 1 }
            do {
                try await Task.sleep(for: .milliseconds(Int64(delay * 1000)))
            } catch {
                throw ObjectStoreError(.transport, place: place(request.key), message: "\(request.method) cancelled")
            }
        }
    }

    private struct TransportFailure: Error {
        var description: String
        var retryable: Bool
    }

    private func attemptOnce(
        _ request: Request, payloadHash: String, contentMD5: String?, checksumSHA256: String?, attempts: Int
    ) async -> Result<Response, TransportFailure> {
        let (url, headers) = signedRequest(request, payloadHash: payloadHash, contentMD5: contentMD5, checksumSHA256: checksumSHA256)
        var r = HTTPClientRequest(url: url)
        r.method = HTTPMethod(rawValue: request.method)
        for (name, value) in headers { r.headers.add(name: name, value: value) }
        if request.method == "PUT" || request.method == "POST" || !request.body.isEmpty {
            r.body = .bytes(request.body)
        }

        await limiter.acquire()
        counts.withLock { c in
            switch request.kind {
            case .put: c.puts += 1
            case .get: c.gets += 1
            case .head: c.heads += 1
            case .list: c.lists += 1
            case .delete: c.deletes += 1
            }
            c.bytesSent += UInt64(request.body.count)
        }
        let result: Result<Response, TransportFailure>
        do {
            let response = try await http.execute(r, timeout: Self.amount(configuration.requestTimeout))
            var body: [UInt8] = []
            if request.method != "HEAD" {
                let declared = response.headers.first(name: "content-length").flatMap { Int($0) } ?? request.expectedBodySize
                body.reserveCapacity(min(max(declared, 0), 1 << 30))
                for try await buffer in response.body {
                    body.append(contentsOf: buffer.readableBytesView)
                }
            }
            let received = UInt64(body.count)
            counts.withLock { $0.bytesReceived += received }
            var answer = Response(status: Int(response.status.code), headers: response.headers, body: body, attempts: attempts)
            if answer.status >= 300 || (request.errorMayHideIn200 && answer.status == 200) {
                if let root = S3XMLElement.parse(body), root.name == "Error" {
                    answer.errorCode = root.text("Code")
                    answer.errorMessage = root.text("Message")
                    if answer.status == 200 { answer.status = 500 }  // an error hidden in a 200
                }
            }
            result = .success(answer)
        } catch {
            result = .failure(Self.classify(error))
        }
        await limiter.release()
        return result
    }

    /// The URL and the headers, Authorization included, for one attempt.
    func signedRequest(_ request: Request, payloadHash: String, contentMD5: String?, checksumSHA256: String? = nil) -> (String, [(String, String)]) {
        var path = pathStyle ? "/" + bucket : ""
        if let key = request.key { path += "/" + key } else if !pathStyle { path = "/" }
        var headers: [(String, String)] = [("host", endpoint.authority)]
        headers += request.headers
        if let contentMD5 { headers.append(("content-md5", contentMD5)) }
        if let checksumSHA256 { headers.append(("x-amz-checksum-sha256", checksumSHA256)) }
        let now = SigV4Signer.Timestamp(epochSeconds: Int64(Date().timeIntervalSince1970))
        let signed = signer.sign(
            SigV4Signer.Request(method: request.method, path: path, query: request.query, headers: headers),
            payloadHash: payloadHash, at: now, options: .s3)
        let query = Self.canonicalQuery(request.query)
        var url = endpoint.scheme + "://" + endpoint.authority
        url += SigV4Signer.encode(path, keepSlash: true)
        if !query.isEmpty { url += "?" + query }
        return (url, signed.headers)
    }

    /// The query as the signer encodes it: each name and value percent-encoded, sorted, joined with `&`.
    static func canonicalQuery(_ items: [(String, String)]) -> String {
        var pairs: [(String, String)] = []
        for (name, value) in items {
            pairs.append((SigV4Signer.encode(name, keepSlash: false), SigV4Signer.encode(value, keepSlash: false)))
        }
        pairs.sort { a, b in a.0 != b.0 ? a.0 < b.0 : a.1 < b.1 }
        var parts: [String] = []
        for (name, value) in pairs { parts.append(name + "=" + value) }
        return parts.joined(separator: "&")
    }

    // MARK: - what to retry

    /// S3 error codes that mean "try again later", whatever the status.
    static let retryableCodes: Set<String> = [
        "SlowDown", "RequestTimeout", "InternalError", "ServiceUnavailable", "Throttling", "ThrottlingException",
        "RequestThrottled", "RequestLimitExceeded", "ConditionalRequestConflict", "OperationAborted",
    ]

    static func isRetryable(_ r: Response) -> Bool {
        if let code = r.errorCode, retryableCodes.contains(code) { return true }
        switch r.status {
        case 500, 502, 503, 504, 408, 429: return true
        default: return false
        }
    }

    private static func classify(_ error: any Error) -> TransportFailure {
        if error is CancellationError { return TransportFailure(description: "cancelled", retryable: false) }
        if let e = error as? HTTPClientError {
            let permanent: [HTTPClientError] = [
                .cancelled, .invalidURL, .emptyHost, .emptyScheme, .alreadyShutdown, .redirectLimitReached,
                .redirectCycleDetected, .traceRequestWithBody,
            ]
            if permanent.contains(e) { return TransportFailure(description: e.description, retryable: false) }
            return TransportFailure(description: e.description, retryable: true)
        }
        // A host name that does not resolve is a typo far more often than a DNS hiccup: say so at once.
        let text = String(describing: error)
        if text.contains("UnknownHost") {
            return TransportFailure(description: text + " (is the endpoint or bucket name right?)", retryable: false)
        }
        // NIO's IOError (connection reset, refused, broken pipe), ChannelError, NIOConnectionError: all transient.
        return TransportFailure(description: text, retryable: true)
    }
}
