import CairnCore
import CairnFormat
import CairnModel

/// What `cairn rewrite` changes. Native snapshots accept every field but the Flink-only ones; Flink savepoints and
/// retained checkpoints accept the metadata-level ones (drop, rename, set offset, relocate) and the state-level
/// ones (drop state, expire TTL, max parallelism, parallelism), which write keyed state as a canonical savepoint.
/// An empty plan copies the input anew.
public struct RewritePlan: Sendable {
    public typealias OperatorRef = OperatorReference
    public typealias UIDRename = CairnModel.UIDRename
    public typealias OffsetAssignment = CairnModel.OffsetAssignment
    public typealias Relocation = PathRelocation

    /// `--parallelism OP=N`.
    public struct ParallelismChange: Sendable, Hashable {
        public var op: OperatorRef
        public var parallelism: Int
        public init(op: OperatorRef, parallelism: Int) {
            self.op = op
            self.parallelism = parallelism
        }
        public init(parsing text: String) throws(UsageError) {
            guard let eq = text.lastIndex(of: "="), eq != text.startIndex, let n = Int(text[text.index(after: eq)...]), n >= 1 else {
                throw UsageError("--parallelism takes OPERATOR=N with N ≥ 1, got \"\(text)\"")
            }
            self.init(op: OperatorRef(String(text[..<eq])), parallelism: n)
        }
    }

    /// A migration written in Swift for values the plan file cannot describe (opaque serializers): `transform` gets
    /// each serialized value of the state and returns its new bytes; `serializer` replaces the state's value
    /// serializer (name and version) in the output. Throwing stops the rewrite before anything is moved into place.
    public struct ValueMigration: Sendable {
        public var op: OperatorRef?
        public var state: String
        public var serializer: SerializerInfo?
        public var transform: @Sendable ([UInt8]) throws -> [UInt8]
        public init(op: OperatorRef? = nil, state: String, serializer: SerializerInfo? = nil,
                    transform: @escaping @Sendable ([UInt8]) throws -> [UInt8]) {
            self.op = op
            self.state = state
            self.serializer = serializer
            self.transform = transform
        }
    }

