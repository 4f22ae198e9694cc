import CairnCore
import CairnModel

/// Writes `_metadata` in a given version (3 to 6) exactly as Flink's serializers do, so that a parsed file written
/// back is byte-identical; the basis of rewriting Flink snapshots.
public enum FlinkMetadataWriter {
    /// Serializes `m`; fails only for a string longer than `writeUTF` allows (65535 bytes of modified UTF-8).
    public static func write(_ m: FlinkCheckpointMetadata) throws(WriterError) -> [UInt8] {
        var w = JavaDataOutput()
        w.writeI32(FlinkMetadataParser.magic)
        w.writeI32(m.version)
        w.writeI64(m.checkpointId)
        w.writeI32(Int32(m.masterStates.count))
        for s in m.masterStates {
            w.writeI32(FlinkMetadataParser.masterStateMagic)
            w.writeI32(Int32(s.raw.count))
            w.writeBytes(s.raw)
        }
        w.writeI32(Int32(m.operators.count))
        for op in m.operators { write(op, version: m.version, into: &w) }
        if m.version >= 4 { w.writeBytes(m.trailer) }
        if let bad = w.overlongString { throw WriterError("a string of \(bad) bytes is longer than _metadata can hold (65535)") }
        return w.bytes
    }

    static func write(_ op: FlinkOperatorState, version: Int32, into w: inout JavaDataOutput) {
        if version >= 5 {
            w.writeUTF(op.name ?? "")
            w.writeUTF(op.uid ?? "")
        }
        w.writeBytes(op.id.bytes)
        w.writeI32(Int32(op.parallelism))
        w.writeI32(Int32(op.maxParallelism))
        write(op.coordinator, into: &w)
        if op.fullyFinished {
            w.writeI32(-1)
            return
        }
        w.writeI32(Int32(op.subtasks.count))
        for st in op.subtasks {
            if st.finished {
                w.writeI32(Int32(-(st.index + 1)))
                continue
            }
            w.writeI32(Int32(st.index))
            for h in [st.managedOperatorState, st.rawOperatorState] {
                if let h {
                    w.writeI32(1)
                    write(h, into: &w)
                } else {
                    w.writeI32(0)
                }
            }
            write(st.managedKeyedState, into: &w)
            write(st.rawKeyedState, into: &w)
            for list in [st.inputChannels, st.outputChannels] {
                w.writeI32(Int32(list.count))
                for c in list { write(c, version: version, into: &w) }
            }
        }
    }

    static func write(_ r: KeyGroupRange, into w: inout JavaDataOutput) {
        w.writeI32(Int32(r.start))
        w.writeI32(Int32(r.count))
    }

    static func write(_ h: FlinkStreamHandle?, into w: inout JavaDataOutput) {
        guard let h else { w.writeU8(0); return }
        switch h {
        case .inline(let name, let data):
            w.writeU8(1)
            w.writeUTF(name)
            w.writeI32(Int32(data.count))
            w.writeBytes(data)
        case .file(let path, let size):
            w.writeU8(2)
            w.writeI64(size)
            w.writeUTF(path)
        case .relativeFile(let path, let size):
            w.writeU8(6)
            w.writeUTF(path)
            w.writeI64(size)
        case .keyGroups(let range, let offsets, let delegate):
            w.writeU8(3)
            write(range, into: &w)
            for o in offsets { w.writeI64(o) }
            write(delegate, into: &w)
        case .segment(let start, let size, let scope, let path, let logical):
            w.writeU8(15)
            w.writeI64(start)
            w.writeI64(size)
            w.writeI32(scope.rawValue)
            w.writeUTF(path)
            w.writeUTF(logical)
        case .emptySegment:
            w.writeU8(16)
        }
    }

