import CairnCore
import CairnModel

/// A `TypeSerializerSnapshot` as a state backend stored it (research notes §3.2): the snapshot class and its
/// version, plus what could be read of its payload without knowing every serializer (nested snapshots of
/// composites, the class of POJO and Kryo snapshots). Restore decides compatibility from exactly these.
public struct FlinkSerializerSnapshot: Sendable, Equatable, CustomStringConvertible {
    /// For example `org.apache.flink.api.common.typeutils.base.LongSerializer$LongSerializerSnapshot`.
    public var className: String
    public var version: Int32
    /// Nested snapshots of a composite (List, Map, TTL, Tuple…), in order; empty when none or unreadable.
    public var nested: [FlinkSerializerSnapshot]
    /// The user class a POJO or Kryo snapshot names.
    public var typeClass: String?
    /// The typed schema, when the snapshot was parsed exactly (nil when only the heuristic reader found it).
    public var serializer: FlinkTypeSerializer?
    /// For a snapshot Cairn cannot parse and skipped by resynchronising on what follows it in the proxy: the bytes
    /// it spans (from its class name to its end) in the parsed buffer. Its `serializer` is then `.opaque`.
    public var opaqueSpan: Range<Int>?

    public init(className: String, version: Int32, nested: [FlinkSerializerSnapshot] = [], typeClass: String? = nil,
                serializer: FlinkTypeSerializer? = nil, opaqueSpan: Range<Int>? = nil) {
        self.className = className
        self.version = version
        self.nested = nested
        self.typeClass = typeClass
        self.serializer = serializer
        self.opaqueSpan = opaqueSpan
    }

    /// The serializer the snapshot belongs to, without package: `LongSerializer`, `MapSerializer`, `TtlSerializer`.
    public var serializerName: String { Self.serializerName(className) }

    /// `LongSerializer`, `ListSerializer<LongSerializer>`, `PojoSerializer<com.acme.Order>`.
    public var description: String {
        var s = serializerName
        if let t = typeClass { s += "<\(t)>" } else if !nested.isEmpty { s += "<" + nested.map(\.description).joined(separator: ", ") + ">" }
        return s
    }

    /// The serializer a snapshot class or serializer class name stands for, without package: the snapshot of
    /// `X` is `X$XSnapshot`, `X$SomethingSnapshot` or `XSnapshot` in Flink's code base.
    public static func serializerName(_ className: String) -> String {
        let simple = Substring(className.split(separator: ".").last ?? Substring(className))
        if let dollar = simple.firstIndex(of: "$") {
            let inner = simple[simple.index(after: dollar)...]
            return inner.hasSuffix("Snapshot") ? String(inner.dropLast("Snapshot".count)) : String(simple)
        }
        return simple.hasSuffix("SerializerSnapshot") ? String(simple.dropLast("Snapshot".count)) : String(simple)
    }
}

/// One state a Flink backend registered: name, kind and serializer snapshots, from its STATEMETA record.
public struct FlinkRegisteredState: Sendable, Equatable {
    public var name: String
    public var kind: StateKind
    /// Broadcast state only: the map key serializer.
    public var keySerializer: FlinkSerializerSnapshot?
    public var valueSerializer: FlinkSerializerSnapshot?
    /// Keyed state: the namespace serializer (VoidNamespace, TimeWindow…); nil when read heuristically.
    public var namespaceSerializer: FlinkSerializerSnapshot?
    /// RocksDB MapState: the map key serializer.
    public var userKeySerializer: FlinkSerializerSnapshot?
    /// The STATEMETA options (`KEYED_STATE_TYPE`, `OPERATOR_STATE_DISTRIBUTION_MODE`); empty when read heuristically.
    public var options: [String: String] = [:]
    /// Whether the value (or list element, or map value) is wrapped by state TTL.
    public var hasTTL: Bool = false

    public init(name: String, kind: StateKind, keySerializer: FlinkSerializerSnapshot? = nil, valueSerializer: FlinkSerializerSnapshot? = nil) {
        self.name = name
        self.kind = kind
        self.keySerializer = keySerializer
        self.valueSerializer = valueSerializer
    }
}