    /// `--ttl [[OP/]STATE=]DURATION`: a state's time-to-live for `--expire-ttl` on Flink input, whose snapshots do
    /// not record it; without a state, it applies to every TTL state that has no own setting.
    public struct TTLSetting: Sendable, Hashable {
        public var state: String?
        public var millis: Int64
        public init(state: String?, millis: Int64) {
            self.state = state
            self.millis = millis
        }
        public init(parsing text: String) throws(UsageError) {
            let eq = text.lastIndex(of: "=")
            let durationText = eq.map { String(text[text.index(after: $0)...]) } ?? text
            guard let ms = Self.millis(durationText), ms > 0 else {
                throw UsageError("--ttl takes [OP/]STATE=DURATION or DURATION, with DURATION like 3600000, 90s, 30m, 1h or 7d; got \"\(text)\"")
            }
            let state = eq.map { String(text[..<$0]) }
            if let state, state.isEmpty { throw UsageError("--ttl \(text): the state name before = is empty") }
            self.init(state: state, millis: ms)
        }
        /// Milliseconds of `3600000`, `500ms`, `90s`, `30m`, `1h`, `7d`.
        public static func millis(_ text: String) -> Int64? {
            let units: [(String, Int64)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000)]
            for (suffix, factor) in units where text.hasSuffix(suffix) {
                guard let n = Int64(text.dropLast(suffix.count)) else { continue }
                let (v, overflow) = n.multipliedReportingOverflow(by: factor)
                return overflow ? nil : v
            }
            return Int64(text)
        }
    }

    public var dropOperators: [OperatorRef] = []
    /// `--drop-state [OP/]STATE` (Flink): remove a keyed state from the serialization proxy and its data.
    public var dropStates: [String] = []
    /// `--ttl` (Flink): time-to-live per state (or for all) for `--expire-ttl`.
    public var ttl: [TTLSetting] = []
    /// `--max-parallelism OP=N` (Flink): one operator's new max parallelism; `maxParallelism` changes every operator.
    public var maxParallelismChanges: [ParallelismChange] = []
    /// Bytes of keyed entries a Flink state rewrite sorts in memory before spilling a run to disk.
    public var sortMemory = 64 << 20
    public var renameUIDs: [UIDRename] = []
    public var setOffsets: [OffsetAssignment] = []
    /// Drop keyed entries whose TTL ran out at this time (milliseconds since the epoch), by each state's TTL.
    public var expireTTLAt: Int64?
    /// `--migrate` on native input.
    public var migration: MigrationPlan?
    /// `--migrate` on Flink input.
    public var flinkMigration: FlinkMigrationPlan?
    public var valueMigrations: [ValueMigration] = []
    public var compression: CompressionSetting?
    public var parallelism: [ParallelismChange] = []
    /// Allow a parallelism change to discard in-flight buffers instead of refusing.
    public var dropInFlight = false
    public var maxParallelism: Int?
    public var relocation: Relocation?
    /// Fold a delta chain into a full snapshot (`--compact`, `ChainCompactor`).
    public var compact = false

    /// True when nothing but `compact` (and compression) is asked for.
    public var isCompactionOnly: Bool {
        nativeOnlyOptions.isEmpty && stateOptions.isEmpty && flinkOnlyOptions.isEmpty && dropOperators.isEmpty && renameUIDs.isEmpty
            && setOffsets.isEmpty && relocation == nil && expireTTLAt == nil && migration == nil && flinkMigration == nil && valueMigrations.isEmpty
    }

    public init() {}

    /// The options that only native snapshots support, named as on the command line, for a clear refusal on Flink input.
    public var nativeOnlyOptions: [String] {
        var out: [String] = []
        if migration != nil || !valueMigrations.isEmpty { out.append("--migrate") }
        return out
    }

    /// The options that rewrite state (not only metadata); on Flink input they write keyed state as a canonical savepoint.
    public var stateOptions: [String] {
        var out: [String] = []
        if expireTTLAt != nil { out.append("--expire-ttl") }
        if flinkMigration != nil { out.append("--migrate") }
        if !dropStates.isEmpty { out.append("--drop-state") }
        if !parallelism.isEmpty { out.append("--parallelism") }
        if maxParallelism != nil || !maxParallelismChanges.isEmpty { out.append("--max-parallelism") }
        return out
    }

    /// The options that only Flink input takes.
    public var flinkOnlyOptions: [String] {
        var out: [String] = []
        if !dropStates.isEmpty { out.append("--drop-state") }
        if !ttl.isEmpty { out.append("--ttl") }
        if !maxParallelismChanges.isEmpty { out.append("--max-parallelism OP=N") }
        return out
    }
}

/// What a rewrite did, for the table and `--json`.
public struct RewriteReport: Sendable {
    public var source: String
    public var destination: String
    /// One line per change, in the order applied, e.g. "dropped operator enrich (0e44…)".
    public var changes: [String]
    public var filesWritten: Int
    public var bytesWritten: Int64

    public init(source: String, destination: String, changes: [String], filesWritten: Int, bytesWritten: Int64) {
        self.source = source
        self.destination = destination
        self.changes = changes
        self.filesWritten = filesWritten
        self.bytesWritten = bytesWritten
    }

    public var json: JSONValue {
        .object([("source", .string(source)), ("destination", .string(destination)),
                 ("changes", .array(changes.map { .string($0) })), ("filesWritten", .number(filesWritten)),
                 ("bytesWritten", .number(bytesWritten))])
    }

    public var text: String {
        var lines = ["wrote \(destination): \(filesWritten) file(s), \(ByteCount.format(bytesWritten))"]
        lines += changes.isEmpty ? ["  no changes (a verified copy)"] : changes.map { "  " + $0 }
        return lines.joined(separator: "\n")
    }
}
