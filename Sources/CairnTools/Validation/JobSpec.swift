import CairnCore
import CairnFormat
import CairnModel

/// The job that is about to restore a snapshot, as `cairn validate --against JOB.yaml` reads it: its operators
/// (by uid and/or operator id), their parallelism, and the states each registers with their serializers.
///
/// Only what the file says is checked: an operator without `states:` gets no state checks, a state without
/// `valueSerializer` no serializer check. `JobSpecLoader` reads the YAML (or JSON) form.
public struct JobSpec: Sendable, Equatable {
    /// Flink's `--allowNonRestoredState`: state of operators missing from the job is dropped instead of failing.
    public var allowNonRestoredState: Bool
    public var operators: [Operator]

    public init(allowNonRestoredState: Bool = false, operators: [Operator]) {
        self.allowNonRestoredState = allowNonRestoredState
        self.operators = operators
    }

    /// One operator of the job.
    public struct Operator: Sendable, Equatable {
        public var uid: String?
        /// As written in the file; see `flinkID` for the id Flink will use.
        public var id: OperatorID?
        public var name: String?
        public var parallelism: Int?
        /// Nil when the job leaves it unset (Flink then adopts the snapshot's).
        public var maxParallelism: Int?
        /// Nil when the file does not list them: state checks are skipped for this operator.
        public var states: [State]?
        /// Where the operator is in the file, e.g. `operators[2]`, for messages.
        public var path: String

        public init(uid: String? = nil, id: OperatorID? = nil, name: String? = nil, parallelism: Int? = nil,
                    maxParallelism: Int? = nil, states: [State]? = nil, path: String = "operators[?]") {
            self.uid = uid
            self.id = id
            self.name = name
            self.parallelism = parallelism
            self.maxParallelism = maxParallelism
            self.states = states
            self.path = path
        }

        /// The operator id Flink gives this operator: the explicit id, else the murmur3 hash of the uid.
        public var flinkID: OperatorID? { id ?? uid.map { OperatorID(flinkUID: $0) } }

        /// How messages name it: name, uid, then id.
        public var displayName: String { name ?? uid ?? id?.hex ?? path }
    }

    /// One state an operator registers.
    public struct State: Sendable, Equatable {
        public var name: String
        public var kind: StateKind?
        /// A serializer class name (`LongSerializer` or its full class or snapshot class name).
        public var keySerializer: String?
        /// A serializer class name, or `cairn.typed` with `schema`.
        public var valueSerializer: String?
        public var valueSerializerVersion: UInt64?
        /// The typed schema (format spec §7) the job reads values with.
        public var schema: Schema?
        public var path: String

        public init(name: String, kind: StateKind? = nil, keySerializer: String? = nil, valueSerializer: String? = nil,
                    valueSerializerVersion: UInt64? = nil, schema: Schema? = nil, path: String = "states[?]") {
            self.name = name
            self.kind = kind
            self.keySerializer = keySerializer
            self.valueSerializer = valueSerializer
            self.valueSerializerVersion = valueSerializerVersion
            self.schema = schema
            self.path = path
        }
    }
}

/// A job spec file that cannot be used: the place (`operators[2].states[0].valueSerialiser`, line) and what to do.
public struct JobSpecError: CairnError {
    public var file: String
    /// Key path inside the file; empty for the whole file.
    public var path: String
    public var line: Int?
    public var message: String

    public init(file: String, path: String, line: Int? = nil, _ message: String) {
        self.file = file
        self.path = path
        self.line = line
        self.message = message
    }

    public var description: String {
        let place = file + (line.map { ":\($0)" } ?? "")
        return "\(place): " + (path.isEmpty ? "" : "\(path): ") + message
    }
}

extension JobSpecError {
    /// A job spec that cannot be used is a usage error, not a finding about the snapshot.
    public var exitStatus: Int32 { 2 }
}
