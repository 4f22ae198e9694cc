/// The typed schema a Flink `TypeSerializerSnapshot` describes, parsed exactly per snapshot class and version
/// (research notes §1–§2). It is what a value decoder needs: Cairn reads state without a JVM, so the snapshot
/// stored beside the data is the only description of its bytes.
public indirect enum FlinkTypeSerializer: Sendable, Equatable {
    case boolean, byte, short, int, long, float, double, char, string
    /// `VoidSerializer`: one zero byte.
    case void
    case bigInteger, bigDecimal
    /// `DateSerializer`, `SqlDateSerializer`, `SqlTimeSerializer`: `long` epoch ms, null = `Long.MIN_VALUE`.
    case date(FlinkDateKind)
    case sqlTimestamp, instant, localDate, localTime, localDateTime
    /// `BytePrimitiveArraySerializer`: `int length` + raw bytes.
    case bytes
    /// Boolean/short/int/long/float/double/char primitive arrays: `int length` + elements.
    case primitiveArray(FlinkTypeSerializer)
    case stringArray
    case genericArray(componentClass: String, element: FlinkTypeSerializer)
    /// Constants in the snapshot's order; values are indexes into it.
    case enumeration(className: String, constants: [String])
    case tuple(className: String, fields: [FlinkTypeSerializer])
    case row(supportsRowKind: Bool, fields: [FlinkTypeSerializer])
    case either(left: FlinkTypeSerializer, right: FlinkTypeSerializer)
    case nullable(paddingLength: Int, inner: FlinkTypeSerializer)
    case pojo(FlinkPojoSchema)
    /// Registrations are skipped; values are Kryo's own stream and stay opaque.
    case kryo(className: String)
    case avro(runtimeClass: String, schema: AvroSchema)
    case list(FlinkTypeSerializer)
    case map(key: FlinkTypeSerializer, value: FlinkTypeSerializer)
    /// State TTL: `long lastAccessTimestamp` then the user value.
    case ttl(FlinkTypeSerializer)
    /// `long start, long end`; `table` for the Table runtime's own TimeWindow.
    case timeWindow(table: Bool)
    case globalWindow(table: Bool)
    /// Table runtime `CountWindow`: `long id`.
    case countWindow
    case voidNamespace
    case timer(key: FlinkTypeSerializer, namespace: FlinkTypeSerializer)
    /// SQL `RowDataSerializer`: a `BinaryRowData` with these logical types.
    case rowData(FlinkRowDataSchema)
    case binaryRowData(fieldCount: Int)
    case stringData
    case decimalData(precision: Int, scale: Int)
    case timestampData(precision: Int)
    /// SQL `ArrayDataSerializer`/`MapDataSerializer`: binary array/map of the given logical types (nil when the
    /// Java-serialized type could not be read).
    case arrayData(element: FlinkLogicalType?)
    case mapData(key: FlinkLogicalType?, value: FlinkLogicalType?)
    /// SQL `RawValueDataSerializer`: `int length` + the inner serializer's bytes (`innerClass` is the inner
    /// serializer's snapshot class). Values stay opaque, as Flink's `RawValueData` does not say what it holds.
    case rawValue(innerClass: String, inner: FlinkTypeSerializer)
    /// SQL `LinkedListSerializer`: `int size`, a null mask (MSB-first, when `nullMask`), the non-null elements.
    case linkedList(element: FlinkTypeSerializer, nullMask: Bool)
    /// SQL `NullAwareMapSerializer`: `int size`, per entry `bool keyIsNull` [key], `bool valueIsNull` [value].
    case nullAwareMap(key: FlinkTypeSerializer, value: FlinkTypeSerializer)
    /// `SetSerializer`: `int size`, per element `bool isNull` [element].
    case set(FlinkTypeSerializer)
    /// SQL `WindowKeySerializer`: `long window` + the key (a RowData); values stay opaque, delimited.
    case windowKey(key: FlinkTypeSerializer)
    /// The Table runtime's `NullSerializer` (the RAW `MapView` placeholder of distinct aggregates): one byte, value null.
    case tableNull
    /// A serializer Cairn does not decode: its values can only be carried as bytes when something frames them.
    case opaque(className: String, version: Int32)

    /// Which `long` millisecond serializer a `.date` is.
    public enum FlinkDateKind: String, Sendable, Equatable { case utilDate, sqlDate, sqlTime }

    /// What Flink's `TypeSerializer.getLength()` answers: the byte length of every value, or -1 when values vary.
    /// RocksDB keys carry length suffixes only when key and namespace are both variable (§3.3). Note that
    /// `VoidNamespaceSerializer` answers 0 although it writes one byte, as in Flink.
    public var javaLength: Int {
        switch self {
        case .boolean, .byte, .void, .globalWindow, .tableNull: return 1
        case .voidNamespace: return 0
        case .short, .char: return 2
        case .int, .float: return 4
        case .long, .double, .date, .countWindow: return 8
        case .sqlTimestamp, .instant: return 12
        case .localDate: return 6
        case .localTime: return 7
        case .localDateTime: return 13
        case .timeWindow: return 16
        case .tuple(_, let fields):
            var sum = 0
            for f in fields {
                let n = f.javaLength
                guard n > 0 else { return -1 }
                sum += n
            }
            return sum
        case .nullable(let padding, _): return padding > 0 ? 1 + padding : -1
        case .ttl(let inner):
            let n = inner.javaLength
            return n >= 0 ? 8 + n : -1
        case .timer(let k, let n):
            let a = k.javaLength, b = n.javaLength
            return a >= 0 && b >= 0 ? 8 + a + b : -1
        default: return -1
        }
    }

    /// Whether every value has the same length (`getLength() >= 0`).
    public var isFixedLength: Bool { javaLength >= 0 }

    /// Short name for messages: `LongSerializer`, `TupleSerializer<Long, String>`.
    public var name: String {
        switch self {
        case .boolean: "BooleanSerializer"
        case .byte: "ByteSerializer"
        case .short: "ShortSerializer"
        case .int: "IntSerializer"
        case .long: "LongSerializer"
        case .float: "FloatSerializer"
        case .double: "DoubleSerializer"
        case .char: "CharSerializer"
        case .string: "StringSerializer"
        case .void: "VoidSerializer"
        case .bigInteger: "BigIntSerializer"
        case .bigDecimal: "BigDecSerializer"
        case .date(let k): k == .utilDate ? "DateSerializer" : k == .sqlDate ? "SqlDateSerializer" : "SqlTimeSerializer"
        case .sqlTimestamp: "SqlTimestampSerializer"
        case .instant: "InstantSerializer"
        case .localDate: "LocalDateSerializer"
        case .localTime: "LocalTimeSerializer"
        case .localDateTime: "LocalDateTimeSerializer"
        case .bytes: "BytePrimitiveArraySerializer"
        case .primitiveArray(let e): "PrimitiveArraySerializer<\(e.name)>"
        case .stringArray: "StringArraySerializer"
        case .genericArray(let c, _): "GenericArraySerializer<\(c)>"
        case .enumeration(let c, _): "EnumSerializer<\(c)>"
        case .tuple(_, let f): "TupleSerializer<" + f.map(\.name).joined(separator: ", ") + ">"
        case .row(_, let f): "RowSerializer<" + f.map(\.name).joined(separator: ", ") + ">"
        case .either(let l, let r): "EitherSerializer<\(l.name), \(r.name)>"
        case .nullable(_, let i): "NullableSerializer<\(i.name)>"
        case .pojo(let p): "PojoSerializer<\(p.className)>"
        case .kryo(let c): "KryoSerializer<\(c)>"
        case .avro(let c, _): "AvroSerializer<\(c)>"
        case .list(let e): "ListSerializer<\(e.name)>"
        case .map(let k, let v): "MapSerializer<\(k.name), \(v.name)>"
        case .ttl(let i): "TtlSerializer<\(i.name)>"
        case .timeWindow: "TimeWindow$Serializer"
        case .globalWindow: "GlobalWindow$Serializer"
        case .countWindow: "CountWindow$Serializer"
        case .voidNamespace: "VoidNamespaceSerializer"
        case .timer(let k, let n): "TimerSerializer<\(k.name), \(n.name)>"
        case .rowData(let s): "RowDataSerializer<" + s.types.map(\.description).joined(separator: ", ") + ">"
        case .binaryRowData(let n): "BinaryRowDataSerializer<\(n) fields>"
        case .stringData: "StringDataSerializer"
        case .decimalData(let p, let s): "DecimalDataSerializer<\(p), \(s)>"
        case .timestampData(let p): "TimestampDataSerializer<\(p)>"
        case .arrayData: "ArrayDataSerializer"
        case .mapData: "MapDataSerializer"
        case .rawValue(let c, _): "RawValueDataSerializer<\(FlinkSerializerSnapshot.serializerName(c))>"
        case .linkedList(let e, _): "LinkedListSerializer<\(e.name)>"
        case .nullAwareMap(let k, let v): "NullAwareMapSerializer<\(k.name), \(v.name)>"
        case .set(let e): "SetSerializer<\(e.name)>"
        case .windowKey(let k): "WindowKeySerializer<\(k.name)>"
        case .tableNull: "NullSerializer"
        case .opaque(let c, _): FlinkSerializerSnapshot.serializerName(c)
        }
    }
}

