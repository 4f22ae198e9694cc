import CairnCore
@testable import CairnFlink
import CairnModel
@testable import CairnTools
import Foundation
import Testing

/// `--migrate` on Flink input: plan parsing, evolved serializer snapshots (read back by the snapshot parser) and
/// the rewritten values of the typed fixture (v1 of the typed pipeline), entry by entry against the input's.
@Suite("Flink state migration", .serialized)
struct FlinkMigrationTests {
    typealias Scratch = FlinkRewriterTests.Scratch

    static var typedSavepoint: String {
        let dir = FlinkRewriterTests.root.appendingPathComponent("2.3/typed-hashmap").path
        return dir + "/" + (FilePaths.list(dir).first { $0.hasPrefix("savepoint-") } ?? "missing")
    }

    /// The plan restore-check.sh gives the v2 job (docs/examples/migrate-typed-v2.yaml).
    static var planText: String {
        let path = FlinkRewriterTests.root.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("docs/examples/migrate-typed-v2.yaml").path
        return (try? String(contentsOfFile: path, encoding: .utf8)) ?? "missing \(path)"
    }

    /// Every decoded value of `op`'s states, by state, keyed by the key's JSON (one per key; map states excluded).
    static func values(_ s: FlinkSnapshot, op uid: String) throws -> [String: [String: FlinkValue]] {
        var out: [String: [String: FlinkValue]] = [:]
        guard let op = s.metadata.operators.first(where: { $0.uid == uid }) else { return out }
        for st in op.subtasks where !st.finished {
            guard let image = try s.keyedProxyImage(operator: op, subtask: st) else { continue }
            try s.forEachKeyedEntry(operator: op, subtask: st, proxy: image) { i, entry, _ in
                guard let e = entry, e.userKey == nil else { return }
                out[image.proxy.states[i].name, default: [:]][e.key.json.rendered(indent: 0)] = e.value
            }
        }
        return out
    }

    static func valueSnapshot(_ s: FlinkSnapshot, op uid: String, state: String) throws -> [UInt8] {
        let op = try #require(s.metadata.operators.first { $0.uid == uid })
        for st in op.subtasks {
            guard let image = try s.keyedProxyImage(operator: op, subtask: st), let i = image.proxy.states.firstIndex(where: { $0.name == state }) else { continue }
            return try #require(try FlinkSnapshotBytes.serializer(FlinkStateMetaRecord.SerializerKey.value, in: image.stateRecordBytes[i]))
        }
        Issue.record("no state \(state)")
        return []
    }

    static func field(_ v: FlinkValue, _ name: String) -> FlinkValue? {
        guard case .record(let fields) = v else { return nil }
        return fields.first { $0.name == name }?.value
    }

