/// How a value decoded with a state's old serializer becomes a value of its new one, as resolved by
/// `FlinkSchemaEvolution`: wrappers (TTL, list elements, map values) are kept, records gain, lose, rename and widen
/// fields. Applied to every entry of the state.
public indirect enum FlinkValueConversion: Sendable, Equatable {
    case same
    case intToLong
    case floatToDouble
    /// A TTL-wrapped value: the timestamp is kept, the value converted.
    case ttl(FlinkValueConversion)
    /// Every element of a list.
    case list(FlinkValueConversion)
    /// Every value of a map (not the keys).
    case mapValues(FlinkValueConversion)
    /// A POJO: the new fields in the new serializer's order.
    case record([Field])
    /// A `Row`: the new fields by position; the row kind is kept.
    case row([Source])

    /// Where a new field's value comes from.
    public enum Source: Sendable, Equatable {
        /// The old field at this position, converted.
        case old(Int, FlinkValueConversion)
        case constant(FlinkValue)
    }

    public struct Field: Sendable, Equatable {
        public var name: String
        public var source: Source
        public init(name: String, source: Source) {
            self.name = name
            self.source = source
        }
    }

    /// The converted value; throws when the value does not have the old serializer's shape (a POJO subclass value,
    /// for instance, whose fields the plan does not describe).
    public func apply(_ v: FlinkValue) throws(FlinkSerializerError) -> FlinkValue {
        if case .same = self { return v }
        if v == .null { return .null }
        switch (self, v) {
        case (.intToLong, .int(let x)): return .long(Int64(x))
        case (.floatToDouble, .float(let x)): return .double(Double(x))
        case (.ttl(let c), .ttl(let ts, let inner)): return .ttl(lastAccessTimestamp: ts, value: try c.apply(inner))
        case (.list(let c), .list(let items)):
            var out: [FlinkValue] = []
            out.reserveCapacity(items.count)
            for i in items { out.append(try c.apply(i)) }
            return .list(out)
        case (.mapValues(let c), .map(let entries)):
            var out: [FlinkMapEntry] = []
            out.reserveCapacity(entries.count)
            for e in entries { out.append(FlinkMapEntry(key: e.key, value: try c.apply(e.value))) }
            return .map(out)
        case (.record(let fields), .record(let old)):
            var out: [FlinkField] = []
            out.reserveCapacity(fields.count)
            for f in fields { out.append(FlinkField(f.name, try Self.value(f.source, old.map(\.value)))) }
            return .record(out)
        case (.row(let sources), .row(let kind, let old)):
            var out: [FlinkValue] = []
            out.reserveCapacity(sources.count)
            for s in sources { out.append(try Self.value(s, old)) }
            return .row(kind: kind, fields: out)
        case (.record, .subclass(let c, _)):
            throw FlinkSerializerError(.invalidInput, "a value of subclass \(c) is not described by the migration (only the POJO class's own fields are)")
        default:
            throw FlinkSerializerError(.invalidInput, "a value does not have the shape of the state's old serializer (\(self) on \(v))")
        }
    }

    private static func value(_ s: Source, _ old: [FlinkValue]) throws(FlinkSerializerError) -> FlinkValue {
        switch s {
        case .constant(let v): return v
        case .old(let i, let c):
            guard i < old.count else { throw FlinkSerializerError(.invalidInput, "a record has \(old.count) fields, the old serializer more than \(i)") }
            return try c.apply(old[i])
        }
    }
}