/// What an operator's backends registered, read from the serialization proxies at the head of its state files
/// (keyed: research notes §3.1; operator: §5). Restore compares the new job's serializers against these.
public struct FlinkStateMetaInfo: Sendable, Equatable {
    /// The keyed backend's key serializer.
    public var keySerializer: FlinkSerializerSnapshot?
    public var keyedStates: [FlinkRegisteredState]
    public var operatorStates: [FlinkRegisteredState]
    /// Why parts could not be read (a changelog handle, a proxy whose records were not all found); empty when
    /// every state file's header was read.
    public var unread: [String]
    /// Serializers the exact parser could not read ("Cairn cannot read this serializer …"); the states were then
    /// found by pattern search, with class names and versions only.
    public var serializerNotes: [String] = []

    public init(keySerializer: FlinkSerializerSnapshot? = nil, keyedStates: [FlinkRegisteredState] = [],
                operatorStates: [FlinkRegisteredState] = [], unread: [String] = []) {
        self.keySerializer = keySerializer
        self.keyedStates = keyedStates
        self.operatorStates = operatorStates
        self.unread = unread
    }

    /// Whether the operator has keyed state whose meta info could not be read.
    public var keyedUnknown: Bool { keyedStates.isEmpty && !unread.isEmpty }
}

extension FlinkSnapshot {
    /// The registered states of an operator with their serializer snapshots, merged over its subtasks. Reads only the
    /// head of each state file (up to the first data offset), or the RocksDB meta file.
    public func stateMetaInfo(of op: FlinkOperatorState) -> FlinkStateMetaInfo {
        var info = FlinkStateMetaInfo()
        var keyed: [String: FlinkRegisteredState] = [:], keyedOrder: [String] = []
        var operatorStates: [String: FlinkRegisteredState] = [:], operatorOrder: [String] = []
        for st in op.subtasks {
            if let h = st.managedKeyedState {
                switch keyedHeader(h) {
                case .success(let header):
                    if let proxy = FlinkStateMetaInfoReader.exactKeyedProxy(header, note: { info.serializerNotes.append("subtask \(st.index): \($0)") }) {
                        if info.keySerializer == nil { info.keySerializer = proxy.key }
                        for s in proxy.states where keyed[s.name] == nil {
                            keyed[s.name] = s
                            keyedOrder.append(s.name)
                        }
                    } else if let proxy = FlinkStateMetaInfoReader.keyedProxy(header) {
                        if info.keySerializer == nil { info.keySerializer = proxy.key }
                        for s in proxy.states where keyed[s.name] == nil {
                            keyed[s.name] = s
                            keyedOrder.append(s.name)
                        }
                    } else {
                        info.unread.append("subtask \(st.index): the keyed backend's serialization proxy could not be read")
                    }
                case .failure(let reason):
                    info.unread.append("subtask \(st.index): \(reason.message)")
                }
            }
            if let h = st.managedOperatorState, let delegate = h.delegate {
                let end = h.states.flatMap(\.offsets).filter { $0 > 0 }.min() ?? delegate.stateSize
                guard let header = try? read(delegate, from: 0, to: min(end, 1 << 20)), !header.isEmpty else {
                    info.unread.append("subtask \(st.index): operator state file could not be read")
                    continue
                }
                let exact = FlinkStateMetaInfoReader.exactOperatorProxy(header, note: { info.serializerNotes.append("subtask \(st.index): \($0)") })
                for s in exact ?? FlinkStateMetaInfoReader.operatorProxy(header, states: h.states) where operatorStates[s.name] == nil {
                    operatorStates[s.name] = s
                    operatorOrder.append(s.name)
                }
            }
        }
        info.keyedStates = keyedOrder.compactMap { keyed[$0] }
        info.operatorStates = operatorOrder.compactMap { operatorStates[$0] }
        return info
    }

    struct Unreadable: Error { var message: String }