    static func write(_ h: FlinkKeyedHandle?, into w: inout JavaDataOutput) {
        guard let h else { w.writeU8(0); return }
        switch h {
        case .keyGroups(let tag, let range, let offsets, let delegate, let id):
            w.writeU8(tag)
            write(range, into: &w)
            for o in offsets { w.writeI64(o) }
            write(delegate, into: &w)
            if tag == 12 { w.writeUTF(id ?? "") }
        case .incremental(let i):
            w.writeU8(i.tag)
            w.writeI64(i.checkpointId)
            w.writeUTF(i.backendId)
            write(i.range, into: &w)
            if i.tag == 11 { w.writeI64(i.checkpointedSize ?? -1) }
            write(i.metadata, into: &w)
            for list in [i.shared, i.privateFiles] {
                w.writeI32(Int32(list.count))
                for (path, handle) in list {
                    w.writeUTF(path)
                    write(handle, into: &w)
                }
            }
            if i.tag == 11 { w.writeUTF(i.stateHandleId ?? "") }
        case .changelog(let tag, let range, let checkpointed, let materialized, let deltas, let materialization, let checkpointId, let id):
            w.writeU8(tag)
            write(range, into: &w)
            w.writeI64(checkpointed)
            w.writeI32(Int32(materialized.count))
            for m in materialized { write(m, into: &w) }
            w.writeI32(Int32(deltas.count))
            for d in deltas { write(d, into: &w) }
            w.writeI64(materialization)
            if tag == 14 { w.writeI64(checkpointId) }
            w.writeUTF(id)
        case .changelogInMemory(let range, let from, let to, let changes, let id):
            w.writeU8(9)
            write(range, into: &w)
            w.writeI64(from)
            w.writeI64(to)
            w.writeI32(Int32(changes.count))
            for c in changes {
                w.writeI32(c.keyGroup)
                w.writeI32(Int32(c.data.count))
                w.writeBytes(c.data)
            }
            w.writeUTF(id)
        case .changelogFiles(let tag, let range, let handles, let size, let checkpointed, let id, let storage):
            w.writeU8(tag)
            write(range, into: &w)
            w.writeI32(Int32(handles.count))
            for (o, handle) in handles {
                w.writeI64(o)
                write(handle, into: &w)
            }
            w.writeI64(size)
            w.writeI64(checkpointed)
            w.writeUTF(id)
            if tag == 13 { w.writeUTF(storage) }
        }
    }

    static func write(_ h: FlinkOperatorStateHandle, into w: inout JavaDataOutput) {
        w.writeU8(h.tag)
        w.writeI32(Int32(h.states.count))
        for s in h.states {
            w.writeUTF(s.name)
            w.writeU8(s.mode.rawValue)
            w.writeI32(Int32(s.offsets.count))
            for o in s.offsets { w.writeI64(o) }
        }
        if h.tag == 17 {
            w.writeUTF(h.taskOwnedDirectory ?? "")
            w.writeUTF(h.sharedDirectory ?? "")
            w.writeU8(h.isEmpty ? 1 : 0)
        }
        write(h.delegate, into: &w)
    }

    static func write(_ c: FlinkChannelHandle, version: Int32, into w: inout JavaDataOutput) {
        if version >= 6 {
            switch (c.direction, c.merged) {
            case (.input, false): w.writeU8(1)
            case (.output, false): w.writeU8(2)
            case (.input, true): w.writeU8(3)
            case (.output, true): w.writeU8(4)
            }
        }
        w.writeI32(c.subtaskIndex)
        if c.merged {
            w.writeI64(c.size)
            write(c.delegate, into: &w)
            w.writeI32(Int32(c.mergedInfo.count))
            w.writeBytes(c.mergedInfo)
            return
        }
        w.writeI32(c.channel?.0 ?? 0)
        w.writeI32(c.channel?.1 ?? 0)
        w.writeI32(Int32(c.offsets.count))
        for o in c.offsets { w.writeI64(o) }
        w.writeI64(c.size)
        write(c.delegate, into: &w)
    }
}

/// What `DataOutputStream` writes: big-endian integers and `writeUTF` strings.
public struct JavaDataOutput: Sendable {
    public private(set) var bytes: [UInt8] = []
    /// Set when a string was too long for `writeUTF`; the output is then not valid.
    public private(set) var overlongString: Int?

    public init() {}

    public mutating func writeU8(_ v: UInt8) { bytes.append(v) }
    public mutating func writeI32(_ v: Int32) { for s in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: v >> Int32(s))) } }
    public mutating func writeI64(_ v: Int64) { for s in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: v >> Int64(s))) } }
    public mutating func writeBytes(_ b: [UInt8]) { bytes += b }

    public mutating func writeUTF(_ s: String) {
        var encoded = ModifiedUTF8.encode(s)
        if encoded.count > 0xFFFF {
            overlongString = encoded.count
            encoded = []
        }
        bytes.append(UInt8(encoded.count >> 8))
        bytes.append(UInt8(encoded.count & 0xFF))
        bytes += encoded
    }
}
