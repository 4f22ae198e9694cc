import CairnCore
import Crypto

/// AWS credentials: an access key, its secret, and for temporary credentials a session token.
public struct AWSCredentials: Sendable, Equatable {
    public var accessKeyId: String
    public var secretAccessKey: String
    public var sessionToken: String?

    public init(accessKeyId: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }
}

/// Signs HTTP requests with AWS Signature Version 4 (header form), written here because no AWS SDK exists for this
/// toolchain; it passes AWS's published SigV4 test suite (Tests/CairnStoreTests/aws-sig-v4-test-suite).
public struct SigV4Signer: Sendable {
    public var credentials: AWSCredentials
    public var region: String
    public var service: String

    public init(credentials: AWSCredentials, region: String, service: String = "s3") {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// A request as it goes on the wire: `path` unencoded (it is encoded here), `query` as (name, value) pairs
    /// unencoded, headers in order (duplicates allowed).
    public struct Request: Sendable {
        public var method: String
        public var path: String
        public var query: [(String, String)]
        public var headers: [(String, String)]

        public init(method: String, path: String, query: [(String, String)] = [], headers: [(String, String)] = []) {
            self.method = method
            self.path = path
            self.query = query
            self.headers = headers
        }
    }

    /// A UTC time as SigV4 prints it.
    public struct Timestamp: Sendable, Equatable {
        public var time: CivilTime

        public init(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) {
            time = CivilTime(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        }

        /// Seconds since the Unix epoch, UTC.
        public init(epochSeconds t: Int64) { time = CivilTime(epochSeconds: t) }

        /// `yyyyMMdd`.
        public var date: String { CivilTime.pad(time.year, 4) + CivilTime.pad(time.month, 2) + CivilTime.pad(time.day, 2) }
        /// `yyyyMMdd'T'HHmmss'Z'`.
        public var amzDate: String { date + "T" + CivilTime.pad(time.hour, 2) + CivilTime.pad(time.minute, 2) + CivilTime.pad(time.second, 2) + "Z" }
    }

    /// Options that differ between services and callers.
    public struct Options: Sendable {
        /// Remove `.`/`..` segments and repeated slashes (every service but S3, whose keys are taken literally).
        public var normalizePath: Bool
        /// Add and sign `x-amz-content-sha256` (S3 requires it).
        public var signPayloadHeader: Bool
        /// Add the session token after signing instead of signing it (some services want that).
        public var omitSessionTokenFromSignature: Bool

        public init(normalizePath: Bool, signPayloadHeader: Bool, omitSessionTokenFromSignature: Bool = false) {
            self.normalizePath = normalizePath
            self.signPayloadHeader = signPayloadHeader
            self.omitSessionTokenFromSignature = omitSessionTokenFromSignature
        }

        /// What S3 expects.
        public static let s3 = Options(normalizePath: false, signPayloadHeader: true)
    }

    /// The value of `x-amz-content-sha256` for a payload that is not hashed.
    public static let unsignedPayload = "UNSIGNED-PAYLOAD"

    public static func sha256Hex(_ data: [UInt8]) -> String { Hex.encode(Array(SHA256.hash(data: data))) }

    /// The request with `x-amz-date`, payload and token headers and `Authorization` added.
    public func sign(_ request: Request, payloadHash: String, at time: Timestamp, options: Options) -> Request {
        var r = request
        r.headers.append(("x-amz-date", time.amzDate))
        if options.signPayloadHeader { r.headers.append(("x-amz-content-sha256", payloadHash)) }
        if let token = credentials.sessionToken, !options.omitSessionTokenFromSignature { r.headers.append(("x-amz-security-token", token)) }
        let (canonical, signedHeaders) = canonicalRequest(r, payloadHash: payloadHash, normalizePath: options.normalizePath)
        let toSign = stringToSign(canonical, at: time)
        let sig = signature(toSign, at: time)
        r.headers.append(("Authorization", "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyId)/\(scope(time)), SignedHeaders=\(signedHeaders), Signature=\(sig)"))
        if let token = credentials.sessionToken, options.omitSessionTokenFromSignature { r.headers.append(("x-amz-security-token", token)) }
        return r
    }

    func scope(_ t: Timestamp) -> String { "\(t.date)/\(region)/\(service)/aws4_request" }

    /// The canonical request and the signed-header list.
    public func canonicalRequest(_ r: Request, payloadHash: String, normalizePath: Bool) -> (String, String) {
        let path = normalizePath ? Self.normalize(r.path) : r.path
        let uri = Self.encode(path.isEmpty ? "/" : path, keepSlash: true)
        let query = r.query.map { (Self.encode($0.0, keepSlash: false), Self.encode($0.1, keepSlash: false)) }
            .sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
            .map { "\($0.0)=\($0.1)" }.joined(separator: "&")
        // Header names lowercased; values trimmed with inner whitespace runs collapsed; duplicates joined by commas.
        var merged: [String: [String]] = [:]
        for (name, value) in r.headers {
            let collapsed = value.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }).joined(separator: " ")
            merged[name.lowercased(), default: []].append(collapsed)
        }
        let names = merged.keys.sorted()
        let headerLines = names.map { "\($0):\(merged[$0]!.joined(separator: ","))\n" }.joined()
        let signed = names.joined(separator: ";")
        return ([r.method, uri, query, headerLines, signed, payloadHash].joined(separator: "\n"), signed)
    }

    public func stringToSign(_ canonicalRequest: String, at t: Timestamp) -> String {
        "AWS4-HMAC-SHA256\n\(t.amzDate)\n\(scope(t))\n\(Self.sha256Hex(Array(canonicalRequest.utf8)))"
    }

    /// The HMAC chain `AWS4`+secret → date → region → service → `aws4_request`, then the string to sign.
    public func signature(_ stringToSign: String, at t: Timestamp) -> String {
        var key = SymmetricKey(data: Array(("AWS4" + credentials.secretAccessKey).utf8))
        for part in [t.date, region, service, "aws4_request"] {
            key = SymmetricKey(data: Array(HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: key)))
        }
        return Hex.encode(Array(HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: key)))
    }

    /// RFC 3986 percent-encoding of everything but unreserved characters (and `/` in paths).
    public static func encode(_ s: String, keepSlash: Bool) -> String {
        var out = ""
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            case UInt8(ascii: "/") where keepSlash:
                out.append("/")
            default:
                out += "%" + String(b >> 4, radix: 16, uppercase: true) + String(b & 15, radix: 16, uppercase: true)
            }
        }
        return out
    }

    /// Removes `.` and `..` segments and empty segments, keeping a trailing slash.
    static func normalize(_ path: String) -> String {
        var out: [Substring] = []
        for seg in path.split(separator: "/", omittingEmptySubsequences: true) {
            if seg == "." { continue }
            if seg == ".." { _ = out.popLast(); continue }
            out.append(seg)
        }
        let trailing = path.hasSuffix("/") && !out.isEmpty
        return "/" + out.joined(separator: "/") + (trailing ? "/" : "")
    }
}
