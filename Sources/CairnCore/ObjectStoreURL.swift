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
}