    /// The bytes holding a keyed backend's serialization proxy.
    func keyedHeader(_ h: FlinkKeyedHandle) -> Result<[UInt8], Unreadable> {
        switch h {
        case .keyGroups(_, _, let offsets, let delegate?, _):
            let end = offsets.filter { $0 > 0 }.min() ?? delegate.stateSize
            guard let bytes = try? read(delegate, from: 0, to: min(end, 1 << 20)), !bytes.isEmpty else {
                return .failure(Unreadable(message: "keyed state file could not be read"))
            }
            return .success(bytes)
        case .keyGroups:
            return .failure(Unreadable(message: "keyed state handle has no stream"))
        case .incremental(let inc):
            guard let meta = inc.metadata, let bytes = try? read(meta, from: 0, to: min(meta.stateSize, 1 << 20)), !bytes.isEmpty else {
                return .failure(Unreadable(message: "RocksDB meta file could not be read"))
            }
            return .success(bytes)
        case .changelog(_, _, _, let materialized, _, _, _, _):
            for m in materialized {
                if case .success(let b) = keyedHeader(m) { return .success(b) }
            }
            return .failure(Unreadable(message: "changelog state without a materialized part; its meta info lives in changelog records Cairn does not decode"))
        case .changelogInMemory, .changelogFiles:
            return .failure(Unreadable(message: "changelog records hold the meta info; Cairn does not decode them"))
        }
    }
}

/// Finds STATEMETA records and the serializer snapshots after them. Serializer snapshots have no length prefix,
/// so each record is recognized where it stands (as `FlinkKeyedStateScanner` does) and only the class name and
/// version after each serializer key are read, plus nested snapshots where the layout is known.
enum FlinkStateMetaInfoReader {
    /// The keyed proxy parsed exactly; nil (after `note`) when a serializer stops the parse, so callers fall back.
    static func exactKeyedProxy(_ header: [UInt8], note: (String) -> Void) -> (key: FlinkSerializerSnapshot?, states: [FlinkRegisteredState])? {
        do {
            let proxy = try FlinkKeyedBackendProxy(parsing: header)
            for skipped in proxy.skipped {
                note("serializer snapshot \(skipped.className) v\(skipped.version) could not be read (\(skipped.reason)); Cairn skipped its \(skipped.span.count) bytes"
                     + (skipped.state.map { " in state \($0)" } ?? "") + ", so its values stay opaque")
            }
            return (proxy.keySerializer, proxy.states.map(\.registeredState))
        } catch {
            note("\(error)")
            return nil
        }
    }

    /// The operator proxy parsed exactly (operator states, then broadcast states); nil after `note` on failure.
    static func exactOperatorProxy(_ header: [UInt8], note: (String) -> Void) -> [FlinkRegisteredState]? {
        do {
            let proxy = try FlinkOperatorBackendProxy(parsing: header)
            return (proxy.operatorStates + proxy.broadcastStates).map(\.registeredState)
        } catch {
            note("\(error)")
            return nil
        }
    }

    /// `int version, bool compression, SERSNAP key, short n, n × STATEMETA`.
    static func keyedProxy(_ header: [UInt8]) -> (key: FlinkSerializerSnapshot?, states: [FlinkRegisteredState])? {
        guard let records = FlinkKeyedStateScanner.stateRecords(header: header) else { return nil }
        var r = JavaDataInput(header, from: 5)
        let key = serializerSnapshot(&r, proxy: true)
        var states: [FlinkRegisteredState] = []
        for (i, rec) in records.enumerated() {
            let end = i + 1 < records.count ? records[i + 1].offset : header.count
            states.append(FlinkRegisteredState(
                name: rec.info.name, kind: rec.info.kind,
                valueSerializer: serializer(after: "VALUE_SERIALIZER", in: header, from: rec.offset, to: end)))
        }
        return (key, states)
    }

    /// Operator state: the names come from the handle; each record starts with `UTF name, int type (1 or 2)`.
    static func operatorProxy(_ header: [UInt8], states: [FlinkOperatorStateHandle.StateInfo]) -> [FlinkRegisteredState] {
        var starts: [(Int, FlinkOperatorStateHandle.StateInfo)] = []
        for s in states {
            let utf = ModifiedUTF8.encode(s.name)
            guard utf.count < 65536 else { continue }
            let pattern = [UInt8(utf.count >> 8), UInt8(utf.count & 0xFF)] + utf
            let type: UInt8 = s.mode == .broadcast ? 2 : 1
            if let at = find(pattern + [0, 0, 0, type], in: header, from: 0, to: header.count) { starts.append((at, s)) }
        }
        starts.sort { $0.0 < $1.0 }
        var out: [FlinkRegisteredState] = []
        for (i, (at, s)) in starts.enumerated() {
            let end = i + 1 < starts.count ? starts[i + 1].0 : header.count
            let kind: StateKind = s.mode == .union ? .operatorUnion : s.mode == .broadcast ? .broadcast : .operatorList
            out.append(FlinkRegisteredState(
                name: s.name, kind: kind,
                keySerializer: s.mode == .broadcast ? serializer(after: "KEY_SERIALIZER", in: header, from: at, to: end) : nil,
                valueSerializer: serializer(after: "VALUE_SERIALIZER", in: header, from: at, to: end)))
        }
        return out
    }

