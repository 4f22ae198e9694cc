import CairnCore
import CairnFormat
import CairnModel

/// A `RewritePlan` checked against one input snapshot: every refusal has happened, nothing is written yet.
struct ResolvedRewrite {
    var operators: [OutputOperator]
    /// The output serializer table, in order.
    var serializers: [SerializerInfo]
    /// Changes known before writing (drops, renames, offsets, compression); counts are added while writing.
    var changes: [String]
    var compression: CompressionSetting
    /// Whether values or key groups change, which is when the input is checked deep before writing.
    var rewritesEntries: Bool
}

/// One operator of the output and where it comes from.
struct OutputOperator {
    /// Index of the input operator.
    var input: Int
    var info: OperatorInfo
    /// Descriptors with output serializer ids, in the input's (name) order.
    var states: [StateDescriptor]
    /// Changes to values, by state index.
    var transforms: [Int: StateTransform]
    /// Whether subtasks change: a new parallelism (operator state, splits and key-group ranges move).
    var newParallelism: Int?
    /// Whether keys are re-hashed into a new number of key groups.
    var newMaxParallelism: Int?
    var dropChannels: Bool
    var offsets: [String: SplitPosition]
    /// How people name the operator in reports: its uid, else its name or id.
    var label: String

    var rescales: Bool { newParallelism != nil || newMaxParallelism != nil }
}

/// What happens to the values of one state.
struct StateTransform {
    /// Entries with a TTL timestamp at or before this expire.
    var expireAtOrBefore: Int64?
    var migration: Migration?
    var closures: [@Sendable ([UInt8]) throws -> [UInt8]] = []
    /// Checks closure output when the replacing serializer has a schema.
    var closureValidator: SchemaValidator?

    struct Migration {
        var old: Schema
        var conversion: ValueConversion
        var validator: SchemaValidator
        var from: UInt64
        var to: UInt64
    }

    var changesValues: Bool { migration != nil || !closures.isEmpty }

    /// The value's new bytes.
    /// `apply` as a value, for callers inside untyped closures.
    func applying(_ value: [UInt8]) -> Result<[UInt8], ValueRejection> {
        do { return .success(try apply(value)) } catch { return .failure(error) }
    }

    func apply(_ value: [UInt8]) throws(ValueRejection) -> [UInt8] {
        var bytes = value
        if let m = migration {
            let decoded: TypedValue
            do { decoded = try TypedValue.decode(m.old, from: bytes) } catch {
                throw ValueRejection("the value does not decode with the old schema (v\(m.from)): \(error.message)")
            }
            let converted: TypedValue
            do { converted = try m.conversion.apply(decoded) } catch { throw ValueRejection(error.message) }
            bytes = converted.encoded
            do { try bytes.withUnsafeBytes { b in try m.validator.validate(b, 0..<b.count) } } catch {
                throw ValueRejection("the migrated value does not match the new schema (v\(m.to)): \((error as? DecodeError)?.message ?? "\(error)")")
            }
        }
        for c in closures {
            do { bytes = try c(bytes) } catch { throw ValueRejection("the migration closure threw: \(error)") }
        }
        if let v = closureValidator, !closures.isEmpty {
            do { try bytes.withUnsafeBytes { b in try v.validate(b, 0..<b.count) } } catch {
                throw ValueRejection("the migrated value does not match the new serializer's schema: \((error as? DecodeError)?.message ?? "\(error)")")
            }
        }
        return bytes
    }

    struct ValueRejection: Error {
        var reason: String
        init(_ reason: String) { self.reason = reason }
    }
}

extension NativeRewriter {
    /// Checks the plan against the snapshot's index and works out the output; throws the first refusal.
    /// Each option is a stage of `RewriteResolution`, applied in the order the command line documents.
    static func resolve(_ plan: RewritePlan, index: SnapshotIndex) throws(NativeRewriteError) -> ResolvedRewrite {
        var r = RewriteResolution(plan: plan, index: index)
        try r.drops()
        try r.renames()
        r.startOutputs()
        try r.offsets()
        try r.parallelism()
        try r.ttl()
        try r.planMigrations()
        try r.valueMigrations()
        let serializers = r.renumberSerializers()
        return try r.finish(serializers: serializers)
    }

