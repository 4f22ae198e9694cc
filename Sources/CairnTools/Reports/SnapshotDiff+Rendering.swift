import CairnCore
import CairnFormat
import CairnModel

extension SnapshotDiff {
    static func pair(_ p: (Int64, Int64)) -> JSONValue {
        .object([("before", .number(p.0)), ("after", .number(p.1)), ("delta", .number(p.1 - p.0))])
    }

    static func serializerJSON(_ s: SerializerInfo?) -> JSONValue {
        guard let s else { return .null }
        var o: [(String, JSONValue)] = [("name", .string(s.name)), ("version", .number(s.version))]
        if let schema = s.schema { o.append(("schema", .string(schema.description))) }
        return .object(o)
    }

    public var json: JSONValue {
        func info(_ i: OperatorInfo?) -> JSONValue {
            guard let i else { return .null }
            return .object([("uid", .string(i.uid)), ("name", .string(i.name)), ("parallelism", .number(i.parallelism)), ("maxParallelism", .number(i.maxParallelism))])
        }
        func both<T>(_ a: T?, _ b: T?, _ f: (T) -> JSONValue) -> JSONValue {
            .object([("before", a.map(f) ?? .null), ("after", b.map(f) ?? .null)])
        }
        func state(_ s: StateChange) -> JSONValue {
            .object([
                ("name", .string(s.name)), ("status", .string(s.status.rawValue)),
                ("kind", both(s.before?.descriptor.kind, s.after?.descriptor.kind) { .string($0.name) }),
                ("size", Self.pair(s.size)),
                ("entries", both(s.entries.0, s.entries.1) { .number($0) }),
                ("keySerializer", .object([("before", Self.serializerJSON(s.before?.keySerializer)), ("after", Self.serializerJSON(s.after?.keySerializer))])),
                ("valueSerializer", .object([("before", Self.serializerJSON(s.before?.valueSerializer)), ("after", Self.serializerJSON(s.after?.valueSerializer))])),
                ("kindChanged", .bool(s.kindChanged)), ("serializerChanged", .bool(s.serializerChanged)),
                ("schemaChanged", .bool(s.schemaChanged)), ("ttlChanged", .bool(s.ttlChanged)),
            ])
        }
        func split(_ s: SplitProgress) -> JSONValue {
            return .object([
                ("splitId", .string(s.splitId)), ("status", .string(s.status.rawValue)),
                ("subtask", both(s.subtask.0, s.subtask.1) { .number($0) }),
                ("before", s.before?.json ?? .null), ("after", s.after?.json ?? .null),
                ("advanced", s.advanced.map { .number($0) } ?? .null), ("backward", .bool(s.backward)),
            ])
        }
        let total = operators.reduce((Int64(0), Int64(0))) { ($0.0 + $1.stateSize.0, $0.1 + $1.stateSize.1) }
        let inFlight = operators.reduce((Int64(0), Int64(0))) { ($0.0 + $1.inFlightSize.0, $0.1 + $1.inFlightSize.1) }
        var fields: [(String, JSONValue)] = [
            ("a", .object([("source", .string(sourceA)), ("snapshot", .string(snapshotA))])),
            ("b", .object([("source", .string(sourceB)), ("snapshot", .string(snapshotB))])),
            ("differs", .bool(differs)),
            ("stateSize", Self.pair(total)),
            ("inFlightSize", Self.pair(inFlight)),
            ("backwardSplits", .number(backwardSplits.count)),
        ]
        if let f = files {
            func count(_ n: Int, _ b: Int64) -> JSONValue { .object([("files", .number(n)), ("bytes", .number(b))]) }
            fields.append(("files", .object([("shared", count(f.sharedFiles, f.sharedBytes)), ("new", count(f.newFiles, f.newBytes)),
                                             ("dropped", count(f.droppedFiles, f.droppedBytes))])))
        } else {
            fields.append(("files", .null))
        }
        fields.append(("operators", .array(operators.map { c in
            .object([
                ("id", .string(c.id)), ("status", .string(c.status.rawValue)), ("renamed", .bool(c.renamed)), ("rescaled", .bool(c.rescaled)),
                ("before", info(c.before)), ("after", info(c.after)),
                ("stateSize", Self.pair(c.stateSize)), ("keyedSize", Self.pair(c.keyedSize)),
                ("operatorStateSize", Self.pair(c.operatorStateSize)), ("inFlightSize", Self.pair(c.inFlightSize)),
                ("states", .array(c.states.map(state))), ("splits", .array(c.splits.map(split))),
            ])
        })))
        return .object(fields)
    }

