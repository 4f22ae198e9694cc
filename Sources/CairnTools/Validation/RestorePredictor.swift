import CairnCore
import CairnFlink
import CairnFormat
import CairnModel

/// Predicts, offline, whether a snapshot restores into a job described by a `JobSpec`, reproducing the checks Flink
/// makes at restore time (JobManager: operator mapping and max parallelism in `Checkpoints.loadAndValidateCheckpoint`
/// and `StateAssignmentOperation`; TaskManager: state kinds and serializer compatibility in the state backends) and
/// reporting all of them at once with Flink's own messages.
///
/// Serializer facts come from the snapshot: a native snapshot's serializer registry and typed schemas, or the
/// serialization proxies at the head of a Flink snapshot's state files. What the snapshot does not record is listed
/// as not checked, never guessed.
public struct RestorePredictor: Sendable {
    public var source: String
    public var jobFile: String
    public var job: JobSpec

    public init(source: String, jobFile: String, job: JobSpec) {
        self.source = source
        self.jobFile = jobFile
        self.job = job
    }

    /// A state as the snapshot registered it, engine-neutral.
    struct SnapshotState {
        var name: String
        var kind: StateKind
        var keySerializer: SerializerFact
        var valueSerializer: SerializerFact
        /// Broadcast state only.
        var mapKeySerializer: SerializerFact = .unknown("")
    }

    /// A serializer the snapshot recorded, or why it is not known.
    enum SerializerFact {
        case known(name: String, display: String, version: UInt64?, schema: Schema?)
        case none
        case unknown(String)

        var display: String? {
            if case .known(_, let d, let v, _) = self { return d + (v.map { " v\($0)" } ?? "") }
            return nil
        }
    }