    /// The codec the input's blocks were written with: the one compressed codec found, zstd:1 if none or mixed.
    static func inputCompression(_ index: SnapshotIndex) -> CompressionSetting {
        let codecs = Set(index.blocks.map(\.codec)).subtracting([BlockCodec.none.rawValue])
        if codecs.isEmpty { return index.blocks.isEmpty ? .default : .none }
        if codecs == [BlockCodec.lz4.rawValue] { return .lz4 }
        return .default
    }

    /// The split's position moved to `text`, refused where the position type cannot take it.
    static func newPosition(_ split: SourceSplit, _ text: String, source: String) throws(NativeRewriteError) -> SplitPosition {
        func refuse(_ reason: String) -> NativeRewriteError { .cannotSetOffset(source: source, split: split.splitId, reason: reason) }
        switch split.position {
        case .kafka(let topic, let partition, _):
            let special: [String: Int64] = ["latest": -1, "earliest": -2, "committed": -3]
            guard let offset = special[text.lowercased()] ?? Int64(text), offset >= -3 else {
                throw refuse("a Kafka position is an offset ≥ 0 (or earliest, latest, committed), got \"\(text)\"")
            }
            return .kafka(topic: topic, partition: partition, nextOffset: offset)
        case .numberSequence(_, let last):
            guard let next = Int64(text) else { throw refuse("a number-sequence position is the next number to emit, got \"\(text)\"") }
            guard last == Int64.max || next <= last + 1 else {
                throw refuse("the split ends at \(last); the next number can be at most \(last + 1) (the split is then finished)")
            }
            return .numberSequence(next: next, last: last)
        case .kinesis(let stream, let shard, _):
            let isNumber = !text.isEmpty && text.allSatisfy(\.isASCII) && text.allSatisfy(\.isNumber)
            let isWord = !text.isEmpty && text.allSatisfy { $0 == "_" || ($0.isASCII && $0.isUppercase) }
            guard isNumber || isWord else {
                throw refuse("a Kinesis position is a sequence number (digits) or a starting position such as TRIM_HORIZON, got \"\(text)\"")
            }
            return .kinesis(stream: stream, shardId: shard, sequenceNumber: text)
        case .generic(let serializer, let version, _):
            throw refuse("the split's position is serialized by \(serializer) v\(version), which cairn cannot write; only Kafka, Kinesis and number-sequence positions can be set")
        }
    }

    static func describe(_ p: SplitPosition) -> String {
        switch p {
        case .kafka(_, _, let o): "\(o)"
        case .numberSequence(let next, _): "\(next)"
        case .kinesis(_, _, let s): s
        case .generic(let s, _, let bytes): "\(s) (\(bytes.count) bytes)"
        }
    }
}

/// The state of resolving one `RewritePlan` against an index, one stage per option.
struct RewriteResolution {
    let plan: RewritePlan
    let index: SnapshotIndex
    let ops: [OperatorIndex]
    /// "uid (name, id)" of every input operator, for messages.
    let available: [String]
    /// Operator identities as renames leave them.
    var infos: [OperatorInfo]
    var changes: [String] = []
    var dropped = Set<Int>()
    /// Input operators that stay, and what becomes of each.
    var kept: [Int] = []
    var outputs: [Int: OutputOperator] = [:]
    /// True when entries must be re-encoded (not just blocks copied).
    var rewritesEntries = false
    /// Operator → state → the value serializer that replaces the input's.
    var newSerializer: [Int: [Int: SerializerInfo]] = [:]

    init(plan: RewritePlan, index: SnapshotIndex) {
        self.plan = plan
        self.index = index
        ops = index.operators
        infos = ops.map(\.info)
        available = ops.map { o in
            (o.info.uid.isEmpty ? "" : "\(o.info.uid) ") + "(\(o.info.name.isEmpty ? "" : o.info.name + ", ")\(o.info.id.hex))"
        }
    }

    func label(_ info: OperatorInfo) -> String { info.uid.isEmpty ? info.displayName : info.uid }
    func short(_ id: OperatorID) -> String { String(id.hex.prefix(8)) + "…" }

    /// The single operator a reference names, by its input or (after a rename) its new identity.
    func find(_ ref: RewritePlan.OperatorRef, _ option: String) throws(NativeRewriteError) -> Int {
        var matches = ops.indices.filter { ref.matches(ops[$0].info) }
        if matches.isEmpty { matches = infos.indices.filter { ref.matches(infos[$0]) } }
        guard !matches.isEmpty else { throw .unknownOperator(option: option, name: ref.text, available: available) }
        guard matches.count == 1 else {
            throw .ambiguousOperator(option: option, name: ref.text, matches: matches.map { "\(label(ops[$0].info)) (\(ops[$0].info.id.hex))" })
        }
        return matches[0]
    }

