import CairnModel

/// A Flink `KeyedStateHandle` (research notes §2.5).
public indirect enum FlinkKeyedHandle: Sendable, Equatable {
    /// Tags 3, 12 (checkpoints of the heap backend, RocksDB full in 1.15) and 7 (canonical savepoints): one stream with
    /// an offset per key group.
    case keyGroups(tag: UInt8, range: KeyGroupRange, offsets: [Int64], delegate: FlinkStreamHandle?, stateHandleId: String?)
    /// Tags 5 and 11: RocksDB incremental or native snapshots.
    case incremental(IncrementalHandle)
    /// Tags 8 and 14: changelog backend, materialized part plus deltas.
    case changelog(tag: UInt8, range: KeyGroupRange, checkpointedSize: Int64, materialized: [FlinkKeyedHandle],
                   deltas: [FlinkKeyedHandle], materializationId: Int64, checkpointId: Int64, stateHandleId: String)
    /// Tag 9: changelog held in memory (inside `_metadata`).
    case changelogInMemory(range: KeyGroupRange, from: Int64, to: Int64, changes: [(keyGroup: Int32, data: [UInt8])], stateHandleId: String)
    /// Tags 10 and 13: changelog in files.
    case changelogFiles(tag: UInt8, range: KeyGroupRange, handles: [(offset: Int64, handle: FlinkStreamHandle?)], size: Int64,
                        checkpointedSize: Int64, stateHandleId: String, storage: String)

    public struct IncrementalHandle: Sendable, Equatable {
        public var tag: UInt8
        public var checkpointId: Int64
        public var backendId: String
        public var range: KeyGroupRange
        /// Nil for tag 5, which did not record it (Flink then uses the state size).
        public var checkpointedSize: Int64?
        public var metadata: FlinkStreamHandle?
        public var shared: [(localPath: String, handle: FlinkStreamHandle?)]
        public var privateFiles: [(localPath: String, handle: FlinkStreamHandle?)]
        public var stateHandleId: String?

        public init(tag: UInt8, checkpointId: Int64, backendId: String, range: KeyGroupRange, checkpointedSize: Int64?,
                    metadata: FlinkStreamHandle?, shared: [(localPath: String, handle: FlinkStreamHandle?)],
                    privateFiles: [(localPath: String, handle: FlinkStreamHandle?)], stateHandleId: String?) {
            self.tag = tag
            self.checkpointId = checkpointId
            self.backendId = backendId
            self.range = range
            self.checkpointedSize = checkpointedSize
            self.metadata = metadata
            self.shared = shared
            self.privateFiles = privateFiles
            self.stateHandleId = stateHandleId
        }

        public static func == (a: Self, b: Self) -> Bool {
            a.tag == b.tag && a.checkpointId == b.checkpointId && a.backendId == b.backendId && a.range == b.range
                && a.checkpointedSize == b.checkpointedSize && a.metadata == b.metadata && a.stateHandleId == b.stateHandleId
                && a.shared.map(\.localPath) == b.shared.map(\.localPath) && a.shared.map(\.handle) == b.shared.map(\.handle)
                && a.privateFiles.map(\.localPath) == b.privateFiles.map(\.localPath) && a.privateFiles.map(\.handle) == b.privateFiles.map(\.handle)
        }
    }

    public static func == (a: FlinkKeyedHandle, b: FlinkKeyedHandle) -> Bool {
        switch (a, b) {
        case let (.keyGroups(t1, r1, o1, d1, i1), .keyGroups(t2, r2, o2, d2, i2)): t1 == t2 && r1 == r2 && o1 == o2 && d1 == d2 && i1 == i2
        case let (.incremental(x), .incremental(y)): x == y
        case let (.changelog(t1, r1, c1, m1, d1, ma1, ck1, i1), .changelog(t2, r2, c2, m2, d2, ma2, ck2, i2)):
            t1 == t2 && r1 == r2 && c1 == c2 && m1 == m2 && d1 == d2 && ma1 == ma2 && ck1 == ck2 && i1 == i2
        case let (.changelogInMemory(r1, f1, t1, c1, i1), .changelogInMemory(r2, f2, t2, c2, i2)):
            r1 == r2 && f1 == f2 && t1 == t2 && c1.map(\.keyGroup) == c2.map(\.keyGroup) && c1.map(\.data) == c2.map(\.data) && i1 == i2
        case let (.changelogFiles(t1, r1, h1, s1, c1, i1, st1), .changelogFiles(t2, r2, h2, s2, c2, i2, st2)):
            t1 == t2 && r1 == r2 && h1.map(\.offset) == h2.map(\.offset) && h1.map(\.handle) == h2.map(\.handle) && s1 == s2 && c1 == c2 && i1 == i2 && st1 == st2
        default: false
        }
    }

    public var keyGroupRange: KeyGroupRange {
        switch self {
        case .keyGroups(_, let r, _, _, _), .changelog(_, let r, _, _, _, _, _, _), .changelogInMemory(let r, _, _, _, _),
            .changelogFiles(_, let r, _, _, _, _, _):
            r
        case .incremental(let h): h.range
        }
    }

    /// The handle's class, as Flink names it.
    public var kind: String {
        switch self {
        case .keyGroups(let tag, _, _, _, _): tag == 7 ? "KeyGroupsSavepointStateHandle" : "KeyGroupsStateHandle"
        case .incremental: "IncrementalRemoteKeyedStateHandle"
        case .changelog: "ChangelogStateBackendHandleImpl"
        case .changelogInMemory: "InMemoryChangelogStateHandle"
        case .changelogFiles: "ChangelogStateHandleStreamImpl"
        }
    }

    /// The stream handles below this one.
    public var streamHandles: [FlinkStreamHandle] {
        switch self {
        case .keyGroups(_, _, _, let d, _): d.map { [$0] } ?? []
        case .incremental(let h): (h.metadata.map { [$0] } ?? []) + h.shared.compactMap(\.handle) + h.privateFiles.compactMap(\.handle)
        case .changelog(_, _, _, let m, let d, _, _, _): (m + d).flatMap(\.streamHandles)
        case .changelogInMemory: []
        case .changelogFiles(_, _, let hs, _, _, _, _): hs.compactMap(\.handle)
        }
    }

    /// Visits the stream handles below this one, in the order of `streamHandles`, without collecting them.
    public func forEachStreamHandle(_ body: (FlinkStreamHandle) throws -> Void) rethrows {
        switch self {
        case .keyGroups(_, _, _, let d, _): if let d { try body(d) }
        case .incremental(let h):
            if let m = h.metadata { try body(m) }
            for f in h.shared { if let x = f.handle { try body(x) } }
            for f in h.privateFiles { if let x = f.handle { try body(x) } }
        case .changelog(_, _, _, let m, let d, _, _, _):
            for k in m { try k.forEachStreamHandle(body) }
            for k in d { try k.forEachStreamHandle(body) }
        case .changelogInMemory: break
        case .changelogFiles(_, _, let hs, _, _, _, _): for x in hs { if let h = x.handle { try body(h) } }
        }
    }

    /// `getStateSize()` as Flink computes it.
    public var stateSize: Int64 {
        switch self {
        case .keyGroups(_, _, _, let d, _): d?.stateSize ?? 0
        case .incremental(let h):
            (h.metadata?.stateSize ?? 0) + h.shared.reduce(0) { $0 + ($1.handle?.stateSize ?? 0) }
                + h.privateFiles.reduce(0) { $0 + ($1.handle?.stateSize ?? 0) }
        case .changelog(_, _, _, let m, let d, _, _, _): (m + d).reduce(0) { $0 + $1.stateSize }
        case .changelogInMemory(_, _, _, let changes, _): changes.reduce(0) { $0 + Int64($1.data.count) }
        case .changelogFiles(_, _, _, let size, _, _, _): size
        }
    }

    /// `getCheckpointedSize()`: the bytes this checkpoint persisted anew.
    public var checkpointedSize: Int64 {
        switch self {
        case .keyGroups, .changelogInMemory: stateSize
        case .incremental(let h): h.checkpointedSize ?? stateSize
        case .changelog(_, _, let c, _, _, _, _, _): c
        case .changelogFiles(_, _, _, _, let c, _, _): c
        }
    }
}