    /// The prediction for `view` (whose summary is `summary`).
    public func predict(view: any SnapshotView, summary: SnapshotSummary) -> RestorePrediction {
        let isFlink = summary.metadata.engineName == "flink"
        let flinkMajor2 = (Int(summary.metadata.properties["flink.metadataVersion"] ?? "") ?? 0) >= 5
        var out = RestorePrediction(
            source: source, job: jobFile, engine: isFlink ? "flink \(summary.metadata.engineVersion)" : "\(summary.format)",
            allowNonRestoredState: job.allowNonRestoredState, problems: [], operators: [], newOperators: [], states: [], notChecked: [])

        // 1. Map snapshot operators to job operators: Flink by operator id (a uid's id is its murmur3 hash), native
        //    snapshots by uid or id.
        func matches(_ j: JobSpec.Operator, _ s: OperatorInfo) -> Bool {
            if isFlink { return j.flinkID == s.id }
            if let id = j.id { return id == s.id }
            return j.uid != nil && j.uid == s.uid
        }
        var jobMatched = Set<Int>()
        var unmatched: [OperatorSummary] = []
        var pairs: [(OperatorSummary, JobSpec.Operator)] = []
        for op in summary.operators {
            if let (i, j) = job.operators.enumerated().first(where: { matches($0.element, op.info) }) {
                jobMatched.insert(i)
                pairs.append((op, j))
                out.operators.append(.init(snapshot: op.info, job: j.path, status: .mapped))
            } else {
                let hasState = op.coordinatorSize > 0 || op.subtasks.contains { $0.stateSize > 0 }
                out.operators.append(.init(snapshot: op.info, job: nil, status: hasState ? .notMapped : .stateless))
                if hasState { unmatched.append(op) }
            }
        }
        let freeJobOps = job.operators.enumerated().filter { !jobMatched.contains($0.offset) }.map(\.element)
        out.newOperators = freeJobOps.map { $0.path + " " + $0.displayName }

        // Registered states per snapshot operator.
        var statesByOp: [OperatorID: [SnapshotState]] = [:]
        for op in summary.operators {
            let (states, notChecked) = registeredStates(op, view: view)
            statesByOp[op.info.id] = states
            out.notChecked += notChecked
        }

        // 2. Operators whose state the job cannot take.
        for op in unmatched {
            let rename = renameCandidate(op, states: statesByOp[op.info.id] ?? [], among: freeJobOps)
            var fix: String
            let old = op.info.uid.isEmpty ? op.info.id.hex : op.info.uid
            if let r = rename {
                if let newUID = r.uid {
                    fix = "the job's \(r.path) (\(r.displayName), uid '\(newUID)') looks like this operator under a new uid: carry its state over with "
                        + "`cairn rewrite \(source) DEST --rename-uid \(old)=\(newUID)` and restore from DEST, or set the operator's uid back to '\(op.info.uid.isEmpty ? "…" : op.info.uid)'"
                } else {
                    fix = "the job's \(r.path) (\(r.displayName)) looks like this operator with a new id: give it the uid it had (id \(op.info.id.hex))"
                }
            } else {
                fix = "if the operator was renamed, give it its old uid\(op.info.uid.isEmpty ? " (the one whose hash is \(op.info.id.hex))" : " '\(op.info.uid)'") "
                    + "or rename it in the snapshot with `cairn rewrite \(source) DEST --rename-uid \(old)=NEW_UID`; if it was removed on purpose, "
                    + "restore with --allowNonRestoredState (its state is dropped) or drop it first with `cairn rewrite \(source) DEST --drop-operator \(old)`"
            }
            if job.allowNonRestoredState {
                out.problems.append(RestoreProblem(
                    severity: .warning, code: "stateNotRestored",
                    message: "the job has no operator with id \(op.info.id.hex); with allowNonRestoredState its state (\(ByteCount.format(op.stateSize))) is dropped",
                    flinkMessage: isFlink ? "Skipping savepoint state for operator \(op.info.id.hex)." : nil,
                    operator: op.info, fix: rename != nil ? fix : nil))
            } else {
                out.problems.append(RestoreProblem(
                    code: "operatorNotMapped",
                    message: "the snapshot holds state (\(ByteCount.format(op.stateSize))) for an operator the job does not have",
                    flinkMessage: isFlink ? FlinkMessages.operatorNotMapped(pointer: source, operatorID: op.info.id.hex) : nil,
                    operator: op.info, fix: fix))
            }
        }

        // 3. Mapped operators: parallelism, max parallelism, states.
        for (op, j) in pairs {
            let s = op.info
            if let maxP = j.maxParallelism, maxP != s.maxParallelism {
                out.problems.append(RestoreProblem(
                    code: "maxParallelismMismatch",
                    message: "the job sets max parallelism \(maxP) but the snapshot's key groups were made for \(s.maxParallelism); key groups cannot be re-split at restore",
                    flinkMessage: isFlink ? FlinkMessages.maxParallelismMismatch(operatorID: s.id.hex, old: s.maxParallelism, new: maxP) : nil,
                    operator: s,
                    fix: "keep max parallelism at \(s.maxParallelism) (setMaxParallelism(\(s.maxParallelism)), or leave it unset so Flink adopts the snapshot's), "
                        + "or re-hash the keys offline: `cairn rewrite \(source) DEST --max-parallelism \(maxP)`" + (isFlink ? " (native snapshots; convert a Flink savepoint first)" : "")))
            }
            let effectiveMax = j.maxParallelism ?? s.maxParallelism
            if let p = j.parallelism {
                if p > s.maxParallelism {
                    out.problems.append(RestoreProblem(
                        code: "parallelismAboveMaxParallelism",
                        message: "the job runs \(p) subtasks but the snapshot has only \(s.maxParallelism) key groups (its max parallelism)",
                        flinkMessage: isFlink ? FlinkMessages.parallelismAboveMaxParallelism(vertex: s.id.hex, maxParallelism: s.maxParallelism, parallelism: p) : nil,
                        operator: s,
                        fix: "set the parallelism to at most \(s.maxParallelism), or raise max parallelism offline with `cairn rewrite \(source) DEST --max-parallelism N`"))
                } else if p > effectiveMax {
                    out.problems.append(RestoreProblem(
                        code: "parallelismAboveMaxParallelism",
                        message: "the job's parallelism \(p) is above its own max parallelism \(effectiveMax)",
                        operator: s, fix: "set the parallelism to at most \(effectiveMax)"))
                }
            }
            guard let jobStates = j.states else { continue }
            let snapshotStates = statesByOp[s.id] ?? []
            for st in snapshotStates {
                guard let js = jobStates.first(where: { $0.name == st.name }) else {
                    out.states.append(.init(operatorID: s.id.hex, operatorName: s.displayName, state: st.name, kind: st.kind.name,
                                            verdict: "NOT_REGISTERED", old: st.valueSerializer.display, new: nil,
                                            details: ["the job does not register this state; it is restored but never read"]))
                    continue
                }
                compare(st, js, op: s, isFlink: isFlink, flinkMajor2: flinkMajor2, into: &out)
            }
            for js in jobStates where !snapshotStates.contains(where: { $0.name == js.name }) {
                out.states.append(.init(operatorID: s.id.hex, operatorName: s.displayName, state: js.name, kind: js.kind?.name ?? "-",
                                        verdict: "NEW", old: nil, new: js.valueSerializer, details: []))
            }
        }
        return out
    }