    func notDropped(_ i: Int, _ option: String) throws(NativeRewriteError) {
        if dropped.contains(i) {
            throw .conflictingOptions("\(option) names operator \(label(ops[i].info)), which --drop-operator removes; keep one of the two")
        }
    }

    func hasOpaque(_ i: Int, keyed: Bool = false) -> Bool {
        ops[i].subtasks.contains { st in st.opaque.contains { !keyed || $0.role.isKeyed } }
    }
    func isKeyed(_ i: Int) -> Bool {
        ops[i].states.contains { $0.kind.isKeyed } || ops[i].subtasks.contains { !$0.keyed.isEmpty || $0.opaque.contains { $0.role.isKeyed } }
    }

    /// `--drop-operator`.
    mutating func drops() throws(NativeRewriteError) {
        for ref in plan.dropOperators {
            let i = try find(ref, "--drop-operator")
            guard dropped.insert(i).inserted else { continue }
            changes.append("dropped operator \(label(ops[i].info)) (\(short(ops[i].info.id)))")
        }
    }

    /// `--rename-uid`: the id follows the uid, as Flink derives it.
    mutating func renames() throws(NativeRewriteError) {
        var renamed = Set<Int>()
        for r in plan.renameUIDs {
            let i = try find(RewritePlan.OperatorRef(r.old), "--rename-uid")
            try notDropped(i, "--rename-uid")
            guard renamed.insert(i).inserted else {
                throw .conflictingOptions("--rename-uid renames operator \(label(ops[i].info)) twice; give one new uid")
            }
            guard !r.new.isEmpty else { throw .conflictingOptions("--rename-uid \(r.old)=: the new uid is empty") }
            let newID = OperatorID(flinkUID: r.new)
            for (j, other) in infos.enumerated() where j != i && !dropped.contains(j) {
                if other.uid == r.new || other.id == newID {
                    throw .uidCollision(old: r.old, new: r.new, id: newID.hex, holder: "\(label(other)) (\(other.id.hex))")
                }
            }
            let oldID = infos[i].id
            let oldUID = infos[i].uid
            infos[i].uid = r.new
            infos[i].id = newID
            changes.append("renamed uid \(oldUID.isEmpty ? "(none)" : oldUID) → \(r.new): id \(short(oldID)) → \(short(newID))")
        }
    }

    /// Every kept operator, as it is before the remaining options change it.
    mutating func startOutputs() {
        kept = ops.indices.filter { !dropped.contains($0) }
        for i in kept {
            outputs[i] = OutputOperator(input: i, info: infos[i], states: ops[i].states, transforms: [:], newParallelism: nil,
                                        newMaxParallelism: nil, dropChannels: false, offsets: [:], label: label(infos[i]))
        }
    }

    /// `--set-offset`.
    mutating func offsets() throws(NativeRewriteError) {
        for a in plan.setOffsets {
            let i = try find(a.source, "--set-offset")
            try notDropped(i, "--set-offset")
            let splits = ops[i].subtasks.flatMap(\.splits)
            guard let split = splits.first(where: { $0.splitId == a.split }) else {
                throw .unknownSplit(source: label(infos[i]), split: a.split, available: splits.map(\.splitId).sorted())
            }
            let position = try NativeRewriter.newPosition(split, a.position, source: label(infos[i]))
            guard outputs[i]!.offsets.updateValue(position, forKey: a.split) == nil else {
                throw .conflictingOptions("--set-offset sets split \(a.split) of \(label(infos[i])) twice")
            }
            changes.append("set offset of \(label(infos[i])) split \(a.split): \(NativeRewriter.describe(split.position)) → \(NativeRewriter.describe(position))")
        }
    }

