import CairnCore
import CairnStore
import Crypto
import Foundation

/// A store under an S3 bucket prefix (AWS or any S3-compatible server), over async-http-client with our own SigV4.
/// Object keys are `location.prefix + key`. Requests are retried with backoff and jitter when S3 says they are
/// transient; what this type throws has already outlived the retry policy.
public final class S3ObjectStore: ObjectStore {
    /// The bucket and key prefix.
    public let s3Location: S3Location
    public let configuration: S3Configuration
    let transport: S3Transport

    /// Checks the bucket name and endpoint, and sets up the HTTP client; no request is made yet.
    public init(location: S3Location, configuration: S3Configuration) throws(ObjectStoreError) {
        if ObjectStoreURL.hasUserInfo("s3://" + location.bucket) {
            throw ObjectStoreError(.configuration, place: location.description, message: "credentials in an s3:// URL are refused (they would show in process lists and logs)",
                                   hint: "give them with AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or --profile")
        }
        if let problem = location.prefixProblem {
            throw ObjectStoreError(.configuration, place: location.description, message: "unsafe store location: \(problem)")
        }
        if let problem = location.bucketProblem {
            throw ObjectStoreError(.configuration, place: location.description, message: "bad bucket name: \(problem)")
        }
        guard configuration.partSize >= 5 << 20 else {
            throw ObjectStoreError(
                .configuration, place: location.description,
                message: "multipart part size \(configuration.partSize) is below S3's minimum of 5 MiB")
        }
        guard configuration.multipartThreshold >= 1, configuration.maxConcurrentRequests >= 1, configuration.listPageSize >= 1 else {
            throw ObjectStoreError(
                .configuration, place: location.description,
                message: "the multipart threshold, request concurrency and list page size must be positive")
        }
        self.s3Location = location
        self.configuration = configuration
        self.transport = try S3Transport(bucket: location.bucket, configuration: configuration)
    }

    /// Opens `s3://bucket/prefix` configured from the `AWS_*` variables and `~/.aws` files (see
    /// `S3Configuration.resolve`): what the command line calls for a STORE or SOURCE that is an S3 URL.
    public static func open(
        url: String,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        endpointOverride: String? = nil,
        profile: String? = nil
    ) throws(ObjectStoreError) -> S3ObjectStore {
        guard let location = S3Location(url: url) else {
            throw ObjectStoreError(.configuration, place: ObjectStoreURL.redacted(url), message: "not an S3 URL", hint: "write it as s3://bucket/prefix")
        }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        let configuration = try S3Configuration.resolve(
            environment: environment, homeDirectory: home, endpointOverride: endpointOverride, profile: profile)
        return try S3ObjectStore(location: location, configuration: configuration)
    }

    public var location: String {
        transport.customEndpoint.map { "\(s3Location) at \($0)" } ?? s3Location.description
    }

    public var requestCounts: RequestCounts {
        var counts = transport.counts.withLock { $0 }
        counts.retries = retries
        return counts
    }

    /// Requests sent again after a transient failure (each retry also counts in `requestCounts`).
    public var retries: Int { transport.retries.withLock { $0 } }

    public func close() async { await transport.shutdown() }

    func fullKey(_ key: String) throws(ObjectStoreError) -> String {
        guard validateStoreKey(key) else { throw unsafeKeyError(key, place: transport.place(s3Location.prefix)) }
        return s3Location.prefix + key
    }

    // MARK: - ObjectStore

    public func put(_ key: String, data: [UInt8]) async throws(ObjectStoreError) {
        let k = try fullKey(key)
        if data.count >= configuration.multipartThreshold {
            _ = try await multipartUpload(k, data: data, ifNoneMatch: false)
            return
        }
        let r = try await transport.send(.init(kind: .put, method: "PUT", key: k, body: data[...], sendSHA256Checksum: true))
        guard r.status == 200 else { throw failure(r, key: k, operation: "PUT") }
    }