    /// The SERSNAP after the serializer key `key` (a writeUTF string) in `header[from..<to]`.
    static func serializer(after key: String, in header: [UInt8], from: Int, to: Int) -> FlinkSerializerSnapshot? {
        let utf = Array(key.utf8)
        guard let at = find([0, UInt8(utf.count)] + utf, in: header, from: from, to: to) else { return nil }
        var r = JavaDataInput(header, from: at + 2 + utf.count)
        return serializerSnapshot(&r, proxy: true)
    }

    static let compositeMagic: Int32 = 911_108
    static let nestedMagic: Int32 = 1_333_245

    /// `[int 2] UTF class, int version, payload…`: reads the class and version, then what it can of the payload.
    /// Leaves `r` after the snapshot when its payload was understood.
    static func serializerSnapshot(_ r: inout JavaDataInput, proxy: Bool, depth: Int = 0) -> FlinkSerializerSnapshot? {
        if proxy { guard (try? r.readI32("proxy version")) == 2 else { return nil } }
        guard let name = try? r.readUTF("snapshot class"), plausibleClass(name), let version = try? r.readI32("snapshot version") else { return nil }
        var snapshot = FlinkSerializerSnapshot(className: name, version: version)
        if name.hasSuffix("PojoSerializerSnapshot") || name.hasSuffix("KryoSerializerSnapshot") {
            var peek = r
            if let t = try? peek.readUTF("type class"), plausibleClass(t) { snapshot.typeClass = t }
            return snapshot
        }
        guard depth < 8 else { return snapshot }
        var peek = r
        if (try? peek.readI32("composite magic")) == compositeMagic, (try? peek.readI32("outer version")) != nil {
            // Composites whose outer payload is empty (List, Map, TTL, …) continue with the nested snapshots.
            if (try? peek.readI32("nested magic")) == nestedMagic, (try? peek.readI32("nested version")) == 1,
               let n = try? peek.readI32("nested count"), n >= 0, n <= 64 {
                var nested: [FlinkSerializerSnapshot] = []
                for i in 0..<Int(n) {
                    guard let s = serializerSnapshot(&peek, proxy: false, depth: depth + 1) else { break }
                    nested.append(s)
                    if i + 1 < n, !startsClassName(peek) && !startsComposite(peek) { break }
                }
                if nested.count == Int(n) { snapshot.nested = nested }
                r = peek
            }
        }
        return snapshot
    }

    /// The next bytes are a writeUTF Java class name (an empty payload came before them).
    static func startsClassName(_ r: JavaDataInput) -> Bool {
        var p = r
        guard let s = try? p.readUTF("class") else { return false }
        return plausibleClass(s)
    }

    static func startsComposite(_ r: JavaDataInput) -> Bool {
        var p = r
        return (try? p.readI32("magic")) == compositeMagic
    }

    static func plausibleClass(_ s: String) -> Bool {
        !s.isEmpty && s.count < 1024 && s.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value < 0x7F || $0.value > 0x9F }
            && (s.contains(".") || s.contains("$"))
    }

    static func find(_ pattern: [UInt8], in bytes: [UInt8], from: Int, to: Int) -> Int? {
        guard !pattern.isEmpty, to - from >= pattern.count, from >= 0, to <= bytes.count else { return nil }
        var i = from
        while i + pattern.count <= to {
            if bytes[i] == pattern[0] && bytes[(i + 1)..<(i + pattern.count)].elementsEqual(pattern[1...]) { return i }
            i += 1
        }
        return nil
    }
}
