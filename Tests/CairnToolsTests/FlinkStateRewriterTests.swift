import CairnCore
@testable import CairnFlink
import CairnModel
@testable import CairnTools
import Foundation
import Testing

/// State-level Flink rewrites: keyed state of any backend written as a canonical savepoint and read back.
@Suite("Flink state rewrite", .serialized)
struct FlinkStateRewriterTests {
    typealias Scratch = FlinkRewriterTests.Scratch

    /// One decoded entry as text: operator, state, key group, key, namespace, user key, value.
    struct Line: Hashable, Comparable {
        var op: String, state: String, keyGroup: Int, rest: String
        static func < (a: Line, b: Line) -> Bool { (a.op, a.state, a.keyGroup, a.rest) < (b.op, b.state, b.keyGroup, b.rest) }
        var withoutKeyGroup: String { "\(op)|\(state)|\(rest)" }
    }

    /// Every keyed entry of the snapshot, decoded; checks that each lies in its subtask's range and, with `hashes`,
    /// in the key group FlinkKeyHashing computes for it.
    static func entries(_ s: FlinkSnapshot, hashes: Bool = false, only: String? = nil) throws -> [Line] {
        var out: [Line] = []
        for op in s.metadata.operators where only == nil || op.uid == only {
            for st in op.subtasks where !st.finished {
                guard let image = try s.keyedProxyImage(operator: op, subtask: st), let h = st.managedKeyedState else { continue }
                try s.forEachKeyedEntry(operator: op, subtask: st, proxy: image) { i, entry, _ in
                    guard let e = entry else {
                        Issue.record("an entry was not decoded")
                        return
                    }
                    #expect(h.keyGroupRange.contains(e.keyGroup), "key group \(e.keyGroup) outside \(h.keyGroupRange)")
                    if hashes {
                        let kg = try FlinkKeyHashing.keyGroup(for: e.key, serializer: image.keySerializer, maxParallelism: op.maxParallelism)
                        #expect(kg == e.keyGroup, "\(e.key) in key group \(e.keyGroup), hashes to \(kg)")
                    }
                    let rest = [e.key.json, e.namespace.json, e.userKey?.json ?? .null, e.value.json].map { $0.rendered(indent: 0) }.joined(separator: "|")
                    out.append(Line(op: op.uid ?? op.id.hex, state: image.proxy.states[i].name, keyGroup: e.keyGroup, rest: rest))
                }
            }
        }
        return out.sorted()
    }

    /// A state rewriter that touches every keyed operator with an identity transform (forces the canonical rewrite).
    static func identity(_ s: FlinkSnapshot) -> FlinkStateRewriter {
        var r = FlinkStateRewriter(snapshot: s)
        for op in s.metadata.operators {
            if let state = s.stateMetaInfo(of: op).keyedStates.first?.name { r.transform(operator: op.id, state: state) { $0.value } }
        }
        return r
    }

    static let hashmapSavepoint = FlinkRewriterTests.savepoints[2]