/// A Flink `OperatorStateHandle` (tags 4 and 17): offsets per state name into one stream.
public struct FlinkOperatorStateHandle: Sendable, Equatable {
    public enum Mode: UInt8, Sendable { case splitDistribute = 0, union = 1, broadcast = 2 }

    public struct StateInfo: Sendable, Equatable {
        public var name: String
        public var mode: Mode
        public var offsets: [Int64]

        public init(name: String, mode: Mode, offsets: [Int64]) {
            self.name = name
            self.mode = mode
            self.offsets = offsets
        }
    }

    public var tag: UInt8
    /// In the order of the file; Flink keeps them in a hash map, so the order carries no meaning.
    public var states: [StateInfo]
    public var delegate: FlinkStreamHandle?
    /// For tag 17 (file merging).
    public var taskOwnedDirectory: String?
    public var sharedDirectory: String?
    public var isEmpty: Bool = false

    public init(tag: UInt8, states: [StateInfo], delegate: FlinkStreamHandle?, taskOwnedDirectory: String? = nil,
                sharedDirectory: String? = nil, isEmpty: Bool = false) {
        self.tag = tag
        self.states = states
        self.delegate = delegate
        self.taskOwnedDirectory = taskOwnedDirectory
        self.sharedDirectory = sharedDirectory
        self.isEmpty = isEmpty
    }

