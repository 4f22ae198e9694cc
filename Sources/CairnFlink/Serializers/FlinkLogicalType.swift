/// A Flink SQL `LogicalType` as read from its Java-serialized form in a `RowDataSerializer` snapshot: the root
/// (from the class), nullability, and the parameters that decide the binary layout (precision, scale, length,
/// element and field types).
public struct FlinkLogicalType: Sendable, Equatable, CustomStringConvertible {
    public enum Root: String, Sendable, Equatable {
        case boolean = "BOOLEAN", tinyint = "TINYINT", smallint = "SMALLINT", integer = "INT", bigint = "BIGINT"
        case float = "FLOAT", double = "DOUBLE", decimal = "DECIMAL"
        case char = "CHAR", varchar = "VARCHAR", binary = "BINARY", varbinary = "VARBINARY"
        case date = "DATE", time = "TIME", timestamp = "TIMESTAMP", timestampLTZ = "TIMESTAMP_LTZ", timestampTZ = "TIMESTAMP_TZ"
        case array = "ARRAY", multiset = "MULTISET", map = "MAP", row = "ROW", raw = "RAW", null = "NULL"
        case unknown = "UNKNOWN"
    }

    public var root: Root
    public var nullable: Bool
    /// DECIMAL/TIME/TIMESTAMP precision.
    public var precision: Int?
    public var scale: Int?
    /// CHAR/VARCHAR/BINARY/VARBINARY length.
    public var length: Int?
    /// ARRAY/MULTISET: [element]; MAP: [key, value]; ROW: the fields.
    public var children: [FlinkLogicalType]
    /// ROW field names.
    public var fieldNames: [String]
    /// The Java class, e.g. `org.apache.flink.table.types.logical.IntType`.
    public var className: String

    public init(root: Root, nullable: Bool = true, precision: Int? = nil, scale: Int? = nil, length: Int? = nil,
                children: [FlinkLogicalType] = [], fieldNames: [String] = [], className: String? = nil) {
        self.root = root
        self.nullable = nullable
        self.precision = precision
        self.scale = scale
        self.length = length
        self.children = children
        self.fieldNames = fieldNames
        self.className = className ?? "org.apache.flink.table.types.logical." + (Self.classNames.first { $0.value == root }?.key ?? "LogicalType")
    }

    static let classNames: [String: Root] = [
        "BooleanType": .boolean, "TinyIntType": .tinyint, "SmallIntType": .smallint, "IntType": .integer, "BigIntType": .bigint,
        "FloatType": .float, "DoubleType": .double, "DecimalType": .decimal, "CharType": .char, "VarCharType": .varchar,
        "BinaryType": .binary, "VarBinaryType": .varbinary, "DateType": .date, "TimeType": .time, "TimestampType": .timestamp,
        "LocalZonedTimestampType": .timestampLTZ, "ZonedTimestampType": .timestampTZ, "ArrayType": .array, "MultisetType": .multiset,
        "MapType": .map, "RowType": .row, "RawType": .raw, "NullType": .null,
    ]

    /// `INT NOT NULL`, `DECIMAL(10, 2)`, `ROW<a INT, b VARCHAR(5)>`.
    public var description: String {
        var s = root.rawValue
        switch root {
        case .decimal: s += "(\(precision ?? 10), \(scale ?? 0))"
        case .char, .varchar, .binary, .varbinary: if let length { s += "(\(length))" }
        case .time, .timestamp, .timestampLTZ, .timestampTZ: if let precision { s += "(\(precision))" }
        case .array, .multiset: s += "<" + (children.first?.description ?? "?") + ">"
        case .map: s += "<" + children.map(\.description).joined(separator: ", ") + ">"
        case .row: s += "<" + zip(fieldNames, children).map { "\($0) \($1)" }.joined(separator: ", ") + ">"
        default: break
        }
        return nullable ? s : s + " NOT NULL"
    }

    /// Whether a value of this type lives in the 8-byte slot of a `BinaryRowData` (`BinaryRowData.isInFixedLengthPart`).
    public var isInFixedLengthPart: Bool {
        switch root {
        case .boolean, .tinyint, .smallint, .integer, .bigint, .float, .double, .date, .time: true
        case .decimal: (precision ?? 10) <= 18
        case .timestamp, .timestampLTZ: (precision ?? 6) <= 3
        default: false
        }
    }

    /// Reads a `LogicalType` object out of a parsed Java serialization stream; nil when the value is not one.
    static func from(_ value: JavaSerializationStream.Value, in stream: JavaSerializationStream, depth: Int = 0) -> FlinkLogicalType? {
        guard depth < 32, let o = stream.object(value) else { return nil }
        let simple = String(o.className.split(separator: ".").last ?? "")
        var t = FlinkLogicalType(root: classNames[simple] ?? .unknown, className: o.className)
        func int(_ k: String) -> Int? { if case .integer(let v)? = o.fields[k] { return Int(v) } else { return nil } }
        if case .integer(let n)? = o.fields["isNullable"] { t.nullable = n != 0 }
        t.length = int("length")
        t.precision = int("precision")
        t.scale = int("scale")
        switch t.root {
        case .array, .multiset:
            if let e = o.fields["elementType"], let et = from(e, in: stream, depth: depth + 1) { t.children = [et] }
        case .map:
            if let k = o.fields["keyType"], let v = o.fields["valueType"], let kt = from(k, in: stream, depth: depth + 1),
               let vt = from(v, in: stream, depth: depth + 1) { t.children = [kt, vt] }
        case .row:
            if let f = o.fields["fields"], let items = stream.listElements(f) {
                for item in items {
                    guard let field = stream.object(item), let ty = field.fields["type"], let ft = from(ty, in: stream, depth: depth + 1) else { continue }
                    t.children.append(ft)
                    t.fieldNames.append(field.fields["name"].flatMap { stream.string($0) } ?? "f\(t.children.count - 1)")
                }
            }
        default: break
        }
        return t
    }
}