    /// A free job operator that is probably `op` under a new uid: same name, or the same set of state names.
    func renameCandidate(_ op: OperatorSummary, states: [SnapshotState], among free: [JobSpec.Operator]) -> JobSpec.Operator? {
        if !op.info.name.isEmpty, let j = free.first(where: { $0.name == op.info.name }) { return j }
        // Timer services are registered by the runtime, and job specs seldom list them: compare the user's states.
        func user(_ names: [String]) -> Set<String> { Set(names.filter { !$0.hasPrefix("_timer_state/") }) }
        let names = user(states.map(\.name))
        guard !names.isEmpty else { return nil }
        return free.first { j in j.states.map { user($0.map(\.name)) == names } ?? false }
    }

    /// Compares one state of the snapshot with the job's registration of it.
    func compare(_ st: SnapshotState, _ js: JobSpec.State, op s: OperatorInfo, isFlink: Bool, flinkMajor2: Bool, into out: inout RestorePrediction) {
        var verdict = "AS_IS"
        var details: [String] = []
        // Kind.
        if let kind = js.kind, kind != st.kind {
            verdict = "INCOMPATIBLE"
            let flink: String?
            if kind.isKeyed && st.kind.isKeyed && kind != .timers && st.kind != .timers {
                flink = FlinkMessages.keyedStateKindChanged(was: FlinkMessages.keyedTypeName(st.kind), now: FlinkMessages.keyedTypeName(kind))
            } else if !kind.isKeyed && !st.kind.isKeyed {
                flink = FlinkMessages.assignmentModeChanged(was: FlinkMessages.modeName(st.kind), now: FlinkMessages.modeName(kind))
            } else {
                flink = nil
            }
            out.problems.append(RestoreProblem(
                code: "stateKindChanged",
                message: "state '\(st.name)' was a \(st.kind.name) state; the job registers it as \(kind.name)",
                flinkMessage: isFlink ? flink : nil, operator: s, state: st.name,
                fix: "register '\(st.name)' as \(st.kind.name) again, or give the new \(kind.name) state another name (the old one is then restored but unused)"))
        }
        // Key serializer (keyed states share the backend's).
        if let jk = js.keySerializer, st.kind.isKeyed {
            switch st.keySerializer {
            case .known(let name, let display, _, _):
                if !Self.sameSerializer(job: jk, snapshot: name, display: display) {
                    verdict = "INCOMPATIBLE"
                    out.problems.append(RestoreProblem(
                        code: "keySerializerChanged",
                        message: "keys were written with \(display); the job uses \(jk). Keys are compared as bytes and can never be migrated",
                        flinkMessage: isFlink ? FlinkMessages.keySerializerIncompatible(new: jk, old: display) : nil,
                        operator: s, state: st.name,
                        fix: "keep the key type and its serializer (\(display)); to re-key, rebuild the state (State Processor API) instead of restoring"))
                }
            case .none: details.append("key serializer not checked: the snapshot records none")
            case .unknown(let why): details.append("key serializer not checked: \(why)")
            }
        }
        // Broadcast key serializer.
        if st.kind == .broadcast, let jk = js.keySerializer, case .known(let name, let display, _, _) = st.mapKeySerializer,
           !Self.sameSerializer(job: jk, snapshot: name, display: display) {
            verdict = "INCOMPATIBLE"
            out.problems.append(RestoreProblem(
                code: "keySerializerChanged", message: "broadcast state keys were written with \(display); the job uses \(jk)",
                flinkMessage: isFlink ? "The new key typeSerializer for broadcast state must not be incompatible." : nil, operator: s, state: st.name,
                fix: "keep the broadcast map's key serializer (\(display))"))
        }
        // Value serializer.
        var newText = js.valueSerializer
        if js.valueSerializer != nil || js.schema != nil {
            switch st.valueSerializer {
            case .known(let name, let display, let version, let schema):
                if name == SerializerInfo.typedName || js.valueSerializer == SerializerInfo.typedName {
                    typed(st, js, name: name, display: display, version: version, schema: schema, op: s, verdict: &verdict, details: &details, into: &out)
                    if let v = js.valueSerializerVersion { newText = "\(js.valueSerializer ?? "") v\(v)" }
                } else if let jv = js.valueSerializer {
                    if let v = js.valueSerializerVersion { newText = "\(jv) v\(v)" }
                    classSerializer(st, jv, js.valueSerializerVersion, name: name, display: display, version: version, op: s, isFlink: isFlink,
                                    flinkMajor2: flinkMajor2, verdict: &verdict, into: &out)
                }
            case .none:
                verdict = verdict == "AS_IS" ? "NOT_CHECKED" : verdict
                details.append("value serializer not checked: the snapshot records none")
            case .unknown(let why):
                verdict = verdict == "AS_IS" ? "NOT_CHECKED" : verdict
                details.append("value serializer not checked: \(why)")
            }
        } else if verdict == "AS_IS" {
            verdict = "NOT_CHECKED"
            details.append("the job spec gives no valueSerializer for this state")
        }
        out.states.append(.init(operatorID: s.id.hex, operatorName: s.displayName, state: st.name, kind: st.kind.name, verdict: verdict,
                                old: st.valueSerializer.display, new: newText, details: details))
    }

