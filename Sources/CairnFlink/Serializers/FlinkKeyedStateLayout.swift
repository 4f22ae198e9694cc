import CairnCore
import CairnModel

/// How one keyed state's entries are laid out and decoded (§3): the key serializer of the backend, the state's
/// STATEMETA record and the operator's max parallelism. Reads RocksDB / canonical-savepoint key-value pairs and
/// heap checkpoint key-group streams.
public struct FlinkKeyedStateLayout: Sendable {
    public let keySerializer: FlinkTypeSerializer
    public let state: FlinkStateMetaRecord
    public let maxParallelism: Int
    /// Looked up once: decoding runs per entry, the record keeps serializers in a dictionary.
    let namespaceSerializer: FlinkTypeSerializer
    private let value: FlinkTypeSerializer?
    /// The record's kind, which it derives from its options dictionary on every call.
    private let kind: StateKind

    public init(keySerializer: FlinkTypeSerializer, state: FlinkStateMetaRecord, maxParallelism: Int) {
        self.keySerializer = keySerializer
        self.state = state
        self.maxParallelism = maxParallelism
        self.namespaceSerializer = state.namespaceSerializer ?? .voidNamespace
        self.value = state.valueSerializer
        self.kind = state.kind
    }

    /// Bytes of the key-group prefix: 1 up to max parallelism 128, else 2.
    public var keyGroupPrefixBytes: Int { maxParallelism > 128 ? 2 : 1 }

    func valueSerializer() throws -> FlinkTypeSerializer {
        guard let v = value else {
            throw FlinkSerializerError(.malformed, "state has no readable value serializer", state: state.name)
        }
        return v
    }

    /// Length suffixes follow key and namespace only when both serializers are variable-length (§3.3).
    var ambiguousKeyPossible: Bool { !keySerializer.isFixedLength && !namespaceSerializer.isFixedLength }

    /// `CompositeKeySerializationUtils.readVariableIntBytes`: the length's bytes, little-endian, as many as the
    /// length needs (at least one). Flink skips them; Cairn also checks them, so damage shows.
    static func skipVariableIntBytes(_ r: inout JavaDataInput, length: Int) throws {
        var v = length
        repeat {
            let at = r.position
            let b = try r.readU8("key length suffix")
            guard b == UInt8(truncatingIfNeeded: v) else {
                throw FlinkSerializerError(.malformed, "length suffix byte 0x\(String(b, radix: 16)) does not match the \(length) bytes before it", at: at)
            }
            v >>= 8
        } while v != 0
    }

    /// Decodes one RocksDB or canonical-savepoint entry: `key` includes the key-group prefix (with Flink's
    /// end-of-state flag bit already cleared), `value` is the stored value. Map states give one entry.
    public func decodeKeyValue(key: [UInt8], value: [UInt8]) throws -> FlinkStateEntry {
        do {
            return try decodeKeyValueUnchecked(key: key, value: value)
        } catch var e as FlinkSerializerError {
            e.state = e.state ?? state.name
            throw e
        } catch let e as DecodeError {
            throw FlinkSerializerError(.malformed, e.message, at: e.offset, state: state.name)
        }
    }

    private func decodeKeyValueUnchecked(key: [UInt8], value: [UInt8]) throws -> FlinkStateEntry {
        var r = JavaDataInput(key)
        var keyGroup = 0
        for _ in 0..<keyGroupPrefixBytes { keyGroup = keyGroup << 8 | Int(try r.readU8("key-group prefix")) }
        if state.backendStateType == .priorityQueue {
            let timerSerializer = try valueSerializer()
            let t = try FlinkValueDecoder.read(&r, timerSerializer, whole: true)
            guard r.isAtEnd else { throw FlinkSerializerError(.malformed, "\(r.remaining) bytes after a timer", at: r.position) }
            guard case .timer(let ts, let k, let ns) = t else { return FlinkStateEntry(keyGroup: keyGroup, key: t, namespace: .voidNamespace, value: .null) }
            return FlinkStateEntry(keyGroup: keyGroup, key: k, namespace: ns, value: .long(ts))
        }
        let k = try readPart(&r, keySerializer)
        let ns = try readPart(&r, namespaceSerializer)
        let vs = try valueSerializer()
        switch (kind, vs) {
        case (.map, .map(let uk, let uv)):
            let userKey = try FlinkValueDecoder.read(&r, uk, whole: true)
            guard r.isAtEnd else { throw FlinkSerializerError(.malformed, "\(r.remaining) bytes after the map key", at: r.position) }
            var vr = JavaDataInput(value)
            let isNull = try vr.readBool("map value is null")
            let v = isNull ? FlinkValue.null : try FlinkValueDecoder.read(&vr, uv, whole: true)
            guard vr.isAtEnd else { throw FlinkSerializerError(.malformed, "\(vr.remaining) bytes after the map value", at: vr.position) }
            return FlinkStateEntry(keyGroup: keyGroup, key: k, namespace: ns, userKey: userKey, value: v)
        case (.list, .list(let element)):
            guard r.isAtEnd else { throw FlinkSerializerError(.malformed, "\(r.remaining) bytes after the namespace", at: r.position) }
            return FlinkStateEntry(keyGroup: keyGroup, key: k, namespace: ns, value: .list(try Self.delimitedList(value, element)))
        default:
            guard r.isAtEnd else { throw FlinkSerializerError(.malformed, "\(r.remaining) bytes after the namespace", at: r.position) }
            return FlinkStateEntry(keyGroup: keyGroup, key: k, namespace: ns, value: try FlinkValueDecoder.decode(value, as: vs))
        }
    }