    public func create(_ key: String, data: [UInt8]) async throws(ObjectStoreError) -> CreateOutcome {
        let k = try fullKey(key)
        if data.count >= configuration.multipartThreshold {
            return try await multipartUpload(k, data: data, ifNoneMatch: true)
        }
        let r = try await transport.send(
            .init(kind: .put, method: "PUT", key: k, headers: [("if-none-match", "*")], body: data[...], sendSHA256Checksum: true))
        switch r.status {
        case 200:
            return .created
        case 412:
            // After a failed attempt, this 412 may be our own earlier write that did land: same bytes, same ETag.
            if r.attempts > 1, try await storedETag(k) == Self.md5Hex(data[...]) { return .created }
            return .alreadyExists
        default:
            throw failure(r, key: k, operation: "PUT (create if absent)")
        }
    }

    public func get(_ key: String) async throws(ObjectStoreError) -> [UInt8] {
        let k = try fullKey(key)
        // A body that does not hash to its ETag (the MD5 of objects written by one PUT) was cut or changed on the
        // way, even when its Content-Length agrees: read it again. Where the ETag is no MD5 (SSE-KMS), every
        // answer disagrees with it but all agree with each other, and the last one is returned.
        var bodies: [[UInt8]] = []
        while true {
            let r = try await transport.send(.init(kind: .get, method: "GET", key: k))
            guard r.status == 200 else { throw failure(r, key: k, operation: "GET") }
            guard let tag = r.header("etag").map({ Self.unquote($0).lowercased() }), tag.count == 32,
                  tag.allSatisfy(\.isHexDigit), Self.md5Hex(r.body[...]) != tag
            else { return r.body }
            bodies.append(r.body)
            if bodies.count >= Self.rereads {
                if bodies.allSatisfy({ $0 == r.body }) { return r.body }
                throw ObjectStoreError(.transport, place: transport.place(k),
                                       message: "\(bodies.count) answers to GET differed from each other and from the object's ETag (MD5): the connection cuts or changes bodies")
            }
            transport.retries.withLock { $0 += 1 }
        }
    }

    /// How many times a GET or LIST whose body is evidently damaged in transit is sent before giving up.
    static let rereads = 4

    public func get(_ key: String, offset: UInt64, count: Int) async throws(ObjectStoreError) -> [UInt8] {
        let k = try fullKey(key)
        guard count > 0 else {
            // No byte range can express zero bytes; the object only has to exist and be long enough.
            guard count == 0 else {
                throw ObjectStoreError(.shortRead, place: transport.place(k), message: "asked for a negative byte count (\(count))")
            }
            guard let info = try await head(key) else {
                throw ObjectStoreError(.notFound, place: transport.place(k), message: "no such object")
            }
            guard offset <= info.size else { throw shortRead(k, offset: offset, count: count, size: info.size) }
            return []
        }
        let (last, overflow) = offset.addingReportingOverflow(UInt64(count) - 1)
        guard !overflow else { throw shortRead(k, offset: offset, count: count, size: nil) }
        var attempt = 1
        while true {
            let r = try await transport.send(
                .init(kind: .get, method: "GET", key: k, headers: [("range", "bytes=\(offset)-\(last)")], expectedBodySize: count))
            switch Self.rangeResult(status: r.status, body: r.body, offset: offset, count: count) {
            case .bytes(let bytes): return bytes
            case .short(let size):
                // A 206 shorter than asked although the object holds the whole range: cut on the way; read again.
                if r.status == 206, size == nil, let total = totalSize(r), total >= offset + UInt64(count), attempt < Self.rereads {
                    attempt += 1
                    transport.retries.withLock { $0 += 1 }
                    continue
                }
                throw shortRead(k, offset: offset, count: count, size: size ?? totalSize(r))
            case .other: throw failure(r, key: k, operation: "GET (range)")
            }
        }
    }

    enum RangeResult: Equatable {
        case bytes([UInt8])
        /// Fewer bytes than asked for; the object's size when the answer tells it.
        case short(UInt64?)
        /// Not an answer to a range request.
        case other
    }

    /// The asked-for bytes from a ranged GET's answer: 206 with exactly `count` bytes, or 200 with the whole object
    /// when the server ignores Range (rclone does), sliced here.
    static func rangeResult(status: Int, body: [UInt8], offset: UInt64, count: Int) -> RangeResult {
        switch status {
        case 206:
            return body.count == count ? .bytes(body) : .short(nil)
        case 200:
            guard UInt64(body.count) >= offset, UInt64(body.count) - offset >= UInt64(count) else { return .short(UInt64(body.count)) }
            let start = Int(offset)
            return .bytes(Array(body[start..<(start + count)]))
        case 416:
            return .short(nil)
        default:
            return .other
        }
    }

