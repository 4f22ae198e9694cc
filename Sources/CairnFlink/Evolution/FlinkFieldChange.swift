/// One change a migration makes to the record type (POJO or `Row`) inside a state's value. `path` names the field
/// from the record at the state's value: `["count"]`, or `["detail", "weight"]` for a field of a nested POJO/Row.
public enum FlinkFieldChange: Sendable, Equatable {
    /// A new field with its serializer (a primitive or `String`) and the value every existing record gets.
    case add(path: [String], serializer: FlinkTypeSerializer, defaultValue: FlinkValue)
    /// An old field whose values are discarded on purpose.
    case drop(path: [String])
    /// `int → long` or `float → double`: every value stays the same number.
    case widen(path: [String], to: FlinkTypeSerializer)
    /// The old field's values under a new name (a POJO field alias).
    case rename(path: [String], to: String)

    public var path: [String] {
        switch self {
        case .add(let p, _, _), .drop(let p), .widen(let p, _), .rename(let p, _): p
        }
    }

    /// The same change one level down (its path without the first name).
    func descended() -> FlinkFieldChange {
        let rest = Array(path.dropFirst())
        switch self {
        case .add(_, let s, let d): return .add(path: rest, serializer: s, defaultValue: d)
        case .drop: return .drop(path: rest)
        case .widen(_, let t): return .widen(path: rest, to: t)
        case .rename(_, let n): return .rename(path: rest, to: n)
        }
    }
}
