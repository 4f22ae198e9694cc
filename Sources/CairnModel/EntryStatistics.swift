/// What a scan of one state's data finds.
public struct EntryStatistics: Sendable, Equatable {
    /// Decoded (uncompressed) bytes.
    public var rawSize: Int64 = 0
    public var entries: Int64 = 0
    public var keyBytes: Int64 = 0
    public var namespaceBytes: Int64 = 0
    public var userKeyBytes: Int64 = 0
    public var valueBytes: Int64 = 0
    /// The largest single entry, encoded.
    public var largestEntry: Int64 = 0
    public var entriesWithTTL: Int64 = 0
    public var distinctKeys: Int64 = 0

    public init() {}
}
