import CairnCore
import CairnModel

/// One data block as the index records it (format spec §6.3).
public struct BlockEntry: Sendable, Equatable {
    public var offset: UInt64
    public var kind: BlockKind
    public var codec: UInt8
    public var rawLength: Int
    public var storedLength: Int
    public var crc: UInt32

    /// Bytes the block occupies in the file, header included.
    public var size: Int64 { Int64(FileLayout.blockHeaderSize + storedLength) }

    public var header: BlockHeader {
        BlockHeader(kind: kind, codec: codec, rawLength: UInt32(rawLength), storedLength: UInt32(storedLength), crc: crc)
    }
}

/// Consecutive blocks of the block table.
public struct BlockSpan: Sendable, Equatable {
    public var first: Int
    public var count: Int

    public init(first: Int, count: Int) {
        self.first = first
        self.count = count
    }

    public static let empty = BlockSpan(first: 0, count: 0)
    public var range: Range<Int> { first..<(first + count) }
}

/// The entries of one key group of one keyed state.
public struct KeyGroupSegment: Sendable, Equatable {
    public var keyGroup: Int
    public var entryCount: Int
    public var blocks: BlockSpan
}

/// One keyed state of one subtask.
public struct KeyedStateUnit: Sendable, Equatable {
    public var stateIndex: Int
    public var range: KeyGroupRange
    public var segments: [KeyGroupSegment]

    public var entryCount: Int { segments.reduce(0) { $0 + $1.entryCount } }
}

/// One operator state (list, union or broadcast) of one subtask.
public struct OperatorStateUnit: Sendable, Equatable {
    public var stateIndex: Int
    public var elementCount: Int
    public var blocks: BlockSpan
}

/// The persisted buffers of one channel of one subtask.
public struct ChannelUnit: Sendable, Equatable {
    public var channel: ChannelID
    public var bufferCount: Int
    public var blocks: BlockSpan
}

/// State carried byte for byte from another engine (for example a Flink file), with what it was there.
public struct OpaqueStateUnit: Sendable, Equatable {
    public enum Role: UInt8, Sendable, CaseIterable {
        case managedOperatorState = 0, rawOperatorState, managedKeyedState, rawKeyedState, inputChannels, outputSubpartitions

        public var name: String {
            ["managed-operator-state", "raw-operator-state", "managed-keyed-state", "raw-keyed-state", "input-channels",
             "output-subpartitions"][Int(rawValue)]
        }
        public var isKeyed: Bool { self == .managedKeyedState || self == .rawKeyedState }
        public var isOperatorState: Bool { self == .managedOperatorState || self == .rawOperatorState }
    }

    /// Offsets into the bytes that name a state and how it is distributed (0 list, 1 union, 2 broadcast).
    public struct NamedOffsets: Sendable, Equatable {
        public var name: String
        public var mode: UInt8
        public var offsets: [UInt64]

        public init(name: String, mode: UInt8, offsets: [UInt64]) {
            self.name = name
            self.mode = mode
            self.offsets = offsets
        }
    }

    public var role: Role
    /// Where the bytes came from, e.g. `flink:KeyGroupsStateHandle file:/…/chk-5/3f2e…`; unique per role.
    public var origin: String
    public var keyGroups: KeyGroupRange
    /// The size the engine recorded for these bytes (what its own tools report).
    public var recordedSize: UInt64
    public var namedOffsets: [NamedOffsets]
    public var blocks: BlockSpan

    public init(role: Role, origin: String, keyGroups: KeyGroupRange, recordedSize: UInt64, namedOffsets: [NamedOffsets], blocks: BlockSpan) {
        self.role = role
        self.origin = origin
        self.keyGroups = keyGroups
        self.recordedSize = recordedSize
        self.namedOffsets = namedOffsets
        self.blocks = blocks
    }
}

/// Everything one subtask holds.
public struct SubtaskIndex: Sendable, Equatable {
    public var index: Int
    public var keyed: [KeyedStateUnit] = []
    public var operatorState: [OperatorStateUnit] = []
    public var channels: [ChannelUnit] = []
    public var splits: [SourceSplit] = []
    public var opaque: [OpaqueStateUnit] = []

    public init(index: Int) { self.index = index }
}

/// An operator with its states and subtasks.
public struct OperatorIndex: Sendable, Equatable {
    public var info: OperatorInfo
    public var coordinator: BlockSpan
    public var states: [StateDescriptor]
    public var subtasks: [SubtaskIndex]
}

/// The decoded index of a snapshot: everything but the data (format spec §6).
public struct SnapshotIndex: Sendable, Equatable {
    public var metadata: SnapshotMetadata
    public var serializers: [SerializerInfo]
    public var blocks: [BlockEntry]
    public var operators: [OperatorIndex]
    /// The base of a delta snapshot (format spec §13); nil for a full snapshot.
    public var base: DeltaBase? = nil

    enum SectionTag: UInt8 {
        case metadata = 0x01, serializers = 0x02, blocks = 0x03, operators = 0x04, base = 0x05
    }

    // MARK: Encoding