/// A POJO snapshot: the class, its fields in serializer order (sorted by name), and subclass serializers.
public struct FlinkPojoSchema: Sendable, Equatable {
    public struct Field: Sendable, Equatable {
        public var name: String
        /// The class declaring the field (a superclass for inherited fields); nil when the field no longer exists.
        public var declaringClass: String?
        public var serializer: FlinkTypeSerializer
        public init(name: String, declaringClass: String?, serializer: FlinkTypeSerializer) {
            self.name = name
            self.declaringClass = declaringClass
            self.serializer = serializer
        }
    }

    public struct Subclass: Sendable, Equatable {
        public var className: String
        public var serializer: FlinkTypeSerializer
        public init(className: String, serializer: FlinkTypeSerializer) {
            self.className = className
            self.serializer = serializer
        }
    }

    public var className: String
    public var fields: [Field]
    /// Registered subclasses; a value's tag byte indexes this list.
    public var registeredSubclasses: [Subclass]
    public var nonRegisteredSubclasses: [Subclass]

    public init(className: String, fields: [Field], registeredSubclasses: [Subclass] = [], nonRegisteredSubclasses: [Subclass] = []) {
        self.className = className
        self.fields = fields
        self.registeredSubclasses = registeredSubclasses
        self.nonRegisteredSubclasses = nonRegisteredSubclasses
    }
}

/// A SQL `RowDataSerializer` snapshot: field logical types (from the Java-serialized `LogicalType`s), the nested
/// field serializers, and field names (snapshot v4).
public struct FlinkRowDataSchema: Sendable, Equatable {
    public var types: [FlinkLogicalType]
    public var fieldSerializers: [FlinkTypeSerializer]
    public var names: [String]?

    public init(types: [FlinkLogicalType], fieldSerializers: [FlinkTypeSerializer], names: [String]? = nil) {
        self.types = types
        self.fieldSerializers = fieldSerializers
        self.names = names
    }
}
