import CairnCore

/// A problem in a RocksDB file (SST or MANIFEST): which file, where, in which block, what is wrong and what to do.
///
/// Damaged or unsupported input is a finding (exit status 1); only a failure to read the bytes at all is an I/O
/// error (exit status 2).
public struct RocksDBError: CairnError, Equatable {
    public enum Code: String, Sendable, Equatable, CaseIterable {
        case truncated
        case badMagic
        case unsupportedFormatVersion
        case unknownChecksumType
        case checksumMismatch
        case unknownCompression
        case unsupportedCompression
        case decompressionFailed
        case tooLarge
        case corruptBlock
        case corruptProperties
        case unsupportedValueType
        case unsupportedFeature
        case unsupportedComparator
        case unsupportedMergeOperator
        case outOfOrder
        case io
    }

    public var code: Code
    /// The source's name: a path, URL or `<inline …>` label.
    public var file: String
    /// Absolute byte offset in the file where the problem is, when known.
    public var offset: UInt64?
    /// The block involved ("data", "index", "metaindex", "properties", "range-del", "footer", …), when known.
    public var block: String?
    public var message: String
    /// What to do about it; a default per code when nil.
    public var advice: String?

    public init(_ code: Code, _ message: String, file: String, offset: UInt64? = nil, block: String? = nil, advice: String? = nil) {
        self.code = code
        self.message = message
        self.file = file
        self.offset = offset
        self.block = block
        self.advice = advice
    }

    public var exitStatus: Int32 { code == .io ? 2 : 1 }

    public var description: String {
        var place = file
        if let block { place += ", \(block) block" }
        if let offset { place += " at offset \(offset)" }
        return "\(place): \(code.rawValue): \(message). \(advice ?? defaultAdvice)"
    }

    var defaultAdvice: String {
        switch code {
        case .truncated, .badMagic, .checksumMismatch, .corruptBlock, .corruptProperties, .decompressionFailed, .outOfOrder, .tooLarge:
            "The file is damaged or not a RocksDB table; restore it from its origin (the checkpoint's shared/ directory, a store copy) and compare sizes"
        case .unsupportedFormatVersion, .unknownChecksumType, .unknownCompression, .unsupportedCompression, .unsupportedValueType,
             .unsupportedFeature, .unsupportedComparator, .unsupportedMergeOperator:
            "Cairn reads the RocksDB features Flink uses (block-based tables, format_version 0-6, bytewise comparator, none/snappy/lz4/zstd); rewrite the state with Flink's defaults or read it with RocksDB itself"
        case .io:
            "Check that the file exists and is readable"
        }
    }
}