    /// `--parallelism` and `--max-parallelism`, then the check that parallelism never exceeds max parallelism.
    mutating func parallelism() throws(NativeRewriteError) {
        for change in plan.parallelism {
            let i = try find(change.op, "--parallelism")
            try notDropped(i, "--parallelism")
            guard outputs[i]!.newParallelism == nil else {
                throw .conflictingOptions("--parallelism is given twice for operator \(label(infos[i]))")
            }
            if hasOpaque(i) { throw .opaqueState(operator: label(infos[i]), option: "--parallelism") }
            guard change.parallelism != ops[i].info.parallelism else { continue }
            let channels = ops[i].subtasks.flatMap(\.channels)
            if !channels.isEmpty {
                guard plan.dropInFlight else {
                    throw .inFlightBuffers(operator: label(infos[i]), subtasks: ops[i].subtasks.filter { !$0.channels.isEmpty }.map(\.index),
                                           channels: channels.count, buffers: channels.reduce(0) { $0 + $1.bufferCount })
                }
                outputs[i]!.dropChannels = true
            }
            outputs[i]!.newParallelism = change.parallelism
            rewritesEntries = true
        }
        if let n = plan.maxParallelism {
            guard (1...KeyGroupRange.upperBound).contains(n) else {
                throw .invalidParallelism(operator: "*", reason: "--max-parallelism must be 1…\(KeyGroupRange.upperBound), got \(n)")
            }
            for i in kept where isKeyed(i) && ops[i].info.maxParallelism != n {
                if hasOpaque(i, keyed: true) { throw .opaqueState(operator: label(infos[i]), option: "--max-parallelism") }
                outputs[i]!.newMaxParallelism = n
                rewritesEntries = true
            }
        }
        for i in kept {
            let o = outputs[i]!
            let p = o.newParallelism ?? ops[i].info.parallelism
            let m = o.newMaxParallelism ?? ops[i].info.maxParallelism
            guard p <= m else {
                let why = o.newMaxParallelism != nil ? "--max-parallelism \(m) is below its parallelism \(p); lower the parallelism too (--parallelism \(label(infos[i]))=\(m))"
                    : "--parallelism \(p) exceeds its max parallelism \(m) (its number of key groups); raise it with --max-parallelism"
                throw .invalidParallelism(operator: label(infos[i]), reason: why)
            }
            outputs[i]!.info.parallelism = p
            outputs[i]!.info.maxParallelism = m
        }
    }

    /// `--expire-ttl`.
    mutating func ttl() throws(NativeRewriteError) {
        if let now = plan.expireTTLAt {
            for i in kept {
                let withTTL = ops[i].states.indices.filter { ops[i].states[$0].ttl != nil && ops[i].states[$0].kind.isKeyed }
                if hasOpaque(i, keyed: true) { throw .opaqueState(operator: label(infos[i]), option: "--expire-ttl") }
                for si in withTTL {
                    let millis = Int64(clamping: ops[i].states[si].ttl!.millis)
                    let (cut, overflow) = now.subtractingReportingOverflow(millis)
                    outputs[i]!.transforms[si, default: StateTransform()].expireAtOrBefore = overflow ? Int64.min : cut
                    rewritesEntries = true
                }
            }
        }
    }

    /// `--migrate PLAN`: typed value migrations.
    mutating func planMigrations() throws(NativeRewriteError) {
        for m in plan.migration?.migrations ?? [] {
            let i = try find(m.op, "--migrate")
            try notDropped(i, "--migrate")
            let opLabel = label(infos[i])
            guard let si = ops[i].states.firstIndex(where: { $0.name == m.state }) else {
                if hasOpaque(i) { throw .opaqueState(operator: opLabel, option: "--migrate") }
                throw .migrationRefused(operator: opLabel, state: m.state, problems: [
                    "the operator has no state named \(m.state); its states are \(ops[i].states.map(\.name).joined(separator: ", "))"])
            }
            let d = ops[i].states[si]
            guard let vs = d.valueSerializer, vs < index.serializers.count else {
                throw .migrationRefused(operator: opLabel, state: m.state, problems: ["the state has no value serializer"])
            }
            let ser = index.serializers[vs]
            guard let old = ser.schema else {
                throw .migrationRefused(operator: opLabel, state: m.state, problems: [
                    "its value serializer \(ser.name) v\(ser.version) has no schema; migrate it from Swift with a RewritePlan.ValueMigration"])
            }
            guard ser.version == m.from else {
                throw .migrationRefused(operator: opLabel, state: m.state, problems: [
                    "the plan migrates from version \(m.from) but the state's value schema is version \(ser.version)"])
            }
            guard outputs[i]!.transforms[si]?.migration == nil else {
                throw .conflictingOptions("--migrate migrates \(opLabel)/\(m.state) twice")
            }
            switch ValueConversion.resolve(old: old, new: m.schema, rename: m.rename, drop: m.drop) {
            case .failure(let p):
                throw .migrationRefused(operator: opLabel, state: m.state, problems: p.problems)
            case .success(let conversion):
                outputs[i]!.transforms[si, default: StateTransform()].migration = StateTransform.Migration(
                    old: old, conversion: conversion, validator: SchemaValidator(m.schema), from: m.from, to: m.to)
            }
            newSerializer[i, default: [:]][si] = .typed(m.schema, version: m.to)
            rewritesEntries = true
        }
    }

