import CairnCore
import CairnFlink
import CairnModel

extension FlinkRewriter {
    /// Adds the plan's state-level options to `r`: `--drop-state`, `--expire-ttl` with `--ttl`, `--max-parallelism`
    /// (all operators, or `OP=N`), `--parallelism` and `--migrate`.
    static func configure(_ r: inout FlinkStateRewriter, plan: RewritePlan, snapshot: FlinkSnapshot) throws(FlinkRewriteError) {
        let operators = snapshot.metadata.operators
        let keyed: [(op: FlinkOperatorState, states: [FlinkRegisteredState])] = operators.map { ($0, snapshot.stateMetaInfo(of: $0).keyedStates) }
        let selector = StateSelector(keyed.filter { !$0.states.isEmpty }.map { entry in
            StateSelector.Candidate(id: entry.op.id, names: [entry.op.uid, entry.op.name].compactMap { $0 }.filter { !$0.isEmpty }, states: entry.states.map(\.name))
        })
        let allStates = keyed.flatMap { entry in entry.states.map { "\(entry.op.uid ?? entry.op.name ?? entry.op.id.hex)/\($0.name)" } }
        func resolve(_ text: String, option: String) throws(FlinkRewriteError) -> (OperatorID, String) {
            do { return try selector.resolve(text) } catch { throw .unknownState(option: option, name: text, available: allStates) }
        }
        for text in plan.dropStates {
            let (id, state) = try resolve(text, option: "--drop-state")
            r.dropState(operator: id, state: state)
        }
        if let now = plan.expireTTLAt {
            var specific: [String: Int64] = [:]
            var global: Int64?
            for setting in plan.ttl {
                guard let text = setting.state else {
                    global = setting.millis
                    continue
                }
                let (id, state) = try resolve(text, option: "--ttl")
                guard keyed.first(where: { $0.op.id == id })?.states.first(where: { $0.name == state })?.hasTTL == true else {
                    throw .cannotRewriteState(operator: text, reason: "the state has no TTL (its values are not TtlValue-wrapped)", hint: "Give --ttl only for states with time-to-live.")
                }
                specific[id.hex + "/" + state] = setting.millis
            }
            for (op, states) in keyed {
                for s in states where s.hasTTL {
                    guard let ttl = specific[op.id.hex + "/" + s.name] ?? global else {
                        throw .cannotRewriteState(operator: "\(op.uid ?? op.name ?? op.id.hex)/\(s.name)",
                                                  reason: "the state has time-to-live, and a Flink snapshot does not record its duration",
                                                  hint: "Give it with --ttl \(op.uid ?? op.id.hex)/\(s.name)=DURATION (e.g. 1h), or --ttl DURATION for every TTL state.")
                    }
                    r.transform(operator: op.id, state: s.name) { entry in Self.expire(entry.value, ttl: ttl, now: now) }
                }
            }
        } else if !plan.ttl.isEmpty {
            throw .cannotRewriteState(operator: "--ttl", reason: "--ttl only says how long state lives", hint: "Use it with --expire-ttl --now TIME.")
        }
        if let n = plan.maxParallelism {
            for op in operators where op.maxParallelism != n { r.setMaxParallelism(n, operator: op.id) }
        }
        for change in plan.maxParallelismChanges {
            let op = try operatorNamed(change.op.text, option: "--max-parallelism", in: operators)
            if op.maxParallelism != change.parallelism { r.setMaxParallelism(change.parallelism, operator: op.id) }
        }
        for change in plan.parallelism {
            let op = try operatorNamed(change.op.text, option: "--parallelism", in: operators)
            if op.parallelism != change.parallelism { r.setParallelism(change.parallelism, operator: op.id) }
        }
        if let m = plan.flinkMigration {
            try configure(&r, migrations: m, snapshot: snapshot) { (text, option) throws(FlinkRewriteError) in try resolve(text, option: option) }
        }
    }

    /// A TTL value without its expired parts at `now`: Flink's `TtlUtils.expired` — expired when
    /// `lastAccessTimestamp + ttl ≤ now` (the sum saturating). Lists lose expired elements (nil when none is left);
    /// values and map entries are dropped whole.
    public static func expire(_ value: FlinkValue, ttl: Int64, now: Int64) -> FlinkValue? {
        func expired(_ ts: Int64) -> Bool {
            let (sum, overflow) = ts.addingReportingOverflow(ttl)
            return (overflow ? Int64.max : sum) <= now
        }
        switch value {
        case .ttl(let ts, _):
            return expired(ts) ? nil : value
        case .list(let items):
            let kept = items.filter { item in
                if case .ttl(let ts, _) = item { return !expired(ts) }
                return true
            }
            if kept.isEmpty { return nil }
            return kept.count == items.count ? value : .list(kept)
        default:
            return value
        }
    }

    static func operatorNamed(_ text: String, option: String, in operators: [FlinkOperatorState]) throws(FlinkRewriteError) -> FlinkOperatorState {
        let found = operators.filter { $0.uid == text || $0.name == text || $0.id.hex == text.lowercased() || $0.id == OperatorID(flinkUID: text) }
        let label = { (op: FlinkOperatorState) in "\(op.uid ?? op.name ?? op.id.hex) \(op.id.hex) parallelism \(op.parallelism), max parallelism \(op.maxParallelism)" }
        guard found.count == 1 else {
            if found.isEmpty { throw .unknownOperator(option: option, name: text, available: operators.map(label)) }
            throw .ambiguousOperator(option: option, name: text, matches: found.map(label))
        }
        return found[0]
    }
}