    public func head(_ key: String) async throws(ObjectStoreError) -> ObjectInfo? {
        let k = try fullKey(key)
        let r = try await transport.send(.init(kind: .head, method: "HEAD", key: k))
        switch r.status {
        case 200:
            guard let size = r.header("content-length").flatMap(UInt64.init) else {
                throw ObjectStoreError(.server, place: transport.place(k), message: "HEAD answered without a Content-Length")
            }
            let modified = r.header("last-modified").flatMap(S3Time.parseHTTPDate) ?? 0
            return ObjectInfo(key: key, size: size, modified: modified)
        case 404:
            // A HEAD answer has no body, so a missing bucket looks like a missing key here.
            return nil
        default:
            throw failure(r, key: k, operation: "HEAD")
        }
    }

    public func list(prefix: String) async throws(ObjectStoreError) -> [ObjectInfo] {
        let full = s3Location.prefix + prefix
        var out: [ObjectInfo] = []
        var token: String?
        var seenTokens: Set<String> = []
        repeat {
            var query = [("list-type", "2"), ("prefix", full), ("max-keys", String(configuration.listPageSize))]
            if let token { query.append(("continuation-token", token)) }
            var attempt = 1
            var parsed: S3XMLElement? = nil
            while parsed == nil {
                let r = try await transport.send(.init(kind: .list, method: "GET", key: nil, query: query))
                guard r.status == 200 else { throw failure(r, key: full, operation: "LIST") }
                parsed = S3XMLElement.parse(r.body).flatMap { $0.name == "ListBucketResult" ? $0 : nil }
                if parsed == nil {
                    // Cut on the way (the XML does not parse), or not an S3 listing: read it again, then give up.
                    guard attempt < Self.rereads else {
                        throw ObjectStoreError(.server, place: transport.place(full), message: "LIST answered with something that is not a ListBucketResult")
                    }
                    attempt += 1
                    transport.retries.withLock { $0 += 1 }
                }
            }
            guard let root = parsed else { continue }
            for entry in root.children("Contents") {
                guard let key = entry.text("Key"), key.hasPrefix(s3Location.prefix),
                    let size = entry.text("Size").flatMap(UInt64.init)
                else { continue }
                let modified = entry.text("LastModified").flatMap(S3Time.parseISO8601) ?? 0
                out.append(ObjectInfo(key: String(key.dropFirst(s3Location.prefix.count)), size: size, modified: modified))
            }
            token = nil
            if root.text("IsTruncated")?.lowercased() == "true" {
                guard let next = root.text("NextContinuationToken"), !next.isEmpty, seenTokens.insert(next).inserted else {
                    throw ObjectStoreError(
                        .server, place: transport.place(full),
                        message: "LIST said there is more but gave no new continuation token")
                }
                token = next
            }
        } while token != nil
        out.sort { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        return out
    }

    public func delete(_ key: String) async throws(ObjectStoreError) {
        let k = try fullKey(key)
        let r = try await transport.send(.init(kind: .delete, method: "DELETE", key: k))
        switch r.status {
        case 200, 204: return
        case 404 where r.errorCode != "NoSuchBucket": return
        default: throw failure(r, key: k, operation: "DELETE")
        }
    }

    /// Writes a probe object under `locks/` twice with different bytes; the server honours `If-None-Match` when
    /// the second write is refused. The probe is removed either way.
    public func probeConditionalCreate() async throws(ObjectStoreError) -> Bool {
        let nonce = Hex.encode((0..<8).map { _ in UInt8.random(in: 0...255) })
        let key = "locks/.probe-\(nonce)"
        let first = try await create(key, data: Array("cairn probe \(nonce) first\n".utf8))
        guard first == .created else {
            throw ObjectStoreError(.server, place: transport.place(s3Location.prefix + key), message: "a fresh probe key already existed")
        }
        let second: CreateOutcome
        do {
            second = try await create(key, data: Array("cairn probe \(nonce) second\n".utf8))
        } catch {
            try? await delete(key)
            throw error
        }
        try await delete(key)
        return second == .alreadyExists
    }

    /// Creates the bucket, accepting one that we already own. For tests and first-time setup scripts: the
    /// command line never creates buckets, because a typo in a bucket name should fail, not make a new bucket.
    public func createBucketIfMissing() async throws(ObjectStoreError) {
        var body: [UInt8] = []
        if configuration.endpoint == nil, configuration.region != "us-east-1" {
            body = Array(
                "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LocationConstraint>\(configuration.region)</LocationConstraint></CreateBucketConfiguration>"
                    .utf8)
        }
        let r = try await transport.send(.init(kind: .put, method: "PUT", key: nil, body: body[...]))
        if r.status == 200 || r.errorCode == "BucketAlreadyOwnedByYou" { return }
        throw failure(r, key: nil, operation: "create bucket")
    }

    // MARK: - helpers

    static func md5Hex(_ data: ArraySlice<UInt8>) -> String {
        Hex.encode(Array(Insecure.MD5.hash(data: data)))
    }

    /// The stored object's ETag without quotes, lowercased; nil when there is none.
    func storedETag(_ fullKey: String) async throws(ObjectStoreError) -> String? {
        let r = try await transport.send(.init(kind: .head, method: "HEAD", key: fullKey))
        guard r.status == 200, let tag = r.header("etag") else { return nil }
        return Self.unquote(tag).lowercased()
    }

    static func unquote(_ tag: String) -> String {
        var t = Substring(tag)
        if t.hasPrefix("W/") { t = t.dropFirst(2) }
        if t.hasPrefix("\""), t.hasSuffix("\""), t.count >= 2 { t = t.dropFirst().dropLast() }
        return String(t)
    }

    private func totalSize(_ r: S3Transport.Response) -> UInt64? {
        // Content-Range: bytes a-b/total (or bytes */total on 416).
        guard let range = r.header("content-range"), let slash = range.lastIndex(of: "/") else { return nil }
        return UInt64(range[range.index(after: slash)...])
    }

    private func shortRead(_ k: String, offset: UInt64, count: Int, size: UInt64?) -> ObjectStoreError {
        let of = size.map { "a \($0)-byte object" } ?? "the object"
        return ObjectStoreError(.shortRead, place: transport.place(k), message: "asked for \(count) bytes at offset \(offset) of \(of)")
    }

    /// The error for a final answer that was not the expected one.
    func failure(_ r: S3Transport.Response, key: String?, operation: String) -> ObjectStoreError {
        let place = transport.place(key)
        let code = r.errorCode ?? ""
        var what = "HTTP \(r.status)"
        if !code.isEmpty { what += " \(code)" }
        // A server (or a proxy) may echo request headers; the session token travels in one.
        if let m = r.errorMessage, !m.isEmpty { what += ": \(configuration.credentials.redacting(RelativePath.printable(m)))" }
        if r.attempts > 1 { what += " (after \(r.attempts) attempts)" }
        let credentialCodes: Set<String> = [
            "SignatureDoesNotMatch", "InvalidAccessKeyId", "AccessDenied", "InvalidToken", "ExpiredToken",
            "InvalidSecurity",
        ]
        if code == "RequestTimeTooSkewed" {
            return ObjectStoreError(
                .accessDenied, place: place, message: "\(operation) refused: \(what)",
                hint: "this machine's clock is more than 15 minutes off; fix the clock")
        }
        if r.status == 401 || r.status == 403 || credentialCodes.contains(code) {
            let who = code.isEmpty ? "" : " (the server says \(code))"
            return ObjectStoreError(
                .accessDenied, place: place, message: "\(operation) refused\(who): \(what)",
                hint: "check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or the profile")
        }
        if code == "NoSuchBucket" {
            return ObjectStoreError(
                .noSuchStore, place: place, message: "bucket '\(s3Location.bucket)' does not exist: \(what)",
                hint: "check the bucket name and the endpoint, or create the bucket first")
        }
        if code == "PermanentRedirect" || r.status == 301 || code == "AuthorizationHeaderMalformed" {
            let region = r.header("x-amz-bucket-region").map { " (the bucket is in \($0))" } ?? ""
            return ObjectStoreError(
                .configuration, place: place, message: "\(operation): \(what)\(region)",
                hint: "set AWS_REGION to the bucket's region")
        }
        if r.status == 404 && (code == "NoSuchKey" || code.isEmpty) {
            return ObjectStoreError(.notFound, place: place, message: "no such object: \(what)")
        }
        return ObjectStoreError(.server, place: place, message: "\(operation) failed: \(what)")
    }
}
