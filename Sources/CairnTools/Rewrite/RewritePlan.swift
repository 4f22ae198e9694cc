import CairnCore
import CairnFormat
import CairnModel

/// What `cairn rewrite` changes. Native snapshots accept every field; Flink savepoints and retained checkpoints
/// accept the metadata-level ones (drop, rename, set offset, relocate). An empty plan copies the input anew.
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

    public var dropOperators: [OperatorRef] = []
    public var renameUIDs: [UIDRename] = []
    public var setOffsets: [OffsetAssignment] = []
    /// Drop keyed entries whose TTL ran out at this time (milliseconds since the epoch), by each state's TTL.
    public var expireTTLAt: Int64?
    public var migration: MigrationPlan?
    public var valueMigrations: [ValueMigration] = []
    public var compression: CompressionSetting?
    public var parallelism: [ParallelismChange] = []
    /// Allow a parallelism change to discard in-flight buffers instead of refusing.
    public var dropInFlight = false
    public var maxParallelism: Int?
    public var relocation: Relocation?

    public init() {}

    /// The options that only native snapshots support, named as on the command line, for a clear refusal on Flink input.
    public var nativeOnlyOptions: [String] {
        var out: [String] = []
        if expireTTLAt != nil { out.append("--expire-ttl") }
        if migration != nil || !valueMigrations.isEmpty { out.append("--migrate") }
        if !parallelism.isEmpty { out.append("--parallelism") }
        if maxParallelism != nil { out.append("--max-parallelism") }
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