    public var stateSize: Int64 { delegate?.stateSize ?? 0 }
    public var kind: String { tag == 17 ? (isEmpty ? "EmptyFileMergingOperatorStreamStateHandle" : "FileMergingOperatorStreamStateHandle") : "OperatorStreamStateHandle" }
}

/// The in-flight data of input channels or result subpartitions of one subtask (research notes §2.7).
public struct FlinkChannelHandle: Sendable, Equatable {
    public enum Direction: Sendable { case input, output }

    public var direction: Direction
    /// True for the merged handles of metadata v6 (types 3 and 4).
    public var merged: Bool
    public var subtaskIndex: Int32
    /// (gate or partition, channel or subpartition) for unmerged handles.
    public var channel: (Int32, Int32)?
    public var offsets: [Int64]
    /// The handle's own size; the delegate file may be shared with other subtasks.
    public var size: Int64
    public var delegate: FlinkStreamHandle?
    /// For merged handles, the serialized per-channel offsets.
    public var mergedInfo: [UInt8]

    public init(direction: Direction, merged: Bool, subtaskIndex: Int32, channel: (Int32, Int32)?, offsets: [Int64], size: Int64,
                delegate: FlinkStreamHandle?, mergedInfo: [UInt8]) {
        self.direction = direction
        self.merged = merged
        self.subtaskIndex = subtaskIndex
        self.channel = channel
        self.offsets = offsets
        self.size = size
        self.delegate = delegate
        self.mergedInfo = mergedInfo
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.direction == b.direction && a.merged == b.merged && a.subtaskIndex == b.subtaskIndex && a.channel?.0 == b.channel?.0
            && a.channel?.1 == b.channel?.1 && a.offsets == b.offsets && a.size == b.size && a.delegate == b.delegate && a.mergedInfo == b.mergedInfo
    }

    public var kind: String {
        switch (direction, merged) {
        case (.input, false): "InputChannelStateHandle"
        case (.input, true): "MergedInputChannelStateHandle"
        case (.output, false): "ResultSubpartitionStateHandle"
        case (.output, true): "MergedResultSubpartitionStateHandle"
        }
    }
}
