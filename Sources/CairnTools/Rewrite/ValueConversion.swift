import CairnCore
import CairnFormat
import CairnModel

/// How a value of an old schema becomes a value of a new one, resolved once per state from a migration plan and
/// then applied to every value.
///
/// Resolution allows only what keeps every value whole: fields matched by name, by an explicit `rename` or by the
/// new field's aliases; new fields with a default; widening int32 → int64, float32 → float64 and T → optional<T>.
/// Everything else — narrowing, a changed type, an optional becoming required, an old field the plan neither
/// keeps nor lists under `drop`, a new field without a default — is a problem named by its field path.
indirect enum ValueConversion: Sendable {
    case same
    case widenInt
    case widenFloat
    /// T → optional<U>.
    case wrap(ValueConversion)
    case optional(ValueConversion)
    case list(ValueConversion)
    case map(key: ValueConversion, value: ValueConversion)
    /// The new record's fields, each from an old field (by index) or a constant default.
    case record([FieldSource])

    enum FieldSource: Sendable {
        case old(Int, ValueConversion)
        case constant(TypedValue)
    }

    var isIdentity: Bool {
        if case .same = self { return true }
        return false
    }

    /// Converts one decoded value.
    func apply(_ v: TypedValue) throws(ConversionError) -> TypedValue {
        switch (self, v) {
        case (.same, _): return v
        case (.widenInt, .int32(let x)): return .int64(Int64(x))
        case (.widenFloat, .float32(let x)): return .float64(Double(x))
        case (.wrap(let c), _): return .optional(try c.apply(v))
        case (.optional(let c), .optional(let x)): return .optional(try x.map { (x) throws(ConversionError) in try c.apply(x) })
        case (.list(let c), .list(let items)):
            var out: [TypedValue] = []
            out.reserveCapacity(items.count)
            for i in items { out.append(try c.apply(i)) }
            return .list(out)
        case (.map(let kc, let vc), .map(let pairs)):
            var out: [(TypedValue, TypedValue)] = []
            out.reserveCapacity(pairs.count)
            for (k, x) in pairs { out.append((try kc.apply(k), try vc.apply(x))) }
            return .map(out)
        case (.record(let sources), .record(let values)):
            var out: [TypedValue] = []
            out.reserveCapacity(sources.count)
            for s in sources {
                switch s {
                case .constant(let d): out.append(d)
                case .old(let i, let c):
                    guard i < values.count else { throw ConversionError("record value has \(values.count) fields, expected more than \(i)") }
                    out.append(try c.apply(values[i]))
                }
            }
            return .record(out)
        default:
            throw ConversionError("value \(v) does not have the shape of the old schema")
        }
    }

    struct ConversionError: Error, Sendable {
        var message: String
        init(_ message: String) { self.message = message }
    }

    // MARK: Resolution

    /// Resolves `old` → `new` under a plan's `rename` and `drop`; returns the problems instead when there are any.
    static func resolve(old: Schema, new: Schema, rename: [String: String], drop: [String]) -> Result<ValueConversion, ResolutionProblems> {
        var problems: [String] = []
        var usedRenames = Set<String>()
        var usedDrops = Set<String>()
        let conversion = resolve(old: old, new: new, path: "", rename: rename, drop: Set(drop), usedRenames: &usedRenames,
                                 usedDrops: &usedDrops, problems: &problems)
        for (k, v) in rename.sorted(by: { $0.key < $1.key }) where !usedRenames.contains(k) {
            problems.append("rename: \(k) → \(v): the old schema has no field \(k)")
        }
        for d in drop.sorted() where !usedDrops.contains(d) {
            problems.append("drop: the old schema has no field \(d)")
        }
        return problems.isEmpty ? .success(conversion) : .failure(ResolutionProblems(problems: problems))
    }

    struct ResolutionProblems: Error, Sendable {
        var problems: [String]
    }

    private static func name(_ path: String) -> String { path.isEmpty ? "the value" : "field \(path)" }

    private static func resolve(
        old: Schema, new: Schema, path: String, rename: [String: String], drop: Set<String>,
        usedRenames: inout Set<String>, usedDrops: inout Set<String>, problems: inout [String]
    ) -> ValueConversion {
        func recurse(_ o: Schema, _ n: Schema) -> ValueConversion {
            resolve(old: o, new: n, path: path, rename: rename, drop: drop, usedRenames: &usedRenames, usedDrops: &usedDrops, problems: &problems)
        }
        switch (old, new) {
        case (.boolean, .boolean), (.int32, .int32), (.int64, .int64), (.float32, .float32), (.float64, .float64),
            (.string, .string), (.bytes, .bytes):
            return .same
        case (.int32, .int64): return .widenInt
        case (.float32, .float64): return .widenFloat
        case (.optional(let o), .optional(let n)):
            let c = recurse(o, n)
            return c.isIdentity ? .same : .optional(c)
        case (.optional, _):
            problems.append("\(name(path)) is optional<…> in the old schema but required (\(short(new))) in the new one: absent values would be lost; make it optional")
            return .same
        case (_, .optional(let n)):
            return .wrap(recurse(old, n))
        case (.list(let o), .list(let n)):
            let c = recurse(o, n)
            return c.isIdentity ? .same : .list(c)
        case (.map(let ok, let ov), .map(let nk, let nv)):
            let k = recurse(ok, nk)
            let v = recurse(ov, nv)
            return k.isIdentity && v.isIdentity ? .same : .map(key: k, value: v)
        case (.record(_, let oFields), .record(let newName, let nFields)):
            return resolveRecord(oFields, nFields, newName: newName, path: path, rename: rename, drop: drop,
                                 usedRenames: &usedRenames, usedDrops: &usedDrops, problems: &problems)
        default:
            let narrows = (old == .int64 && new == .int32) || (old == .float64 && new == .float32)
            problems.append("\(name(path)) would change from \(short(old)) to \(short(new))"
                            + (narrows ? ", which narrows and can lose data" : ", which is not a widening (int32 → int64, float32 → float64, T → optional<T>)"))
            return .same
        }
    }

    private static func resolveRecord(
        _ oFields: [Schema.Field], _ nFields: [Schema.Field], newName: String, path: String, rename: [String: String],
        drop: Set<String>, usedRenames: inout Set<String>, usedDrops: inout Set<String>, problems: inout [String]
    ) -> ValueConversion {
        func oldPath(_ f: Schema.Field) -> String { path.isEmpty ? f.name : path + "." + f.name }
        var consumed = Set<Int>()
        // Old fields the plan renames or drops never match by name.
        var renamedTo: [String: Int] = [:]
        var excluded = Set<Int>()
        for (i, f) in oFields.enumerated() {
            let p = oldPath(f)
            if let target = rename[p] {
                usedRenames.insert(p)
                if renamedTo[target] != nil {
                    problems.append("rename: two old fields become \(newName).\(target)")
                }
                renamedTo[target] = i
                excluded.insert(i)
                if !nFields.contains(where: { $0.name == target }) {
                    problems.append("rename: \(p) → \(target): the new record \(newName) has no field \(target)")
                }
            }
            if drop.contains(p) {
                usedDrops.insert(p)
                excluded.insert(i)
                if rename[p] != nil { problems.append("field \(p) is both renamed and dropped; keep one") }
            }
        }
        var sources: [FieldSource] = []
        var identity = oFields.count == nFields.count
        for (j, nf) in nFields.enumerated() {
            let newPath = path.isEmpty ? nf.name : path + "." + nf.name
            var match = renamedTo[nf.name]
            if match == nil, let i = oFields.firstIndex(where: { $0.name == nf.name }), !excluded.contains(i), !consumed.contains(i) {
                match = i
            }
            if match == nil, let i = oFields.firstIndex(where: { nf.aliases.contains($0.name) }), !excluded.contains(i), !consumed.contains(i) {
                match = i
            }
            if let i = match {
                consumed.insert(i)
                let c = resolve(old: oFields[i].type, new: nf.type, path: newPath, rename: rename, drop: drop,
                                usedRenames: &usedRenames, usedDrops: &usedDrops, problems: &problems)
                if i != j || !c.isIdentity { identity = false }
                sources.append(.old(i, c))
            } else if let d = nf.defaultValue {
                identity = false
                sources.append(.constant(d))
            } else {
                identity = false
                problems.append("new field \(newPath) has no default and no old field maps to it; give it a default: or rename an old field to it")
                sources.append(.constant(.boolean(false)))
            }
        }
        for (i, f) in oFields.enumerated() where !consumed.contains(i) && !drop.contains(oldPath(f)) {
            identity = false
            problems.append("old field \(oldPath(f)) (\(short(f.type))) is not in the new schema: its values would be lost; list it under drop: to discard them, or rename it")
        }
        return identity ? .same : .record(sources)
    }

    /// A type without its record body, for messages.
    static func short(_ s: Schema) -> String {
        switch s {
        case .record(let name, _): "record \(name)"
        case .optional(let t): "optional<\(short(t))>"
        case .list(let t): "list<\(short(t))>"
        case .map(let k, let v): "map<\(short(k)),\(short(v))>"
        default: s.description
        }
    }
}