    public func encode() -> [UInt8] {
        var out = ByteWriter()
        func section(_ tag: SectionTag, _ body: (inout ByteWriter) -> Void) {
            var w = ByteWriter()
            body(&w)
            out.writeU8(tag.rawValue)
            out.writeBytes(w.bytes)
        }
        section(.metadata) { w in
            let m = metadata
            w.writeString(m.snapshotId)
            w.writeU8(m.kind.rawValue)
            w.writeString(m.engineName)
            w.writeString(m.engineVersion)
            w.writeString(m.jobId)
            w.writeString(m.jobName)
            w.writeSVarint(m.createdAt)
            w.writeU8(m.mode.rawValue)
            let keys = m.properties.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
            w.writeVarint(keys.count)
            for k in keys {
                w.writeString(k)
                w.writeString(m.properties[k] ?? "")
            }
        }
        section(.serializers) { w in
            w.writeVarint(serializers.count)
            for s in serializers {
                w.writeString(s.name)
                w.writeVarint(s.version)
                if let schema = s.schema {
                    w.writeBool(true)
                    schema.encode(into: &w)
                } else {
                    w.writeBool(false)
                }
                w.writeBytes(s.configuration)
            }
        }
        section(.blocks) { w in
            w.writeVarint(blocks.count)
            for b in blocks {
                w.writeVarint(b.offset)
                w.writeU8(b.kind.rawValue)
                w.writeU8(b.codec)
                w.writeVarint(b.rawLength)
                w.writeVarint(b.storedLength)
                w.writeU32(b.crc)
            }
        }
        section(.operators) { w in
            w.writeVarint(operators.count)
            for op in operators { Self.encode(op, into: &w) }
        }
        if let base {
            section(.base) { w in
                w.writeString(base.file)
                w.writeString(base.snapshotId)
                w.writeVarint(base.fileSize)
                w.writeU32(base.indexCRC)
                w.writeVarint(base.depth)
            }
        }
        return out.bytes
    }

    private static func encode(_ span: BlockSpan, into w: inout ByteWriter) {
        w.writeVarint(span.count)
        if span.count > 0 { w.writeVarint(span.first) }
    }

    private static func encode(_ op: OperatorIndex, into w: inout ByteWriter) {
        w.writeRaw(op.info.id.bytes)
        w.writeString(op.info.uid)
        w.writeString(op.info.name)
        w.writeVarint(op.info.parallelism)
        w.writeVarint(op.info.maxParallelism)
        encode(op.coordinator, into: &w)
        w.writeVarint(op.states.count)
        for d in op.states {
            w.writeString(d.name)
            w.writeU8(d.kind.rawValue)
            w.writeVarint(d.keySerializer.map { $0 + 1 } ?? 0)
            w.writeVarint(d.namespaceSerializer.map { $0 + 1 } ?? 0)
            w.writeVarint(d.valueSerializer.map { $0 + 1 } ?? 0)
            if let ttl = d.ttl {
                w.writeBool(true)
                w.writeVarint(ttl.millis)
                w.writeU8(ttl.update.rawValue)
                w.writeU8(ttl.visibility.rawValue)
            } else {
                w.writeBool(false)
            }
        }
        w.writeVarint(op.subtasks.count)
        for st in op.subtasks {
            w.writeVarint(st.index)
            w.writeVarint(st.keyed.count)
            for u in st.keyed {
                w.writeVarint(u.stateIndex)
                w.writeVarint(u.range.start)
                w.writeVarint(u.range.count)
                w.writeVarint(u.segments.count)
                for s in u.segments {
                    w.writeVarint(s.keyGroup)
                    w.writeVarint(s.entryCount)
                    encode(s.blocks, into: &w)
                }
            }
            w.writeVarint(st.operatorState.count)
            for u in st.operatorState {
                w.writeVarint(u.stateIndex)
                w.writeVarint(u.elementCount)
                encode(u.blocks, into: &w)
            }
            w.writeVarint(st.channels.count)
            for c in st.channels {
                w.writeU8(c.channel.direction.rawValue)
                w.writeVarint(c.channel.gate)
                w.writeVarint(c.channel.channel)
                w.writeVarint(c.bufferCount)
                encode(c.blocks, into: &w)
            }
            w.writeVarint(st.splits.count)
            for s in st.splits {
                w.writeString(s.splitId)
                switch s.position {
                case .generic(let serializer, let version, let position):
                    w.writeU8(0)
                    w.writeString(serializer)
                    w.writeVarint(version)
                    w.writeBytes(position)
                case .kafka(let topic, let partition, let offset):
                    w.writeU8(1)
                    w.writeString(topic)
                    w.writeVarint(partition)
                    w.writeSVarint(offset)
                case .kinesis(let stream, let shard, let seq):
                    w.writeU8(2)
                    w.writeString(stream)
                    w.writeString(shard)
                    w.writeString(seq)
                case .numberSequence(let next, let last):
                    w.writeU8(3)
                    w.writeSVarint(next)
                    w.writeSVarint(last)
                }
            }
            w.writeVarint(st.opaque.count)
            for u in st.opaque {
                w.writeU8(u.role.rawValue)
                w.writeString(u.origin)
                w.writeVarint(u.keyGroups.start)
                w.writeVarint(u.keyGroups.count)
                w.writeVarint(u.recordedSize)
                w.writeVarint(u.namedOffsets.count)
                for n in u.namedOffsets {
                    w.writeString(n.name)
                    w.writeU8(n.mode)
                    w.writeVarint(n.offsets.count)
                    for o in n.offsets { w.writeVarint(o) }
                }
                encode(u.blocks, into: &w)
            }
        }
    }
}