    @Test("every fixture backend written as a canonical savepoint reads back with the same entries",
          arguments: ["hashmap-savepoint", "hashmap-checkpoint", "rocksdb-incremental-checkpoint"])
    func roundTrip(input: String) throws {
        let scratch = try Scratch()
        var plan = RewritePlan()
        let source: String
        switch input {
        case "hashmap-savepoint": source = Self.hashmapSavepoint
        case "hashmap-checkpoint":
            let (scenario, chk) = FlinkRewriterTests.checkpoint("2.3", "hashmap")
            source = chk
            plan.relocation = .init(to: scenario, mode: .reference)
        default:
            let (scenario, chk) = FlinkRewriterTests.checkpoint("2.3", "rocksdb-incremental")
            source = chk
            plan.relocation = .init(to: scenario, mode: .reference)
        }
        let input = try FlinkSnapshot(source: source)
        let dest = scratch.path + "/out"
        let report = try FlinkRewriter.rewrite(input, source: source, to: dest, plan: plan, state: Self.identity(input))
        let out = try FlinkSnapshot(source: dest)
        try FlinkRewriterTests.expectValid(dest, version: 6)
        #expect(report.changes.contains { $0.contains("canonical savepoint") })
        // Every keyed state is canonical now: _metadata says canonical savepoint (a checkpoint input gets the trailer).
        #expect(out.metadata.properties?.isSavepoint == true && out.metadata.properties?.savepointFormat == "CANONICAL")
        if input.metadata.properties?.isSavepoint != true { #expect(report.changes.contains { $0.contains("marked as a canonical savepoint") }) }
        let keyed = out.metadata.operators.filter { op in op.subtasks.contains { $0.managedKeyedState != nil } }
        #expect(!keyed.isEmpty)
        for op in keyed {
            for st in op.subtasks {
                guard case .keyGroups(7, _, _, .relativeFile?, _)? = st.managedKeyedState else {
                    Issue.record("\(op.uid ?? "?") subtask \(st.index): \(st.managedKeyedState?.kind ?? "none")")
                    continue
                }
            }
        }
        let before = try Self.entries(input), after = try Self.entries(out)
        #expect(!before.isEmpty)
        #expect(before == after)
        // The CLI's dump reads the same.
        var dumped = 0
        try out.forEachStateEntry(StateEntryQuery(state: "keyed-state/count", key: nil, keyGroup: nil, limit: nil, raw: false)) { _ in
            dumped += 1
            return true
        }
        #expect(dumped == before.filter { $0.op == "keyed-state" && $0.state == "count" }.count)
        #expect(!FilePaths.list(scratch.path).contains { $0.contains(".cairn-") })
    }

    @Test("rescaling 256 → 128 and 128 → 256 moves every key to the group Flink hashes it to; back again is the input")
    func rescaleRoundTrip() throws {
        let scratch = try Scratch()
        let input = try FlinkSnapshot(source: Self.hashmapSavepoint)
        var plan = RewritePlan()
        plan.maxParallelismChanges = [.init(op: .init("keyed-state"), parallelism: 128), .init(op: .init("window-reduce"), parallelism: 256)]
        plan.parallelism = [.init(op: .init("keyed-state"), parallelism: 2)]
        _ = try FlinkRewriter.rewrite(input, source: Self.hashmapSavepoint, to: scratch.path + "/a", plan: plan)
        let a = try FlinkSnapshot(source: scratch.path + "/a")
        #expect(a.metadata.operators.first { $0.uid == "keyed-state" }?.maxParallelism == 128)
        #expect(a.metadata.operators.first { $0.uid == "keyed-state" }?.subtasks.count == 2)
        #expect(a.metadata.operators.first { $0.uid == "window-reduce" }?.maxParallelism == 256)
        let before = try Self.entries(input, hashes: true), moved = try Self.entries(a, hashes: true)
        #expect(Set(before.map(\.withoutKeyGroup)) == Set(moved.map(\.withoutKeyGroup)))
        #expect(before.count == moved.count)
        #expect(before != moved)

        var back = RewritePlan()
        back.maxParallelismChanges = [.init(op: .init("keyed-state"), parallelism: 256), .init(op: .init("window-reduce"), parallelism: 128)]
        back.parallelism = [.init(op: .init("keyed-state"), parallelism: 3)]
        _ = try FlinkRewriter.rewrite(a, source: scratch.path + "/a", to: scratch.path + "/b", plan: back)
        let b = try FlinkSnapshot(source: scratch.path + "/b")
        #expect(try Self.entries(b, hashes: true) == before)
    }

    @Test("--drop-state and --expire-ttl: the state leaves the proxy; expired entries go, fresh ones stay")
    func dropAndExpire() throws {
        let scratch = try Scratch()
        let input = try FlinkSnapshot(source: Self.hashmapSavepoint)
        let before = try Self.entries(input)
        let counts = before.filter { $0.op == "keyed-state" && $0.state == "count" }
        #expect(!counts.isEmpty)
        // The newest lastAccessTimestamp of a count entry.
        var newest: Int64 = 0
        for op in input.metadata.operators where op.uid == "keyed-state" {
            for st in op.subtasks {
                guard let image = try input.keyedProxyImage(operator: op, subtask: st) else { continue }
                try input.forEachKeyedEntry(operator: op, subtask: st, proxy: image) { i, e, _ in
                    if image.proxy.states[i].name == "count", case .ttl(let ts, _)? = e?.value { newest = max(newest, ts) }
                }
            }
        }
        var plan = RewritePlan()
        plan.dropStates = ["keyed-state/last-seen"]
        plan.expireTTLAt = newest + 3_600_000
        plan.ttl = [.init(state: "keyed-state/count", millis: 3_600_000)]
        let report = try FlinkRewriter.rewrite(input, source: Self.hashmapSavepoint, to: scratch.path + "/x", plan: plan)
        let out = try FlinkSnapshot(source: scratch.path + "/x")
        let after = try Self.entries(out)
        #expect(!after.contains { $0.state == "last-seen" })
        #expect(after.filter { $0.state == "count" }.isEmpty)
        #expect(after.filter { $0.state != "count" } == before.filter { $0.state != "count" && $0.state != "last-seen" })
        #expect(report.changes.contains { $0.contains("dropped state last-seen") })
        let op = try #require(out.metadata.operators.first { $0.uid == "keyed-state" })
        let proxy = try #require(try out.keyedProxyImage(operator: op, subtask: op.subtasks[0]))
        #expect(!proxy.proxy.states.contains { $0.name == "last-seen" })

        // One millisecond earlier the newest count is still alive.
        plan.expireTTLAt = newest + 3_600_000 - 1
        plan.dropStates = []
        _ = try FlinkRewriter.rewrite(input, source: Self.hashmapSavepoint, to: scratch.path + "/y", plan: plan)
        #expect(try Self.entries(FlinkSnapshot(source: scratch.path + "/y")).filter { $0.state == "count" }.count >= 1)

        // A TTL state without a duration is refused, and nothing is written.
        plan.ttl = []
        #expect(throws: FlinkRewriteError.self) {
            _ = try FlinkRewriter.rewrite(input, source: Self.hashmapSavepoint, to: scratch.path + "/z", plan: plan)
        }
        #expect(FilePaths.kind(scratch.path + "/z") == nil)
        #expect(!FilePaths.list(scratch.path).contains { $0.contains(".cairn-") })
    }

