/// How merge operands combine into a value. Flink registers "stringappendtest" (FRocksDB's
/// `StringAppendTESTOperator` with delimiter ','): a ListState append is one operand, the list is the operands
/// older to newer joined by one ',' byte, after the base value when there is one (even an empty one).
public enum RocksDBMergeOperator: Sendable, Equatable {
    case stringAppend(delimiter: UInt8)

    /// Flink's merge operator.
    public static let flink = RocksDBMergeOperator.stringAppend(delimiter: UInt8(ascii: ","))

    /// The operator a table's `rocksdb.merge.operator` property names, nil for one Cairn does not know.
    public init?(name: String) {
        switch name {
        case "stringappendtest", "StringAppendTESTOperator", "stringappend", "StringAppendOperator": self = .flink
        default: return nil
        }
    }

    /// Full merge: `base` (nil when the key had no value) then `operands` oldest first.
    public func merge(base: ArraySlice<UInt8>?, operands: [ArraySlice<UInt8>]) -> [UInt8] {
        switch self {
        case .stringAppend(let delimiter):
            var out: [UInt8] = []
            out.reserveCapacity((base?.count ?? 0) + operands.reduce(0) { $0 + $1.count + 1 })
            var first = true
            if let base {
                out += base
                first = false
            }
            for op in operands {
                if !first { out.append(delimiter) }
                out += op
                first = false
            }
            return out
        }
    }
}
