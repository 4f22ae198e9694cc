/// What `SSTFile.verifyChecksums()` checked: how many blocks of each kind and how many bytes (with trailers).
public struct SSTChecksumReport: Sendable, Equatable {
    public var blocks: Int = 0
    public var bytes: UInt64 = 0
    /// Block count per kind: "data", "index", "index-partition", "metaindex", "properties", "range-del", "filter", …
    public var blocksByKind: [String: Int] = [:]
    /// Whether the footer carries its own checksum (format_version 6) and it was checked.
    public var footerChecked = false

    public init() {}

    mutating func add(_ kind: String, size: UInt64) {
        blocks += 1
        bytes += size + BlockHandle.trailerSize
        blocksByKind[kind, default: 0] += 1
    }
}