    private func readPart(_ r: inout JavaDataInput, _ s: FlinkTypeSerializer) throws -> FlinkValue {
        let before = r.position
        let v = try FlinkValueDecoder.read(&r, s)
        if ambiguousKeyPossible { try Self.skipVariableIntBytes(&r, length: r.position - before) }
        return v
    }

    /// `ListDelimitedSerializer`: elements separated by `,` (0x2C), no count.
    public static func delimitedList(_ bytes: [UInt8], _ element: FlinkTypeSerializer) throws -> [FlinkValue] {
        var r = JavaDataInput(bytes)
        var items: [FlinkValue] = []
        while !r.isAtEnd {
            items.append(try FlinkValueDecoder.read(&r, element))
            if r.isAtEnd { break }
            let at = r.position
            guard try r.readU8("list delimiter") == 0x2C else {
                throw FlinkSerializerError(.malformed, "list element not followed by ',' (0x2C)", at: at)
            }
        }
        return items
    }

    /// Decodes one state's block in a heap checkpoint key group (§3.1), starting after its `short stateId`:
    /// `int count`, then count × (namespace, key, value) — or count × element for timers. Map values give one
    /// entry per map key.
    public func decodeHeapBlock(_ r: inout JavaDataInput, keyGroup: Int) throws -> [FlinkStateEntry] {
        do {
            let n = try r.readCount("entry count")
            var out: [FlinkStateEntry] = []
            let vs = try valueSerializer()
            for _ in 0..<n {
                if state.backendStateType == .priorityQueue {
                    let t = try FlinkValueDecoder.read(&r, vs)
                    if case .timer(let ts, let k, let ns) = t { out.append(FlinkStateEntry(keyGroup: keyGroup, key: k, namespace: ns, value: .long(ts))) }
                    continue
                }
                let ns = try FlinkValueDecoder.read(&r, namespaceSerializer)
                let k = try FlinkValueDecoder.read(&r, keySerializer)
                let v = try FlinkValueDecoder.read(&r, vs)
                if kind == .map, case .map(let entries) = v {
                    out += entries.map { FlinkStateEntry(keyGroup: keyGroup, key: k, namespace: ns, userKey: $0.key, value: $0.value) }
                } else {
                    out.append(FlinkStateEntry(keyGroup: keyGroup, key: k, namespace: ns, value: v))
                }
            }
            return out
        } catch var e as FlinkSerializerError {
            e.state = e.state ?? state.name
            throw e
        } catch let e as DecodeError {
            throw FlinkSerializerError(.malformed, e.message, at: e.offset, state: state.name)
        }
    }

    /// Decodes a heap key group (§3.1): `int keyGroupId`, then per state `short stateId` + its block — each in its
    /// own Snappy-framed stream when `compressed` (`HeapSnapshotStrategy` compresses per state, not the id).
    /// Returns (state index, entry) pairs; `layouts[i]` describes state i of the proxy. With `only`, only that state
    /// is decoded: compressed streams of other states are skipped by their framing; uncompressed blocks have no
    /// length, so the blocks before it are decoded to find it, and one that cannot be is an error naming it.
    public static func decodeHeapKeyGroup(_ bytes: [UInt8], layouts: [FlinkKeyedStateLayout], compressed: Bool = false,
                                          only: Int? = nil) throws -> [(state: Int, entry: FlinkStateEntry)] {
        var r = JavaDataInput(bytes)
        let keyGroup = Int(try r.readI32("key group id"))
        var out: [(Int, FlinkStateEntry)] = []
        if compressed {
            for range in try SnappyFrameDecoder.streams(bytes, from: r.position) {
                var snappy = try SnappyFrameDecoder(Array(bytes[range]), at: 0)
                let head = try snappy.read(2)
                let id = Int(head[0]) << 8 | Int(head[1])
                guard id < layouts.count else { throw FlinkSerializerError(.malformed, "state id \(id), the proxy has \(layouts.count) states", at: range.lowerBound) }
                if let only, only != id { continue }
                var block = JavaDataInput(try snappy.readToEnd())
                out += try layouts[id].decodeHeapBlock(&block, keyGroup: keyGroup).map { (id, $0) }
                guard block.isAtEnd else {
                    throw FlinkSerializerError(.malformed, "\(block.remaining) bytes after the entries of key group \(keyGroup)", at: range.lowerBound,
                                               state: layouts[id].state.name)
                }
            }
            return out
        }
        while !r.isAtEnd {
            let at = r.position
            let id = Int(try r.readU16("state id"))
            guard id < layouts.count else { throw FlinkSerializerError(.malformed, "state id \(id), the proxy has \(layouts.count) states", at: at) }
            do {
                let entries = try layouts[id].decodeHeapBlock(&r, keyGroup: keyGroup)
                if only == nil || only == id { out += entries.map { (id, $0) } }
            } catch var e as FlinkSerializerError where only != nil && only != id {
                let wanted = only.map { layouts[$0].state.name } ?? ""
                e.message = "state \(wanted) is stored after state \(layouts[id].state.name) in key group \(keyGroup) of this uncompressed heap checkpoint, whose entries cannot be read: " + e.message
                throw e
            }
            if let only, only == id { break }
        }
        return out
    }
}