    @Test("a plan parses into field changes; unknown keys, bad types and missing defaults name the key path")
    func planParsing() throws {
        let plan = try FlinkMigrationPlan.parse(Self.planText, file: "p.yaml")
        #expect(plan.migrations.count == 4)
        let pojo = plan.migrations[0]
        #expect(pojo.from == "CairnFixtureJob$TypedPojo" && pojo.keyPath == "migrations[0]")
        #expect(pojo.changes.contains(.widen(path: ["detail", "weight"], to: .double)))
        #expect(pojo.changes.contains(.rename(path: ["ratio"], to: "score")))
        #expect(pojo.changes.contains(.add(path: ["detail", "unit"], serializer: .string, defaultValue: .string("kg"))))
        #expect(plan.migrations[3].rowFields == ["id", "label", "score", "flag"])
        let bad: [(String, String)] = [
            ("migrations:\n  - {operator: a, state: b, from: C, widen: {x: long}, wide: {y: long}}", "migrations[0].wide"),
            ("migrations:\n  - {operator: a, state: b, from: C, widen: {x: decimal}}", "unknown type decimal"),
            ("migrations:\n  - {operator: a, state: b, from: C, add: [{field: x, type: long}]}", "needs default"),
            ("migrations:\n  - {operator: a, state: b, from: C, add: [{field: x, type: int, default: 1.5}]}", "migrations[0].add[0].default"),
            ("migrations:\n  - {operator: a, state: b, widen: {x: long}}", "needs from"),
            ("migrations:\n  - {operator: a, state: b, from: C}", "changes nothing"),
        ]
        for (text, expected) in bad {
            #expect(throws: JobSpecError.self) { _ = try FlinkMigrationPlan.parse(text) }
            do { _ = try FlinkMigrationPlan.parse(text) } catch { #expect("\(error)".contains(expected), "\(error)") }
        }
    }

    @Test("the evolved POJO snapshot parses back with the new schema: fields sorted by name, new and widened serializers, nested POJO changed")
    func pojoSnapshot() throws {
        let input = try FlinkSnapshot(source: Self.typedSavepoint)
        let old = try Self.valueSnapshot(input, op: "typed-state", state: "pojo")
        let plan = try FlinkMigrationPlan.parse(Self.planText)
        let e = try FlinkSchemaEvolution.evolve(valueSnapshot: old, mapState: false, recordType: plan.migrations[0].from, changes: plan.migrations[0].changes)
        var r = JavaDataInput(e.snapshot)
        let parsed = try FlinkSerializerSnapshotReader.readVersioned(&r)
        #expect(r.isAtEnd)
        guard case .pojo(let p)? = parsed.serializer else { Issue.record("not a POJO: \(String(describing: parsed.serializer))"); return }
        let names = p.fields.map(\.name)
        #expect(names == names.sorted())
        #expect(names.contains("priority") && names.contains("score") && !names.contains("ratio") && !names.contains("payload"))
        #expect(p.fields.first { $0.name == "count" }?.serializer == .long)
        #expect(p.fields.first { $0.name == "priority" }?.serializer == .long)
        #expect(p.fields.first { $0.name == "score" }?.declaringClass == p.className)
        guard case .pojo(let d)? = p.fields.first(where: { $0.name == "detail" })?.serializer else { Issue.record("detail is not a POJO"); return }
        #expect(d.fields.first { $0.name == "weight" }?.serializer == .double)
        #expect(d.fields.first { $0.name == "unit" }?.serializer == .string)
        // Unchanged field snapshots keep their bytes: the old snapshot's enum/list/map fields parse the same.
        var o = JavaDataInput(old)
        guard case .pojo(let oldPojo)? = try FlinkSerializerSnapshotReader.readVersioned(&o).serializer else { return }
        for f in ["tags", "counters", "color", "amount", "when", "day"] {
            #expect(p.fields.first { $0.name == f } == oldPojo.fields.first { $0.name == f }, "\(f)")
        }
    }

    /// The typed fixtures' savepoints: heap canonical, and RocksDB native (SST files) and canonical.
    static var typedSavepoints: [String] {
        ["typed-hashmap", "typed-rocksdb"].flatMap { scenario in
            let dir = FlinkRewriterTests.root.appendingPathComponent("2.3/" + scenario).path
            return FilePaths.list(dir).filter { $0.hasPrefix("savepoint-") }.sorted().map { dir + "/" + $0 }
        }
    }

    @Test("rewriting the typed savepoints (heap canonical, RocksDB native and canonical) converts every value: widened numbers equal, renamed fields carry the old values, defaults added, TTL timestamps kept",
          arguments: typedSavepoints)
    func rewriteValues(source: String) throws {
        let scratch = try Scratch()
        let input = try FlinkSnapshot(source: source)
        var plan = RewritePlan()
        plan.flinkMigration = try FlinkMigrationPlan.parse(Self.planText, file: "plan.yaml")
        let dest = scratch.path + "/out"
        let report = try FlinkRewriter.rewrite(input, source: source, to: dest, plan: plan)
        #expect(report.changes.contains { $0.contains("typed-state/pojo: migrated CairnFixtureJob$TypedPojo") && $0.contains("renamed ratio → score") }, "\(report.changes)")
        try FlinkRewriterTests.expectValid(dest, version: 6)
        let before = try Self.values(input, op: "typed-state")
        let after = try Self.values(try FlinkSnapshot(source: dest), op: "typed-state")
        let keys = try #require(before["pojo"]).keys
        #expect(keys.count >= 40)
        #expect(Set(after["pojo"]?.keys ?? [:].keys) == Set(keys))
        for k in keys {
            let o = try #require(before["pojo"]?[k]), n = try #require(after["pojo"]?[k])
            guard case .int(let c)? = Self.field(o, "count") else { Issue.record("count of \(k)"); continue }
            #expect(Self.field(n, "count") == .long(Int64(c)))
            #expect(Self.field(n, "score") == Self.field(o, "ratio"))
            #expect(Self.field(n, "priority") == .long(7))
            #expect(Self.field(n, "payload") == nil && Self.field(n, "ratio") == nil)
            for f in ["name", "total", "tags", "counters", "amount", "when", "day", "maybe", "color", "active"] { #expect(Self.field(n, f) == Self.field(o, f), "\(k) \(f)") }
            let od = try #require(Self.field(o, "detail")), nd = try #require(Self.field(n, "detail"))
            guard case .float(let w)? = Self.field(od, "weight") else { Issue.record("weight of \(k)"); continue }
            #expect(Self.field(nd, "weight") == .double(Double(w)))
            #expect(Self.field(nd, "unit") == .string("kg"))
            #expect(Self.field(nd, "label") == Self.field(od, "label"))
            // Row: id widened, flag dropped, extra appended; the row kind is kept.
            guard case .row(let kind, let of)? = before["row"]?[k], case .row(let nkind, let nf)? = after["row"]?[k] else { Issue.record("row of \(k)"); continue }
            #expect(kind == nkind && nf.count == 4)
            if case .int(let id) = of[0] { #expect(nf[0] == .long(Int64(id))) } else { Issue.record("row id \(of[0])") }
            #expect(nf[1] == of[1] && nf[2] == of[2] && nf[3] == .long(-1))
            // details: every element's weight widened, unit added
            guard case .list(let ol)? = before["details"]?[k], case .list(let nl)? = after["details"]?[k] else { Issue.record("details of \(k)"); continue }
            #expect(ol.count == nl.count)
            for (a, b) in zip(ol, nl) {
                if case .float(let x)? = Self.field(a, "weight") { #expect(Self.field(b, "weight") == .double(Double(x))) }
                #expect(Self.field(b, "unit") == .string("kg"))
            }
        }
        // pojo-ttl: TTL wrapper and timestamp kept, the POJO inside migrated
        let ttlKeys = try #require(before["pojo-ttl"]).keys
        #expect(!ttlKeys.isEmpty)
        for k in ttlKeys {
            guard case .ttl(let ts, let o)? = before["pojo-ttl"]?[k], case .ttl(let nts, let n)? = after["pojo-ttl"]?[k] else { Issue.record("pojo-ttl of \(k)"); continue }
            #expect(ts == nts)
            if case .int(let c)? = Self.field(o, "count") { #expect(Self.field(n, "count") == .long(Int64(c))) }
            #expect(Self.field(n, "priority") == .long(7))
        }
        // States the plan does not name are untouched.
        #expect(before["tuple"] == after["tuple"] && before["either"] == after["either"])
    }

    @Test("bad plans are refused with the plan key path, state and field, exit 2, nothing written",
          arguments: [
            ("state: pojo\n    from: TypedPojo\n    widen: {total: int}", "narrows"),
            ("state: pojo\n    from: TypedPojo\n    widen: {name: long}", "not a widening"),
            ("state: pojo\n    from: TypedPojo\n    widen: {nope: long}", "field nope does not exist"),
            ("state: pojo\n    from: TypedPojo\n    add: [{field: name, type: long, default: 1}]", "already exists"),
            ("state: pojo\n    from: Detail\n    drop: [name]", "does not match"),
            ("state: tuple\n    from: Row\n    drop: [f0]", "holds no POJO, Row or Avro record"),
            ("state: row\n    from: Row\n    rename: {f1: name}", "keeps no field names"),
            ("state: nope\n    from: Row\n    drop: [f0]", "no keyed state"),
          ])
    func refusals(entry: String, expected: String) throws {
        let scratch = try Scratch()
        let input = try FlinkSnapshot(source: Self.typedSavepoint)
        var plan = RewritePlan()
        plan.flinkMigration = try FlinkMigrationPlan.parse("migrations:\n  - operator: typed-state\n    " + entry, file: "plan.yaml")
        do {
            _ = try FlinkRewriter.rewrite(input, source: Self.typedSavepoint, to: scratch.path + "/out", plan: plan)
            Issue.record("rewritten: \(entry)")
        } catch {
            #expect(error.description.contains(expected), "\(error)")
            #expect(error.exitStatus == 2)
            if case .migrationRefused(let at, _, _) = error { #expect(at == "plan.yaml: migrations[0]") }
        }
        #expect(FilePaths.kind(scratch.path + "/out") == nil)
        #expect(!FilePaths.list(scratch.path).contains { $0.contains(".cairn-") })
    }

    @Test("a value of a shape the plan does not describe fails the rewrite with exit 1 and writes nothing")
    func undecodableValue() throws {
        let scratch = try Scratch()
        let input = try FlinkSnapshot(source: Self.typedSavepoint)
        let op = try #require(input.metadata.operators.first { $0.uid == "typed-state" })
        let old = try Self.valueSnapshot(input, op: "typed-state", state: "pojo")
        let e = try FlinkSchemaEvolution.evolve(valueSnapshot: old, mapState: false, recordType: "TypedPojo", changes: [.widen(path: ["count"], to: .long)])
        // A library closure that hands the encoder a value of the old shape: the new serializer cannot write it.
        var r = FlinkStateRewriter(snapshot: input)
        r.migrate(operator: op.id, state: "pojo", snapshot: e.snapshot) { $0.value }
        do {
            _ = try FlinkRewriter.rewrite(input, source: Self.typedSavepoint, to: scratch.path + "/out", plan: RewritePlan(), state: r)
            Issue.record("rewritten")
        } catch {
            #expect(error.exitStatus == 1, "\(error)")
            #expect(error.description.contains("pojo") || error.description.contains("count"), "\(error)")
        }
        #expect(FilePaths.kind(scratch.path + "/out") == nil)
    }
}