    @Test("typed keys (Tuple2<String, Integer>) re-hash as Flink does; keys without a computable hashCode are refused")
    func unhashableKeys() throws {
        let scratch = try Scratch()
        let dir = FlinkRewriterTests.root.appendingPathComponent("2.3/typed-hashmap").path
        guard let name = FilePaths.list(dir).first(where: { $0.hasPrefix("savepoint-") }) else { return }
        let source = dir + "/" + name
        let input = try FlinkSnapshot(source: source)
        guard let op = input.metadata.operators.first(where: { $0.uid == "typed-state" }) else { return }
        var plan = RewritePlan()
        plan.maxParallelismChanges = [.init(op: .init(op.id.hex), parallelism: op.maxParallelism * 2)]
        do {
            _ = try FlinkRewriter.rewrite(input, source: source, to: scratch.path + "/t", plan: plan)
            // Tuple2<String, Integer> keys hash fine; then every entry must sit where Flink puts it.
            let after = try Self.entries(FlinkSnapshot(source: scratch.path + "/t"), hashes: true, only: "typed-state")
            #expect(Set(after.map(\.withoutKeyGroup)) == Set(try Self.entries(input, only: "typed-state").map(\.withoutKeyGroup)))
        } catch let e as FlinkRewriteError {
            #expect(e.description.contains("hashCode"), "\(e)")
        }
    }

    @Test("refusals name what and what to do, and write nothing: operator state at another parallelism, unknown states, max parallelism below parallelism")
    func refusals() throws {
        let scratch = try Scratch()
        let input = try FlinkSnapshot(source: Self.hashmapSavepoint)
        var cases: [(RewritePlan, String)] = []
        var p1 = RewritePlan()
        p1.parallelism = [.init(op: .init("throttle"), parallelism: 3)]
        cases.append((p1, "redistributes operator state"))
        var p2 = RewritePlan()
        p2.dropStates = ["keyed-state/nope"]
        cases.append((p2, "keyed-state/count"))
        var p3 = RewritePlan()
        p3.maxParallelismChanges = [.init(op: .init("keyed-state"), parallelism: 2)]
        cases.append((p3, "max parallelism"))
        var p4 = RewritePlan()
        p4.expireTTLAt = 0
        p4.ttl = [.init(state: "keyed-state/last-seen", millis: 1000)]
        cases.append((p4, "has no TTL"))
        for (plan, text) in cases {
            do {
                _ = try FlinkRewriter.rewrite(input, source: Self.hashmapSavepoint, to: scratch.path + "/out", plan: plan)
                Issue.record("rewritten: \(text)")
            } catch {
                #expect(error.description.contains(text), "\(error)")
                #expect(error.exitStatus == 2)
            }
            #expect(FilePaths.kind(scratch.path + "/out") == nil)
            #expect(!FilePaths.list(scratch.path).contains { $0.contains(".cairn-") })
        }
    }
}
