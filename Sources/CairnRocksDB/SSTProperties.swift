/// The table properties of an SST (`rocksdb.properties` meta block, `table/table_properties.cc`): counts, the column
/// family, compression, comparator and merge operator names, and the index layout the reader must follow.
///
/// Numbers are varint64 in the block, names raw bytes; `raw` keeps every property, also those not named here.
public struct SSTProperties: Sendable, Equatable {
    public var raw: [String: [UInt8]] = [:]

    public init(raw: [String: [UInt8]] = [:]) { self.raw = raw }

    /// A numeric property (varint64), nil when absent or malformed.
    public func number(_ name: String) -> UInt64? {
        guard let v = raw[name] else { return nil }
        var r = FieldReader(v, from: 0, to: v.count)
        guard let n = r.varint64(), r.atEnd else { return nil }
        return n
    }

    /// A text property, nil when absent.
    public func string(_ name: String) -> String? { raw[name].map { String(decoding: $0, as: UTF8.self) } }

    /// The column family's name: for Flink, the state's name.
    public var columnFamilyName: String? { string("rocksdb.column.family.name") }
    /// The column family's id; nil when absent or RocksDB's "unknown" (0x7fffffff, files written by SstFileWriter).
    public var columnFamilyID: UInt32? {
        guard let n = number("rocksdb.column.family.id"), n < 0x7FFF_FFFF else { return nil }
        return UInt32(n)
    }
    /// Point entries plus range deletions.
    public var numEntries: UInt64? { number("rocksdb.num.entries") }
    public var numDataBlocks: UInt64? { number("rocksdb.num.data.blocks") }
    /// Deletion and SingleDeletion entries (and, in RocksDB's count, range deletions).
    public var deletedKeys: UInt64? { number("rocksdb.deleted.keys") }
    public var mergeOperands: UInt64? { number("rocksdb.merge.operands") }
    public var numRangeDeletions: UInt64? { number("rocksdb.num.range-deletions") }
    public var dataSize: UInt64? { number("rocksdb.data.size") }
    public var indexSize: UInt64? { number("rocksdb.index.size") }
    public var filterSize: UInt64? { number("rocksdb.filter.size") }
    public var rawKeySize: UInt64? { number("rocksdb.raw.key.size") }
    public var rawValueSize: UInt64? { number("rocksdb.raw.value.size") }
    public var formatVersion: UInt64? { number("rocksdb.format.version") }
    public var compressionName: String? { string("rocksdb.compression") }
    public var comparatorName: String? { string("rocksdb.comparator") }
    /// The operator's class name: "StringAppendTESTOperator" for Flink's "stringappendtest"; "nullptr" when none.
    public var mergeOperatorName: String? { string("rocksdb.merge.operator") }
    public var filterPolicyName: String? { string("rocksdb.filter.policy") }
    public var creationTime: UInt64? { number("rocksdb.creation.time") }
    /// Index separators are user keys (not internal keys): format_version ≥ 3 tables usually.
    public var indexKeyIsUserKey: Bool { number("rocksdb.index.key.is.user.key") == 1 }
    /// Index values omit their length and, between restarts, hold only a size delta (format_version ≥ 4).
    public var indexValueIsDeltaEncoded: Bool { number("rocksdb.index.value.is.delta.encoded") == 1 }
    /// `BlockBasedTableOptions::IndexType` (fixed32): 0 binary search, 1 hash search, 2 two-level (partitioned),
    /// 3 binary search with first key. 0 when absent.
    public var indexType: UInt32 {
        guard let v = raw["rocksdb.block.based.table.index.type"], v.count == 4 else { return 0 }
        return le32(v, 0)
    }
}