    public func text(style: TextStyle) -> String {
        func delta(_ p: (Int64, Int64)) -> String {
            let d = p.1 - p.0
            return d == 0 ? "=" : (d > 0 ? "+" : "−") + ByteCount.format(abs(d))
        }
        func color(_ status: Status, _ what: String) -> String {
            switch status {
            case .added: style.green(what)
            case .removed: style.red(what)
            case .changed: style.yellow(what)
            case .unchanged: style.dim(what)
            }
        }
        var out = style.bold("\(snapshotA) → \(snapshotB)") + "\n"
        var t = TextTable(columns: [.left("OPERATOR"), .left("CHANGE"), .left("PAR"), .right("STATE"), .right("Δ STATE"), .right("Δ KEYED"), .right("Δ OP STATE"), .right("Δ IN-FLIGHT")])
        for c in operators {
            var what = c.status.rawValue
            if c.renamed, let a = c.before, let b = c.after {
                what += a.uid != b.uid ? ", uid \(a.uid) → \(b.uid)" : ", name \(a.name) → \(b.name)"
            }
            let par: String
            if let a = c.before, let b = c.after, c.rescaled {
                par = "\(a.parallelism)/\(a.maxParallelism) → \(b.parallelism)/\(b.maxParallelism)"
            } else {
                let i = c.after ?? c.before
                par = i.map { "\($0.parallelism)/\($0.maxParallelism)" } ?? ""
            }
            t.add([c.displayName, color(c.status, what), par, ByteCount.format(c.stateSize.1), delta(c.stateSize), delta(c.keyedSize), delta(c.operatorStateSize), delta(c.inFlightSize)])
        }
        out += t.render(style)

        let states = operators.flatMap { c in c.states.filter { $0.status != .unchanged }.map { (c, $0) } }
        if !states.isEmpty {
            out += "\n" + style.bold("States") + "\n"
            var s = TextTable(columns: [.left("OPERATOR"), .left("STATE"), .left("CHANGE"), .right("SIZE"), .right("Δ SIZE"), .right("ENTRIES"), .left("SERIALIZER")])
            for (c, st) in states {
                var what = [st.status.rawValue]
                if st.kindChanged, let a = st.before, let b = st.after { what.append("kind \(a.descriptor.kind.name) → \(b.descriptor.kind.name)") }
                if st.ttlChanged { what.append("TTL") }
                if st.schemaChanged && !st.serializerChanged { what.append("schema, same version") }
                var serializer = ""
                if st.serializerChanged || st.schemaChanged, let a = st.before, let b = st.after {
                    func name(_ s: SerializerInfo?) -> String {
                        s.map { ($0.name.contains("<") ? $0.name : String($0.name.split(separator: ".").last ?? "")) + " v\($0.version)" } ?? "none"
                    }
                    serializer = a.keySerializer?.name != b.keySerializer?.name || a.keySerializer?.version != b.keySerializer?.version
                        ? "key \(name(a.keySerializer)) → \(name(b.keySerializer))" : "\(name(a.valueSerializer)) → \(name(b.valueSerializer))"
                }
                let entries: String
                switch st.entries {
                case let (x?, y?) where x != y: entries = "\(x) → \(y)"
                case let (_, y?): entries = "\(y)"
                case let (x?, nil): entries = st.after == nil ? "\(x) → 0" : "\(x) → ?"
                case let (nil, y?) where st.before != nil: entries = "? → \(y)"
                default: entries = ""
                }
                s.add([c.displayName, st.name, color(st.status, what.joined(separator: ", ")), ByteCount.format(st.size.1), delta(st.size), entries, serializer])
            }
            out += s.render(style)
        }

        let splits = operators.flatMap { c in c.splits.filter { $0.status != .unchanged }.map { (c, $0) } }
        if !splits.isEmpty {
            out += "\n" + style.bold("Source splits") + "\n"
            var s = TextTable(columns: [.left("OPERATOR"), .left("SPLIT"), .left("BEFORE"), .left("AFTER"), .right("ADVANCED"), .left("")])
            for (c, sp) in splits {
                let advanced = sp.advanced.map { $0 >= 0 ? "+\($0)" : "\($0)" } ?? ""
                let flag = sp.backward ? style.red("BACKWARD") : sp.status == .unchanged ? "" : sp.status == .changed ? "" : color(sp.status, sp.status.rawValue)
                s.add([c.displayName, sp.splitId, sp.before?.text ?? "", sp.after?.text ?? "", advanced, flag])
            }
            out += s.render(style)
        }

        let total = operators.reduce((Int64(0), Int64(0))) { ($0.0 + $1.stateSize.0, $0.1 + $1.stateSize.1) }
        let inFlight = operators.reduce((Int64(0), Int64(0))) { ($0.0 + $1.inFlightSize.0, $0.1 + $1.inFlightSize.1) }
        out += "\nState \(ByteCount.format(total.0)) → \(ByteCount.format(total.1)) (\(delta(total)))"
        if inFlight != (0, 0) { out += "; in-flight \(ByteCount.format(inFlight.0)) → \(ByteCount.format(inFlight.1)) (\(delta(inFlight)))" }
        out += differs ? "" : "; no operator changed"
        out += "\n"
        if let f = files {
            out += "Files: \(f.sharedFiles) shared (\(ByteCount.format(f.sharedBytes))), \(f.newFiles) new (\(ByteCount.format(f.newBytes))), "
                + "\(f.droppedFiles) no longer referenced (\(ByteCount.format(f.droppedBytes)))\n"
        }
        let backward = backwardSplits.count
        if backward > 0 { out += style.red("\(backward) source split(s) went backward: records would be read again") + "\n" }
        return out
    }
}
