import CairnCore
import CairnFlink
import CairnFormat
import CairnModel
import CairnTools
import Foundation
import Testing

/// Real Flink checkpoints and savepoints (Fixtures/flink, README there) against job specs written here, one per
/// failure mode Flink has at restore time; native snapshots with typed schemas for BACKWARD / FORWARD / FULL.
@Suite("Restore prediction (validate --against)")
struct RestorePredictorTests {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let flink = repo.appendingPathComponent("Fixtures/flink")

    // Operator ids of the fixture job (uid hashes; the same in every version).
    static let keyedID = "826c38023c4272520855c3219fef4f3f"
    static let sinkID = "e817389a36d9a466bf277bdaede6d2b7"
    static let windowID = "dda1cffb3ab3ac3fba0a1df4920cd71b"

    /// `version/scenario/savepoint-*` (the first, by name) or `version/scenario/<job>/chk-N` (all, by N).
    static func savepoint(_ version: String, _ scenario: String) throws -> String {
        let dir = flink.appendingPathComponent("\(version)/\(scenario)")
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix("savepoint-") }.sorted()
        let name = try #require(names.first)
        return dir.appendingPathComponent(name).path
    }

    static func checkpoints(_ version: String, _ scenario: String) throws -> [String] {
        let dir = flink.appendingPathComponent("\(version)/\(scenario)")
        let fm = FileManager.default
        let job = try #require(try fm.contentsOfDirectory(atPath: dir.path).first { $0.count == 32 && !$0.hasPrefix("savepoint-") })
        let jobDir = dir.appendingPathComponent(job)
        return try fm.contentsOfDirectory(atPath: jobDir.path).filter { $0.hasPrefix("chk-") }
            .sorted { (Int($0.dropFirst(4)) ?? 0) < (Int($1.dropFirst(4)) ?? 0) }
            .map { jobDir.appendingPathComponent($0).path }
    }

    /// The fixture job as it is: every operator by uid, its parallelism, and the states it registers.
    static func fixtureJob(keyed: String = keyedOperator(), sink: String? = sinkOperator(), extra: String = "", top: String = "") -> String {
        """
        \(top)
        operators:
          - uid: number-source
            parallelism: 2
            states:
              - {name: SourceReaderState, kind: operator-list, valueSerializer: BytePrimitiveArraySerializer}
          - uid: throttle
            parallelism: 2
            states:
              - {name: recent-values, kind: operator-list, valueSerializer: StringSerializer}
          - uid: rules-source
            parallelism: 1
          - uid: broadcast-enrich
            parallelism: 3
            states:
              - {name: rules, kind: broadcast, keySerializer: IntSerializer, valueSerializer: StringSerializer}
        \(keyed)
          - uid: window-reduce
            parallelism: 2
        \(sink ?? "")
        \(extra)
        """
    }

    static func keyedOperator(uid: String = "keyed-state", parallelism: Int = 3, maxParallelism: Int? = 256, count: String = "valueSerializer: TtlSerializer",
                              lastSeen: String = "valueSerializer: StringSerializer", recentKind: String = "list", key: String = "LongSerializer") -> String {
        """
          - uid: \(uid)
            parallelism: \(parallelism)
        \(maxParallelism.map { "    maxParallelism: \($0)" } ?? "")
            states:
              - {name: count, kind: value, keySerializer: \(key), \(count)}
              - {name: last-seen, kind: value, keySerializer: LongSerializer, \(lastSeen)}
              - {name: recent, kind: \(recentKind), keySerializer: LongSerializer, valueSerializer: ListSerializer<LongSerializer>}
              - {name: attributes, kind: map, keySerializer: LongSerializer, valueSerializer: "MapSerializer<IntSerializer, StringSerializer>"}
              - {name: _timer_state/processing_user-timers, kind: timers}
        """
    }

    static func sinkOperator(kind: String = "operator-union") -> String {
        """
          - uid: union-sink
            parallelism: 2
            states:
              - {name: sink-summary, kind: \(kind), valueSerializer: LongSerializer}
        """
    }

    static func predict(_ source: String, _ yaml: String) throws -> RestorePrediction {
        let job = try JobSpecLoader.parse(yaml, file: "job.yaml")
        let view = try SnapshotOpener.open(source)
        return RestorePredictor(source: source, jobFile: "job.yaml", job: job).predict(view: view, summary: try view.summary())
    }

    static let snapshots: [(String, String)] = [
        ("1.15", "hashmap"), ("1.20", "hashmap"), ("2.3", "hashmap"),
        ("1.15", "rocksdb-incremental"), ("1.20", "rocksdb-incremental"), ("2.3", "rocksdb-incremental"),
    ]

    // MARK: A matching job

    @Test("the job as it is restores from every savepoint, with each keyed state's serializers read from the snapshot", arguments: snapshots)
    func matchingSavepoint(version: String, scenario: String) throws {
        let source = try Self.savepoint(version, scenario)
        let p = try Self.predict(source, Self.fixtureJob())
        #expect(p.problems.isEmpty, "\(p.problems.map(\.message))")
        #expect(p.restorable)
        #expect(p.operators.filter { $0.status == .notMapped }.isEmpty)
        let keyed = p.states.filter { $0.operatorID == Self.keyedID }
        // The snapshot also lists the timer services the runtime registered; the job spec lists only the user's states.
        #expect(Set(keyed.map(\.state)).isSuperset(of: ["count", "last-seen", "recent", "attributes", "_timer_state/processing_user-timers"]))
        for s in keyed where !s.state.hasPrefix("_timer_state/") {
            #expect(s.verdict == "AS_IS", "\(s.state): \(s.verdict) \(s.details)")
        }
        #expect(keyed.first { $0.state == "recent" }?.old?.hasPrefix("ListSerializer<LongSerializer>") == true)
        #expect(p.states.first { $0.state == "sink-summary" }?.verdict == "AS_IS")
        #expect(p.states.first { $0.state == "rules" }?.verdict == "AS_IS")
    }

    @Test("heap and RocksDB checkpoints give the same serializer facts as savepoints", arguments: snapshots)
    func matchingCheckpoint(version: String, scenario: String) throws {
        let source = try #require(try Self.checkpoints(version, scenario).last)
        let p = try Self.predict(source, Self.fixtureJob())
        #expect(p.restorable, "\(p.problems.map(\.message))")
        let verdicts = Dictionary(p.states.filter { $0.operatorID == Self.keyedID }.map { ($0.state, $0.verdict) }, uniquingKeysWith: { a, _ in a })
        #expect(verdicts["count"] == "AS_IS" && verdicts["last-seen"] == "AS_IS" && verdicts["attributes"] == "AS_IS")
    }

    @Test("changelog checkpoints: keyed serializers are listed as not checked rather than guessed")
    func changelogNotChecked() throws {
        let source = try #require(try Self.checkpoints("1.20", "changelog").last)
        let p = try Self.predict(source, Self.fixtureJob())
        #expect(p.restorable)
        let keyed = p.states.filter { $0.operatorID == Self.keyedID }
        if keyed.isEmpty || keyed.contains(where: { $0.verdict == "NEW" }) {
            #expect(p.notChecked.contains { $0.contains(Self.keyedID) })
        }
    }

    // MARK: Each Flink failure mode

    @Test("an operator missing from the job: Flink's 'Cannot map checkpoint/savepoint state' message and the fixes", arguments: ["1.15", "1.20", "2.3"])
    func operatorNotMapped(version: String) throws {
        let source = try Self.savepoint(version, "hashmap")
        let p = try Self.predict(source, Self.fixtureJob(sink: nil))
        #expect(!p.restorable)
        let problem = try #require(p.problems.first { $0.code == "operatorNotMapped" })
        #expect(problem.operatorID == Self.sinkID)
        #expect(problem.flinkMessage == "Failed to rollback to checkpoint/savepoint \(source). Cannot map checkpoint/savepoint state for operator \(Self.sinkID) "
            + "to the new program, because the operator is not available in the new program. If you want to allow to skip this, you can set the "
            + "--allowNonRestoredState option on the CLI.")
        #expect(problem.fix?.contains("--allowNonRestoredState") == true)
        #expect(problem.fix?.contains("--drop-operator") == true)
        if version == "2.3" {
            #expect(problem.operatorUID == "union-sink")
            #expect(problem.fix?.contains("--drop-operator union-sink") == true)
        }
        #expect(p.operators.first { $0.snapshot.id.hex == Self.sinkID }?.status == .notMapped)
        // rules-source has finished: no state, so leaving it out is fine.
        let finished = try Self.predict(source, Self.fixtureJob().replacingOccurrences(of: "  - uid: rules-source\n    parallelism: 1\n", with: ""))
        #expect(finished.restorable, "\(finished.problems.map(\.message))")
    }

    @Test("allowNonRestoredState turns the missing operator into a warning that its state is dropped")
    func allowNonRestored() throws {
        let source = try Self.savepoint("2.3", "hashmap")
        let p = try Self.predict(source, Self.fixtureJob(sink: nil, top: "allowNonRestoredState: true"))
        #expect(p.restorable)
        let w = try #require(p.problems.first)
        #expect(w.severity == .warning && w.code == "stateNotRestored")
        #expect(w.flinkMessage == "Skipping savepoint state for operator \(Self.sinkID).")
    }

    @Test("a changed uid is recognized as a rename and the exact --rename-uid command is given", arguments: ["1.15", "2.3"])
    func rename(version: String) throws {
        let source = try Self.savepoint(version, "hashmap")
        let p = try Self.predict(source, Self.fixtureJob(keyed: Self.keyedOperator(uid: "keyed-state-v2")))
        let problem = try #require(p.problems.first { $0.code == "operatorNotMapped" })
        #expect(problem.operatorID == Self.keyedID)
        // 2.x snapshots know the old uid; 1.x ones only the id, which --rename-uid accepts too.
        let old = version == "2.3" ? "keyed-state" : Self.keyedID
        #expect(problem.fix?.contains("cairn rewrite \(source) DEST --rename-uid \(old)=keyed-state-v2") == true, "\(problem.fix ?? "")")
        #expect(p.newOperators.contains { $0.contains("keyed-state-v2") })
    }

    @Test("a job that sets another max parallelism: Flink's 'Max parallelism mismatch' message")
    func maxParallelism() throws {
        let source = try Self.savepoint("1.20", "rocksdb-incremental")
        let p = try Self.predict(source, Self.fixtureJob(keyed: Self.keyedOperator(maxParallelism: 128)))
        let problem = try #require(p.problems.first { $0.code == "maxParallelismMismatch" })
        #expect(problem.operatorID == Self.keyedID)
        #expect(problem.flinkMessage == "Failed to rollback to checkpoint/savepoint Checkpoint Metadata. Max parallelism mismatch between checkpoint/savepoint "
            + "state and new program. Cannot map operator \(Self.keyedID) with max parallelism 256 to new program with max parallelism 128. This indicates "
            + "that the program has been changed in a non-compatible way after the checkpoint/savepoint.")
        #expect(problem.fix?.contains("keep max parallelism at 256") == true)
        // Unset max parallelism: Flink adopts the snapshot's, no problem.
        #expect(try Self.predict(source, Self.fixtureJob(keyed: Self.keyedOperator(maxParallelism: nil))).restorable)
    }

    @Test("parallelism above the snapshot's max parallelism: Flink's 'can not be restored' message")
    func parallelismAboveMax() throws {
        let source = try Self.savepoint("2.3", "hashmap")
        let p = try Self.predict(source, Self.fixtureJob(keyed: Self.keyedOperator(parallelism: 300, maxParallelism: nil)))
        let problem = try #require(p.problems.first { $0.code == "parallelismAboveMaxParallelism" })
        #expect(problem.flinkMessage == "The state for task \(Self.keyedID) can not be restored. The maximum parallelism (256) of the restored state is lower "
            + "than the configured parallelism (300). Please reduce the parallelism of the task to be lower or equal to the maximum parallelism.")
        // Rescaling within max parallelism is fine.
        #expect(try Self.predict(source, Self.fixtureJob(keyed: Self.keyedOperator(parallelism: 8))).restorable)
    }

    @Test("a changed key serializer: Flink's 'must be compatible with the previous key serializer'", arguments: ["1.15", "2.3"])
    func keySerializer(version: String) throws {
        let source = try Self.savepoint(version, "hashmap")
        let p = try Self.predict(source, Self.fixtureJob(keyed: Self.keyedOperator(key: "StringSerializer")))
        let problem = try #require(p.problems.first { $0.code == "keySerializerChanged" })
        #expect(problem.state == "count")
        #expect(problem.flinkMessage == "The new key serializer (StringSerializer) must be compatible with the previous key serializer (LongSerializer).")
        #expect(problem.fix?.contains("keep the key type") == true, "\(problem.fix ?? "")")
    }

    @Test("an incompatible value serializer: Flink's 'must not be incompatible with the old state serializer'", arguments: ["1.20", "2.3"])
    func valueSerializer(version: String) throws {
        let source = try #require(try Self.checkpoints(version, "rocksdb-incremental").last)
        let p = try Self.predict(source, Self.fixtureJob(keyed: Self.keyedOperator(lastSeen: "valueSerializer: LongSerializer")))
        let problem = try #require(p.problems.first { $0.code == "valueSerializerIncompatible" })
        #expect(problem.state == "last-seen")
        #expect(problem.flinkMessage == "The new state serializer (LongSerializer) must not be incompatible with the old state serializer (StringSerializer).")
        #expect(problem.fix?.contains("--migrate PLAN.yaml") == true)
        #expect(p.states.first { $0.state == "last-seen" }?.verdict == "INCOMPATIBLE")
    }

    @Test("turning TTL off: incompatible in Flink 1.x, migrated by 2.x")
    func ttl() throws {
        let old = try Self.predict(try Self.savepoint("1.20", "hashmap"), Self.fixtureJob(keyed: Self.keyedOperator(count: "valueSerializer: LongSerializer")))
        #expect(old.problems.first { $0.state == "count" }?.code == "valueSerializerIncompatible")
        let new = try Self.predict(try Self.savepoint("2.3", "hashmap"), Self.fixtureJob(keyed: Self.keyedOperator(count: "valueSerializer: LongSerializer")))
        #expect(new.restorable)
        #expect(new.problems.first { $0.state == "count" }?.code == "ttlChanged")
    }

    @Test("a state registered with another kind: Flink's 'Incompatible key/value state types' and 'assignment modes'")
    func stateKind() throws {
        let source = try Self.savepoint("2.3", "hashmap")
        let p = try Self.predict(source, Self.fixtureJob(keyed: Self.keyedOperator(recentKind: "value"), sink: Self.sinkOperator(kind: "operator-list")))
        let keyed = try #require(p.problems.first { $0.code == "stateKindChanged" && $0.state == "recent" })
        #expect(keyed.flinkMessage == "Incompatible key/value state types. Was [LIST], registered with [VALUE].")
        let op = try #require(p.problems.first { $0.code == "stateKindChanged" && $0.state == "sink-summary" })
        #expect(op.flinkMessage == "Incompatible state assignment modes. Was [UNION], registered with [SPLIT_DISTRIBUTE].")
        #expect(p.errors.count == 2)
    }

    @Test("every problem is reported at once, not only the first one Flink would hit")
    func allAtOnce() throws {
        let source = try Self.savepoint("2.3", "rocksdb-incremental")
        let p = try Self.predict(source, Self.fixtureJob(keyed: Self.keyedOperator(maxParallelism: 512, lastSeen: "valueSerializer: IntSerializer", key: "IntSerializer"), sink: nil))
        #expect(Set(p.errors.map(\.code)) == ["operatorNotMapped", "maxParallelismMismatch", "keySerializerChanged", "valueSerializerIncompatible"])
    }

    // MARK: Job spec files

    @Test("unknown keys anywhere are errors naming the key path and the likely key")
    func unknownKeys() throws {
        let yaml = Self.fixtureJob().replacingOccurrences(of: "{name: sink-summary, kind: operator-union, valueSerializer", with: "{name: sink-summary, kind: operator-union, valueSerialiser")
        #expect { try JobSpecLoader.parse(yaml, file: "job.yaml") } throws: { e in
            "\(e)".contains("operators[6].states[0].valueSerialiser: unknown key; did you mean valueSerializer?")
        }
        #expect { try JobSpecLoader.parse("allowNonRestored: true\noperators: []", file: "j.yaml") } throws: { e in
            "\(e)".contains("j.yaml:1: allowNonRestored: unknown key; did you mean allowNonRestoredState?")
        }
        #expect { try JobSpecLoader.parse("operators:\n  - uid: a\n    paralelism: 2\n", file: "j.yaml") } throws: { e in
            "\(e)" == "j.yaml:3: operators[0].paralelism: unknown key; did you mean parallelism?"
        }
    }

    @Test("wrong types and bad values are errors with their path")
    func wrongTypes() {
        let cases: [(String, String)] = [
            ("operators:\n  - uid: a\n    parallelism: two\n", "operators[0].parallelism: expected a whole number, found \"two\""),
            ("operators:\n  - uid: a\n    parallelism: 0\n", "operators[0].parallelism: 0 is out of range"),
            ("allowNonRestoredState: yes please\noperators: []\n", "allowNonRestoredState: expected true or false"),
            ("operators: {uid: a}\n", "operators: expected a list"),
            ("operators:\n  - uid: a\n    states:\n      - {name: s, kind: valu}\n", "operators[0].states[0].kind: unknown kind \"valu\"; did you mean value?"),
            ("operators:\n  - name: a\n", "operators[0]: an operator needs uid: or id:"),
            ("operators:\n  - id: 12345\n", "operators[0].id: \"12345\" is not an operator id"),
            ("operators:\n  - uid: a\n    states:\n      - {name: s, schema: int65}\n", "operators[0].states[0].schema: unknown type \"int65\"; did you mean int64?"),
            ("operators:\n  - uid: a\n    states:\n      - name: s\n        schema: {record: R, fields: [{name: x, type: int32, default: hello}]}\n",
             "operators[0].states[0].schema.fields[0].default: expected a whole number"),
        ]
        for (yaml, expected) in cases {
            #expect { try JobSpecLoader.parse(yaml, file: "j.yaml") } throws: { e in "\(e)".contains(expected) }
        }
    }

    @Test("uid and id: the id is computed from the uid; both must agree")
    func uidAndID() throws {
        let window = "dda1cffb3ab3ac3fba0a1df4920cd71b"
        let spec = try JobSpecLoader.parse("operators:\n  - uid: keyed-state\n  - id: \(window)\n  - uid: union-sink\n    id: \(Self.sinkID.uppercased())\n")
        #expect(spec.operators[0].flinkID?.hex == Self.keyedID)
        #expect(spec.operators[1].flinkID?.hex == window)
        #expect(spec.operators[2].flinkID?.hex == Self.sinkID, "a uid and its own id agree, in either case")
        #expect { try JobSpecLoader.parse("operators:\n  - uid: union-sink\n    id: \(Self.keyedID)\n", file: "j.yaml") } throws: { e in
            "\(e)".contains("operators[0].id: \(Self.keyedID) is not the id of uid 'union-sink': Flink gives that uid the id \(Self.sinkID)")
        }
    }

    @Test("JSON is accepted (JSON is YAML)")
    func json() throws {
        let spec = try JobSpecLoader.parse(#"{"allowNonRestoredState": true, "operators": [{"uid": "a", "parallelism": 4, "states": [{"name": "s", "kind": "map"}]}]}"#)
        #expect(spec.allowNonRestoredState && spec.operators[0].parallelism == 4 && spec.operators[0].states?[0].kind == .map)
    }

    @Test("schemas in YAML: textual types, records with defaults and aliases, read back from their rendering")
    func schemaYAML() throws {
        let s = try SchemaYAML.parse("""
            record: UserTotals
            fields:
              - {name: count, type: int64}
              - {name: total, type: float64, aliases: [sum]}
              - {name: tags, type: "map<string,list<int32>>", default: {a: [1, 2]}}
              - {name: note, type: optional<string>, default: null}
              - name: home
                type: {record: Address, fields: [{name: zip, type: string, default: "00000"}]}
            """)
        guard case .record(let name, let fields) = s else { Issue.record("not a record"); return }
        #expect(name == "UserTotals" && fields.count == 5)
        #expect(fields[1].aliases == ["sum"])
        #expect(fields[2].type == .map(key: .string, value: .list(.int32)))
        #expect(fields[3].defaultValue == .optional(nil))
        #expect(try SchemaYAML.parse(SchemaYAML.render(s)) == s)
    }

    // MARK: Typed native state

    static let nativeSource = repo.appendingPathComponent("Fixtures/cairn/tiny-seed1-chk1.cairn").path

    static func nativeJob(totals: String) -> String {
        """
        operators:
          - uid: user-totals
            states:
              - name: totals
                kind: value
                keySerializer: LongSerializer
                schema: \(totals)
          - uid: orders-source
          - uid: window-counts
          - uid: rules-enricher
        """
    }

    @Test("typed state: the same schema is FULL")
    func typedFull() throws {
        let same = "{record: UserTotals, fields: [{name: count, type: int64}, {name: sum, type: float64}, {name: lastSeen, type: int64}, {name: currency, type: string, default: EUR}]}"
        let p = try Self.predict(Self.nativeSource, Self.nativeJob(totals: same))
        #expect(p.problems.isEmpty, "\(p.problems.map(\.message))")
        #expect(p.states.first { $0.state == "totals" }?.verdict == "FULL")
        // A field added with a default stays FULL.
        let added = same.replacingOccurrences(of: "]}", with: ", {name: region, type: string, default: eu}]}")
        #expect(try Self.predict(Self.nativeSource, Self.nativeJob(totals: added)).states.first { $0.state == "totals" }?.verdict == "FULL")
    }

    @Test("typed state: removing a field is BACKWARD (restores, warns that rollback breaks)")
    func typedBackward() throws {
        let removed = "{record: UserTotals, fields: [{name: count, type: int64}, {name: sum, type: float64}, {name: currency, type: string, default: EUR}]}"
        let p = try Self.predict(Self.nativeSource, Self.nativeJob(totals: removed))
        #expect(p.restorable)
        #expect(p.states.first { $0.state == "totals" }?.verdict == "BACKWARD")
        let w = try #require(p.problems.first)
        #expect(w.severity == .warning && w.code == "notForwardCompatible" && w.message.contains("UserTotals.lastSeen"))
    }

    @Test("typed state: a field added without default or narrowed is FORWARD only, an error naming the field")
    func typedForward() throws {
        let narrowed = "{record: UserTotals, fields: [{name: count, type: int32}, {name: sum, type: float64}, {name: lastSeen, type: int64}, {name: currency, type: string, default: EUR}, {name: region, type: string}]}"
        let p = try Self.predict(Self.nativeSource, Self.nativeJob(totals: narrowed))
        #expect(!p.restorable)
        #expect(p.states.first { $0.state == "totals" }?.verdict == "INCOMPATIBLE")
        let e = try #require(p.problems.first { $0.code == "valueSerializerIncompatible" })
        #expect(e.message.contains("(FORWARD)"))
        #expect(e.message.contains("UserTotals.count: int64 → int32 narrows"))
        #expect(e.message.contains("UserTotals.region: not in the written data and has no default"))
        #expect(e.fix?.contains("--migrate PLAN.yaml") == true)
    }

    @Test("native snapshots map operators by uid; a missing one fails like Flink's without quoting Flink")
    func nativeNotMapped() throws {
        let p = try Self.predict(Self.nativeSource, "operators:\n  - uid: user-totals\n  - uid: orders-source\n  - uid: window-counts\n")
        let e = try #require(p.problems.first)
        #expect(e.code == "operatorNotMapped" && e.operatorUID == "rules-enricher" && e.flinkMessage == nil)
    }

    // MARK: --previous

    @Test("consecutive checkpoints are in order; reversed, the id and every split going backward are flagged")
    func previousNative() throws {
        func summary(_ n: Int) throws -> SnapshotSummary {
            try SnapshotOpener.open(Self.repo.appendingPathComponent("Fixtures/cairn/tiny-seed1-chk\(n).cairn").path).summary()
        }
        let ok = SnapshotSuccession.check(previous: try summary(1), previousSource: "chk1", current: try summary(2))
        #expect(ok.problems.isEmpty)
        #expect(ok.splitsCompared == 3)
        let reversed = SnapshotSuccession.check(previous: try summary(3), previousSource: "chk3", current: try summary(1))
        #expect(reversed.problems.first?.code == "checkpointIdNotIncreasing")
        let splits = reversed.problems.filter { $0.code == "splitWentBackward" }
        #expect(splits.count == 3)
        #expect(splits.allSatisfy { $0.message.contains("offset") && $0.message.contains("previous snapshot had it at") })
        #expect(splits.allSatisfy { $0.fix?.contains("--set-offset orders-source:") == true })
    }

    @Test("real Flink checkpoints: number-sequence splits advance between consecutive checkpoints and are flagged reversed")
    func previousFlink() throws {
        let chks = try Self.checkpoints("2.3", "hashmap")
        #expect(chks.count >= 2)
        let a = try SnapshotOpener.open(chks[0]).summary(), b = try SnapshotOpener.open(chks[1]).summary()
        let ok = SnapshotSuccession.check(previous: a, previousSource: chks[0], current: b)
        #expect(ok.problems.isEmpty, "\(ok.problems.map(\.message))")
        #expect(ok.splitsCompared >= 1)
        let reversed = SnapshotSuccession.check(previous: b, previousSource: chks[1], current: a)
        #expect(reversed.problems.contains { $0.code == "checkpointIdNotIncreasing" })
        let backward = reversed.problems.filter { $0.code == "splitWentBackward" }
        #expect(!backward.isEmpty)
        #expect(backward.allSatisfy { $0.message.contains("next number") && $0.operatorUID == "number-source" })
    }
}