    /// Migrations written in Swift (`RewritePlan.ValueMigration`).
    mutating func valueMigrations() throws(NativeRewriteError) {
        for vm in plan.valueMigrations {
            var targets: [(Int, Int)] = []
            if let ref = vm.op {
                let i = try find(ref, "ValueMigration")
                try notDropped(i, "ValueMigration")
                guard let si = ops[i].states.firstIndex(where: { $0.name == vm.state }) else {
                    if hasOpaque(i) { throw .opaqueState(operator: label(infos[i]), option: "ValueMigration") }
                    throw .migrationRefused(operator: label(infos[i]), state: vm.state, problems: [
                        "the operator has no state named \(vm.state); its states are \(ops[i].states.map(\.name).joined(separator: ", "))"])
                }
                targets = [(i, si)]
            } else {
                for i in kept { if let si = ops[i].states.firstIndex(where: { $0.name == vm.state }) { targets.append((i, si)) } }
                guard !targets.isEmpty else {
                    throw .migrationRefused(operator: "*", state: vm.state, problems: ["no operator has a state named \(vm.state)"])
                }
            }
            for (i, si) in targets {
                outputs[i]!.transforms[si, default: StateTransform()].closures.append(vm.transform)
                if let s = vm.serializer {
                    newSerializer[i, default: [:]][si] = s
                    outputs[i]!.transforms[si]!.closureValidator = s.schema.map(SchemaValidator.init)
                }
            }
            rewritesEntries = true
        }
    }

    /// The output's serializers: the input's that kept states use, in input order, then the new ones; states point at them.
    mutating func renumberSerializers() -> [SerializerInfo] {
        var used = Set<Int>()
        for i in kept {
            for (si, d) in ops[i].states.enumerated() {
                for s in [d.keySerializer, d.namespaceSerializer] { if let s { used.insert(s) } }
                if let v = d.valueSerializer, newSerializer[i]?[si] == nil { used.insert(v) }
            }
        }
        var serializers: [SerializerInfo] = []
        var outputID: [Int: Int] = [:]
        for s in used.sorted() {
            if let j = serializers.firstIndex(of: index.serializers[s]) { outputID[s] = j; continue }
            outputID[s] = serializers.count
            serializers.append(index.serializers[s])
        }
        for i in kept {
            for si in ops[i].states.indices {
                var d = ops[i].states[si]
                d.keySerializer = d.keySerializer.flatMap { outputID[$0] }
                d.namespaceSerializer = d.namespaceSerializer.flatMap { outputID[$0] }
                if let replacement = newSerializer[i]?[si] {
                    if let j = serializers.firstIndex(of: replacement) {
                        d.valueSerializer = j
                    } else {
                        d.valueSerializer = serializers.count
                        serializers.append(replacement)
                    }
                } else {
                    d.valueSerializer = d.valueSerializer.flatMap { outputID[$0] }
                }
                outputs[i]!.states[si] = d
            }
        }
        return serializers
    }

    /// Compression (as asked, else the input's codec) and the final uniqueness check, as validate makes it.
    mutating func finish(serializers: [SerializerInfo]) throws(NativeRewriteError) -> ResolvedRewrite {
        let compression = plan.compression ?? NativeRewriter.inputCompression(index)
        if let c = plan.compression { changes.append("compressed blocks with \(c) (the input used \(NativeRewriter.inputCompression(index)))") }

        // Final uniqueness, as validate checks it.
        let result = kept.map { outputs[$0]! }.sorted { $0.info.id < $1.info.id }
        for (a, b) in zip(result, result.dropFirst()) where a.info.id == b.info.id {
            throw .uidCollision(old: a.label, new: b.label, id: a.info.id.hex, holder: b.label)
        }
        return ResolvedRewrite(operators: result, serializers: serializers, changes: changes, compression: compression,
                               rewritesEntries: rewritesEntries)
    }
}