    /// Typed native state: BACKWARD / FORWARD / FULL by schema resolution.
    func typed(_ st: SnapshotState, _ js: JobSpec.State, name: String, display: String, version: UInt64?, schema: Schema?, op s: OperatorInfo,
               verdict: inout String, details: inout [String], into out: inout RestorePrediction) {
        guard name == SerializerInfo.typedName, js.valueSerializer == SerializerInfo.typedName else {
            verdict = "INCOMPATIBLE"
            out.problems.append(RestoreProblem(
                code: "valueSerializerIncompatible",
                message: "values were written with \(display); the job reads them with \(js.valueSerializer ?? "?")",
                operator: s, state: st.name,
                fix: "keep \(display), or migrate the values offline: `cairn rewrite \(source) DEST --migrate PLAN.yaml`"))
            return
        }
        guard let newSchema = js.schema else {
            if let v = js.valueSerializerVersion, let old = version, v != old {
                if verdict == "AS_IS" { verdict = "NOT_CHECKED" }
                details.append("schema version \(old) → \(v): give the job's schema: to check it")
            }
            return
        }
        guard let oldSchema = schema else {
            if verdict == "AS_IS" { verdict = "NOT_CHECKED" }
            details.append("the snapshot's typed serializer carries no schema")
            return
        }
        let c = SchemaCompatibility(old: oldSchema, new: newSchema)
        if verdict == "AS_IS" { verdict = c.level.rawValue }
        details += c.backwardIssues.map { "new reads old: \($0)" } + c.forwardIssues.map { "old reads new: \($0)" }
        if !c.isBackward {
            verdict = "INCOMPATIBLE"
            out.problems.append(RestoreProblem(
                code: "valueSerializerIncompatible",
                message: "the job's schema cannot read the snapshot's values (\(c.level.rawValue)): "
                    + c.backwardIssues.map(\.description).joined(separator: "; "),
                operator: s, state: st.name,
                fix: "make the change BACKWARD compatible (give added fields a default, keep types or widen them, rename through aliases), "
                    + "or migrate the values offline: `cairn rewrite \(source) DEST --migrate PLAN.yaml`"))
        } else if !c.isForward {
            out.problems.append(RestoreProblem(
                severity: .warning, code: "notForwardCompatible",
                message: "restores, but once the new job writes a snapshot the old job cannot read it back (rollback): "
                    + c.forwardIssues.map(\.description).joined(separator: "; "),
                operator: s, state: st.name,
                fix: "keep a savepoint of the old job for rollback, or make the change FULL compatible"))
        }
    }

    /// Serializers named by class: Flink resolves compatibility in the serializer snapshot class; another class is
    /// incompatible (TTL on/off is migrated by Flink 2.x, FLINK-35780).
    func classSerializer(_ st: SnapshotState, _ jv: String, _ jVersion: UInt64?, name: String, display: String, version: UInt64?, op s: OperatorInfo,
                         isFlink: Bool, flinkMajor2: Bool, verdict: inout String, into out: inout RestorePrediction) {
        let flinkText: String = st.kind.isKeyed
            ? FlinkMessages.valueSerializerIncompatible(new: jv, old: display)
            : st.kind == .broadcast ? "The new value typeSerializer for broadcast state must not be incompatible."
            : "The new state typeSerializer for operator state must not be incompatible."
        if !Self.sameSerializer(job: jv, snapshot: name, display: display) {
            let ttlOnly = Self.ttlToggled(job: jv, snapshot: display)
            if ttlOnly && flinkMajor2 {
                if verdict == "AS_IS" { verdict = "AFTER_MIGRATION" }
                out.problems.append(RestoreProblem(
                    severity: .warning, code: "ttlChanged",
                    message: "TTL was turned \(display.hasPrefix("TtlSerializer") ? "off" : "on") (\(display) → \(jv)); Flink 2.x migrates the values while restoring (FLINK-35780)",
                    operator: s, state: st.name, fix: "expect a slower first restore; nothing to change"))
                return
            }
            verdict = "INCOMPATIBLE"
            out.problems.append(RestoreProblem(
                code: "valueSerializerIncompatible",
                message: "values were written with \(display); the job uses \(jv)"
                    + (ttlOnly ? " (TTL turned on or off: Flink 1.x cannot migrate that)" : ""),
                flinkMessage: isFlink ? flinkText : nil, operator: s, state: st.name,
                fix: "keep \(display) for '\(st.name)', or migrate the values offline: `cairn rewrite \(source) DEST --migrate PLAN.yaml`"))
            return
        }
        if let jVersion, let version, jVersion < version {
            verdict = "INCOMPATIBLE"
            out.problems.append(RestoreProblem(
                code: "valueSerializerIncompatible",
                message: "the snapshot's serializer snapshot is version \(version); the job's \(jv) only knows up to version \(jVersion) and cannot read it",
                flinkMessage: nil, operator: s, state: st.name,
                fix: "restore with the serializer version that wrote the snapshot (\(version)) or newer"))
        }
    }

