import CairnCore
import CairnStore

/// A bucket and key prefix, parsed from `s3://bucket/prefix`. The prefix never starts with `/` and, when not
/// empty, ends with one, so object keys are `prefix + key`.
public struct S3Location: Sendable, Equatable, CustomStringConvertible {
    public var bucket: String
    public var prefix: String

    public init(bucket: String, prefix: String) {
        self.bucket = bucket
        var p = prefix
        while p.hasPrefix("/") { p.removeFirst() }
        if !p.isEmpty && !p.hasSuffix("/") { p += "/" }
        self.prefix = p
    }

    /// Parses `s3://bucket` or `s3://bucket/some/prefix`; nil when `url` is not an `s3://` URL.
    public init?(url: String) {
        guard url.hasPrefix("s3://") else { return nil }
        let rest = url.dropFirst(5)
        let bucket = rest.prefix { $0 != "/" }
        guard !bucket.isEmpty else { return nil }
        self.init(bucket: String(bucket), prefix: String(rest.dropFirst(bucket.count)))
    }

    /// Checks the bucket name against S3's rules (3–63 characters of lowercase letters, digits, `.` and `-`,
    /// starting and ending with a letter or digit), so a typo fails before any request.
    public var bucketProblem: String? {
        let b = Array(bucket.utf8)
        guard (3...63).contains(b.count) else { return "bucket names are 3 to 63 characters long" }
        let allowed = b.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E || $0 == 0x2D }
        guard allowed else { return "bucket names use only lowercase letters, digits, '.' and '-'" }
        let ends: (UInt8) -> Bool = { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) }
        guard ends(b[0]), ends(b[b.count - 1]) else { return "bucket names start and end with a letter or digit" }
        return nil
    }

    /// Why the prefix cannot hold a store (a `..` or empty segment, a control character), or nil.
    public var prefixProblem: String? {
        guard !prefix.isEmpty else { return nil }
        return RelativePath.problem(String(prefix.dropLast())).map { "the key prefix \($0)" }
    }

    public var description: String { ObjectStoreURL.redacted("s3://\(bucket)/\(prefix)") }
}
