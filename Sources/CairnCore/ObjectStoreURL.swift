/// The one place that recognizes object-store URLs in arguments and paths.
public enum ObjectStoreURL {
    /// Schemes Flink writes for S3 (`s3a` and `s3p` name its Hadoop and Presto file systems).
    public static let s3Schemes = ["s3", "s3a", "s3p"]

    /// The scheme of `text` when it is an S3 URL (`s3://`, `s3a://`, `s3p://`), else nil.
    public static func s3Scheme(_ text: String) -> String? {
        s3Schemes.first { text.hasPrefix($0 + "://") }
    }

    /// True for `s3://`, `s3a://` and `s3p://` URLs.
    public static func isS3(_ text: String) -> Bool { s3Scheme(text) != nil }

    /// Whether `text` is a URL with user information (`scheme://user:password@host…`), which Cairn never uses: a
    /// password there would end up in shell history, process listings and messages.
    public static func hasUserInfo(_ text: String) -> Bool { userInfoRange(text) != nil }

    /// `text` with the user information of a URL replaced by `***` (and control characters escaped), for messages.
    public static func redacted(_ text: String) -> String {
        var t = text
        if let r = userInfoRange(t) { t.replaceSubrange(r, with: "***") }
        return RelativePath.printable(t)
    }

    /// The `user:password` part between `://` and the last `@` of the authority, if any.
    private static func userInfoRange(_ text: String) -> Range<String.Index>? {
        guard let scheme = text.firstRange(of: "://") else { return nil }
        let authorityEnd = text[scheme.upperBound...].firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? text.endIndex
        guard let at = text[scheme.upperBound..<authorityEnd].lastIndex(of: "@") else { return nil }
        return scheme.upperBound..<at
    }
}
