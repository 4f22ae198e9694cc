import CairnCore
@testable import CairnFlink
import CairnModel
import Foundation
import Testing

/// The exact serializer-snapshot parser and the value decoder on every committed real Flink snapshot.
@Suite("Flink serializers and values in real snapshots")
struct FlinkSerializerFixtureTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/flink")

    static let snapshots: [String] = {
        guard let e = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else { return [] }
        var out: [String] = []
        for case let url as URL in e where url.lastPathComponent == "_metadata" {
            out.append(String(url.deletingLastPathComponent().path.dropFirst(root.path.count + 1)))
        }
        return out.sorted()
    }()

    /// The snapshots of the default job (Long keys); the typed-state job's have their own tests (`FlinkResyncTests`).
    static let jobSnapshots = snapshots.filter { !$0.contains("/typed-") }

    @Test("every keyed and operator proxy parses exactly, up to the first key-group or state offset", arguments: jobSnapshots)
    func proxiesParse(fixture: String) throws {
        let snapshot = try FlinkSnapshot(source: Self.root.appendingPathComponent(fixture).path)
        var keyed = 0, operators = 0
        for op in snapshot.metadata.operators {
            for st in op.subtasks where !st.finished {
                if let h = st.managedKeyedState, case .success(let header) = snapshot.keyedHeader(h) {
                    let proxy = try FlinkKeyedBackendProxy(parsing: header)
                    #expect(proxy.end == header.count, "\(fixture) \(op.uid ?? op.id.hex) subtask \(st.index): proxy ends at \(proxy.end) of \(header.count)")
                    #expect(proxy.keySerializer.serializer == .long, "\(fixture): keys are Longs")
                    for s in proxy.states {
                        #expect(s.valueSerializer != nil && s.namespaceSerializer != nil || s.backendStateType == .priorityQueue, "\(fixture) \(s.name)")
                        if case .opaque? = s.valueSerializer { Issue.record("\(fixture) \(s.name): opaque value serializer") }
                    }
                    if let count = proxy.states.first(where: { $0.name == "count" }) {
                        #expect(count.valueSerializer == .ttl(.long) && count.hasTTL, "\(fixture): count is a TTL Long")
                        #expect(count.namespaceSerializer == .voidNamespace)
                    }
                    if let attributes = proxy.states.first(where: { $0.name == "attributes" }) {
                        #expect(attributes.valueSerializer == .map(key: .int, value: .string) && attributes.kind == .map)
                    }
                    if let recent = proxy.states.first(where: { $0.name == "recent" }) {
                        #expect(recent.valueSerializer == .list(.long) && recent.kind == .list)
                    }
                    if let timers = proxy.states.first(where: { $0.name.hasPrefix("_timer_state/") }) {
                        #expect(timers.kind == .timers)
                        if case .timer(.long, _)? = timers.valueSerializer {} else { Issue.record("\(fixture): timer serializer \(String(describing: timers.valueSerializer))") }
                    }
                    keyed += 1
                }
                // File-merging checkpoints mark an operator without operator state by an empty segment.
                if let h = st.managedOperatorState, let delegate = h.delegate, !h.states.isEmpty {
                    let end = h.states.flatMap(\.offsets).filter { $0 > 0 }.min() ?? delegate.stateSize
                    let header = try snapshot.read(delegate, from: 0, to: end)
                    guard !header.isEmpty else {
                        Issue.record("\(fixture) \(op.uid ?? op.id.hex) subtask \(st.index): empty operator header, end \(end), delegate \(delegate), states \(h.states)")
                        continue
                    }
                    let proxy = try FlinkOperatorBackendProxy(parsing: header)
                    // With snapshot compression the first state's offset lies after its Snappy stream identifier.
                    let identifier = proxy.compressed && header.count == proxy.end + 10 && Array(header[proxy.end...]) == SnappyFrameDecoder.identifier
                    #expect(proxy.end == header.count || identifier, "\(fixture) \(op.uid ?? op.id.hex) subtask \(st.index): operator proxy ends at \(proxy.end) of \(header.count)")
                    #expect(Set((proxy.operatorStates + proxy.broadcastStates).map(\.name)) == Set(h.states.map(\.name)))
                    for s in proxy.operatorStates + proxy.broadcastStates {
                        if case .opaque? = s.valueSerializer { Issue.record("\(fixture) \(s.name): opaque") }
                        if s.name == "recent-values" { #expect(s.valueSerializer == .string) }
                        if s.name == "rules" {
                            #expect(s.kind == .broadcast && s.valueSerializer == .string && s.serializers["KEY_SERIALIZER"]?.serializer == .int)
                        }
                    }
                    operators += 1
                }
            }
        }
        #expect(keyed + operators > 0, "\(fixture): no proxies")
        // The meta info the reports use now comes from the exact parser, without notes.
        for op in snapshot.metadata.operators {
            let info = snapshot.stateMetaInfo(of: op)
            #expect(info.serializerNotes.isEmpty, "\(fixture): \(info.serializerNotes.prefix(2))")
        }
    }

    static let keyGroupFixtures = jobSnapshots.filter { f in
        guard let s = try? FlinkSnapshot(source: root.appendingPathComponent(f).path) else { return false }
        return s.metadata.operators.contains { $0.subtasks.contains { if case .keyGroups(_, _, _, _?, _)? = $0.managedKeyedState { true } else { false } } }
    }

    @Test("every entry of canonical savepoints and heap/full checkpoints decodes, and each key hashes to its key group",
          arguments: keyGroupFixtures)
    func entriesDecode(fixture: String) throws {
        let snapshot = try FlinkSnapshot(source: Self.root.appendingPathComponent(fixture).path)
        var perState: [String: Int] = [:]
        for op in snapshot.metadata.operators {
            guard op.subtasks.contains(where: { if case .keyGroups? = $0.managedKeyedState { true } else { false } }) else { continue }
            let keys: Int64 = op.uid == "window-reduce" ? 100 : 600
            try snapshot.forEachDecodedEntry(operator: op.id) { state, e in
                perState[state, default: 0] += 1
                guard case .long(let k) = e.key else { Issue.record("\(fixture) \(state): key \(e.key)"); return }
                #expect(k >= 0 && k < keys, "\(fixture) \(state): key \(k)")
                let kg = try FlinkKeyHashing.keyGroup(for: e.key, serializer: .long, maxParallelism: op.maxParallelism)
                #expect(kg == e.keyGroup, "\(fixture) \(state): key \(k) hashes to key group \(kg), stored in \(e.keyGroup)")
                switch state {
                case "count":
                    guard case .ttl(let ts, .long(let n)) = e.value else { Issue.record("\(fixture): count \(e.value)"); return }
                    #expect(n > 0 && ts > 1_600_000_000_000)
                    #expect(e.namespace == .voidNamespace)
                case "last-seen":
                    guard case .string(let s) = e.value else { Issue.record("\(fixture): last-seen \(e.value)"); return }
                    #expect(!s.isEmpty && s.allSatisfy(\.isHexDigit) && k % 4 == 0)
                case "recent":
                    guard case .list(let items) = e.value else { Issue.record("\(fixture): recent \(e.value)"); return }
                    #expect(!items.isEmpty && items.count <= 3 && k % 4 == 1)
                    #expect(items.allSatisfy { if case .long = $0 { true } else { false } })
                case "attributes":
                    guard case .int(let uk)? = e.userKey, case .string(let s) = e.value else { Issue.record("\(fixture): attributes \(e)"); return }
                    #expect((uk == 0 || (uk == 1 && k % 3 == 0)) && (s.count == 48 || s.count == 100) && s.allSatisfy(\.isHexDigit))
                case let s where s.hasPrefix("_timer_state/"):
                    guard case .long(let ts) = e.value else { Issue.record("\(fixture): timer \(e.value)"); return }
                    #expect(ts > 1_600_000_000_000)
                    if op.uid == "keyed-state" { #expect(k % 2 == 0 && e.namespace == .voidNamespace) }
                    if op.uid == "window-reduce", case .timeWindow(let start, let end) = e.namespace { #expect(end - start == 60_000 && ts == end - 1) }
                default:
                    // window-reduce's window contents: a Long sum per key and TimeWindow.
                    guard case .timeWindow(let start, let end) = e.namespace else { Issue.record("\(fixture) \(state): namespace \(e.namespace)"); return }
                    #expect(end - start == 60_000 && start % 60_000 == 0)
                    if case .long = e.value {} else { Issue.record("\(fixture) \(state): value \(e.value)") }
                }
                // Every rendered line is valid JSON of the documented shape.
                _ = e.value.json.rendered(indent: 0)
            }
        }
        #expect(perState["count", default: 0] > 0, "\(fixture): \(perState)")
        // In full-snapshot files every stored pair is one decoded entry: the counts match the raw scan.
        let canonical = snapshot.metadata.operators.contains { $0.subtasks.contains { if case .keyGroups(7, _, _, _, _)? = $0.managedKeyedState { true } else { false } } }
        if canonical || fixture.contains("rocksdb-full") {
            var scanned: [String: Int] = [:]
            for (_, states) in try snapshot.scanStates() { for s in states { scanned[s.descriptor.name, default: 0] += Int(s.entryCount ?? 0) } }
            for (name, n) in perState { #expect(scanned[name] == n, "\(fixture) \(name): decoded \(n), scanned \(String(describing: scanned[name]))") }
        }
        // Heap checkpoints are read in the heap layout (namespace, key, value per entry; whole lists and maps).
        if fixture.contains("hashmap/") && fixture.contains("/chk-") {
            // The keyed-state operator (1.x checkpoints do not record uids): the one whose proxy has "count".
            let op = try #require(snapshot.metadata.operators.first { op in
                op.subtasks.contains { st in (try? snapshot.keyedBackendProxy(operator: op.id, subtask: st.index))??.states.contains { $0.name == "count" } == true }
            })
            let st = try #require(op.subtasks.first { !$0.finished })
            guard case .keyGroups(_, _, let offsets, let delegate?, _)? = st.managedKeyedState else { Issue.record("\(fixture): no key groups"); return }
            let starts = offsets.filter { $0 > 0 }
            let proxy = try #require(try snapshot.keyedBackendProxy(operator: op.id, subtask: st.index))
            let layouts = proxy.states.map { FlinkKeyedStateLayout(keySerializer: .long, state: $0, maxParallelism: op.maxParallelism) }
            let bytes = try snapshot.read(delegate, from: starts[0], to: starts.count > 1 ? starts[1] : delegate.stateSize)
            let entries = try FlinkKeyedStateLayout.decodeHeapKeyGroup(bytes, layouts: layouts)
            #expect(!entries.isEmpty)
        }
        #expect(perState["attributes", default: 0] >= perState["count", default: 0] || fixture.contains("hashmap") == false)
    }

    @Test("decoded values of real bytes encode back to the same bytes")
    func realRoundTrip() throws {
        var checked = 0
        for fixture in Self.snapshots where fixture.contains("savepoint-") {
            let snapshot = try FlinkSnapshot(source: Self.root.appendingPathComponent(fixture).path)
            guard let op = snapshot.metadata.operators.first(where: { $0.uid == "keyed-state" }),
                  let sub = op.subtasks.first(where: { !$0.finished }),
                  let proxy = try? snapshot.keyedBackendProxy(operator: op.id, subtask: sub.index) else { continue }
            guard let groups = try? snapshot.canonicalKeyGroups(operator: op.id, state: "count") else { continue }
            for state in ["count", "last-seen"] {
                guard let vs = proxy.states.first(where: { $0.name == state })?.valueSerializer else { continue }
                for kg in groups.prefix(8) {
                    try snapshot.forEachCanonicalEntry(operator: op.id, state: state, keyGroup: kg) { key, value in
                        let v = try FlinkValueDecoder.decode(value, as: vs)
                        #expect(try FlinkValueEncoder.encode(v, as: vs) == value)
                        let k = try FlinkValueDecoder.decode(Array(key.prefix(8)), as: .long)
                        #expect(try FlinkValueEncoder.encode(k, as: .long) == Array(key.prefix(8)))
                        checked += 1
                    }
                }
            }
        }
        #expect(checked > 50, "round-tripped \(checked) real values")
    }
}