    /// The job names a serializer as `LongSerializer`, a full class name, a snapshot class name, or the snapshot's
    /// full text `ListSerializer<LongSerializer>`.
    static func sameSerializer(job: String, snapshot name: String, display: String) -> Bool {
        if job == name || job == display { return true }
        if job.contains("<") { return job.filter { $0 != " " } == display.filter { $0 != " " } }
        return FlinkSerializerSnapshot.serializerName(job) == FlinkSerializerSnapshot.serializerName(name)
    }

    /// `TtlSerializer<LongSerializer, X>` against `X` (or the reverse).
    static func ttlToggled(job: String, snapshot display: String) -> Bool {
        display.hasPrefix("TtlSerializer<") || FlinkSerializerSnapshot.serializerName(job) == "TtlSerializer"
    }

    /// The states the snapshot registered for `op`, and what could not be known.
    func registeredStates(_ op: OperatorSummary, view: any SnapshotView) -> ([SnapshotState], [String]) {
        var notChecked: [String] = []
        if let flink = view as? FlinkSnapshot, let fop = flink.metadata.operators.first(where: { $0.id == op.info.id }) {
            let meta = flink.stateMetaInfo(of: fop)
            func fact(_ s: FlinkSerializerSnapshot?, missing: String) -> SerializerFact {
                guard let s else { return .unknown(missing) }
                return .known(name: s.className, display: s.description, version: UInt64(clamping: s.version), schema: nil)
            }
            var states: [SnapshotState] = []
            let keyFact = fact(meta.keySerializer, missing: meta.unread.first ?? "the keyed backend's key serializer was not found")
            for k in meta.keyedStates {
                states.append(SnapshotState(name: k.name, kind: k.kind, keySerializer: keyFact,
                                            valueSerializer: fact(k.valueSerializer, missing: "its serializer snapshot could not be read")))
            }
            for o in meta.operatorStates {
                var s = SnapshotState(name: o.name, kind: o.kind, keySerializer: .none,
                                      valueSerializer: fact(o.valueSerializer, missing: "its serializer snapshot could not be read"))
                s.mapKeySerializer = fact(o.keySerializer, missing: "not found")
                states.append(s)
            }
            // Operator states the handles name but whose header was not read.
            for st in op.states where !states.contains(where: { $0.name == st.descriptor.name }) {
                states.append(SnapshotState(name: st.descriptor.name, kind: st.descriptor.kind, keySerializer: .none,
                                            valueSerializer: .unknown("the state file's header could not be read")))
            }
            let hasKeyed = fop.subtasks.contains { $0.managedKeyedState != nil }
            if hasKeyed && meta.keyedStates.isEmpty {
                notChecked.append("\(op.info.displayName) (\(op.info.id.hex)): keyed states — \(meta.unread.first ?? "meta info not found")")
            }
            return (states, notChecked)
        }
        let states = op.states.map { st in
            func fact(_ s: SerializerInfo?) -> SerializerFact {
                guard let s else { return .none }
                let display = s.name == SerializerInfo.typedName ? (s.schema.map { "\(SerializerInfo.typedName) \(SchemaCompatibility.shortName($0))" } ?? s.name) : FlinkSerializerSnapshot.serializerName(s.name)
                return .known(name: s.name, display: display, version: s.version, schema: s.schema)
            }
            return SnapshotState(name: st.descriptor.name, kind: st.descriptor.kind, keySerializer: fact(st.keySerializer), valueSerializer: fact(st.valueSerializer))
        }
        return (states, notChecked)
    }
}
