import CairnCore
import CairnFormat
import CairnModel
import CairnTools
import Testing

func generate(_ preset: GeneratorPreset = .tiny, seed: UInt64 = 1, checkpoint: Int = 1, changeRate: Double = 0.03,
              mode: CheckpointMode = .unaligned) throws -> [UInt8] {
    let sink = MemorySink()
    try SyntheticJob(preset: preset, seed: seed, changeRate: changeRate, mode: mode).write(checkpoint: checkpoint, to: sink)
    return sink.bytes
}

func view(_ bytes: [UInt8]) throws -> NativeSnapshot {
    NativeSnapshot(reader: try SnapshotReader(source: MemorySource(bytes, name: "generated.cairn")))
}

@Suite("generate")
struct GeneratorTests {
    @Test("same seed gives the same bytes, another seed other bytes")
    func deterministic() throws {
        #expect(try generate(seed: 5) == (try generate(seed: 5)))
        #expect(try generate(seed: 5) != (try generate(seed: 6)))
        #expect(try generate(.small, seed: 2, checkpoint: 3) == (try generate(.small, seed: 2, checkpoint: 3)))
    }

    @Test("generated checkpoints are valid down to every entry")
    func valid() throws {
        for preset in [GeneratorPreset.tiny, .small] {
            for mode in [CheckpointMode.aligned, .unaligned] {
                let v = try view(try generate(preset, mode: mode))
                let report = SnapshotValidator.validate(source: "generated.cairn", view: v, deep: true)
                #expect(report.problems.isEmpty, "\(preset.name) \(mode): \(report.problems)")
                let s = try v.summary()
                #expect(s.metadata.mode == mode)
                #expect((s.inFlightSize > 0) == (mode == .unaligned))
            }
        }
    }

    @Test("the job has the promised shape: Kafka splits, skewed TTL'd keyed state, timers, union and broadcast state")
    func shape() throws {
        let s = try view(try generate(.small)).summary()
        let byUID = Dictionary(uniqueKeysWithValues: s.operators.map { ($0.info.uid, $0) })
        let source = try #require(byUID["orders-source"])
        let splits = source.subtasks.flatMap(\.splits)
        #expect(splits.count == GeneratorPreset.small.kafkaPartitions)
        #expect(splits.allSatisfy { if case .kafka = $0.position { true } else { false } })
        #expect(source.coordinatorSize > 0)
        let agg = try #require(byUID["user-totals"])
        let totals = try #require(agg.states.first { $0.descriptor.name == "totals" })
        #expect(totals.descriptor.ttl != nil)
        #expect(totals.entryCount == Int64(GeneratorPreset.small.keys))
        #expect(totals.valueSerializer?.schema == SyntheticJob.totalsSchema)
        // Zipf: the largest key group of the event lists is far above the mean.
        let events = try #require(agg.states.first { $0.descriptor.name == "recent-events" })
        let sizes = events.keyGroups.map(\.size)
        let mean = Double(sizes.reduce(0, +)) / Double(sizes.count)
        #expect(Double(sizes.max()!) > 1.5 * mean)
        let window = try #require(byUID["window-counts"])
        #expect(window.states.contains { $0.descriptor.kind == .timers && ($0.entryCount ?? 0) > 0 })
        let enricher = try #require(byUID["rules-enricher"])
        #expect(Set(enricher.states.map(\.descriptor.kind)) == [.operatorUnion, .broadcast])
    }

    @Test("consecutive checkpoints advance offsets and change about the change rate of keys")
    func series() throws {
        let job = SyntheticJob(preset: .small, seed: 3, changeRate: 0.05)
        var previous: [String: Int64] = [:]
        var previousValues: [[UInt8]: [UInt8]] = [:]
        for c in 1...3 {
            let sink = MemorySink()
            try job.write(checkpoint: c, to: sink)
            let v = try view(sink.bytes)
            let s = try v.summary()
            #expect(s.metadata.snapshotId == "\(c)")
            var offsets: [String: Int64] = [:]
            for op in s.operators { for st in op.subtasks { for sp in st.splits { if case .kafka(_, _, let o) = sp.position { offsets[sp.splitId] = o } } } }
            for (id, o) in offsets { if let p = previous[id] { #expect(o > p, "offset of \(id) did not advance") } }
            previous = offsets
            // Collect the totals of every key.
            var values: [[UInt8]: [UInt8]] = [:]
            let idx = v.reader.index
            for (oi, op) in idx.operators.enumerated() where op.info.uid == "user-totals" {
                for st in op.subtasks {
                    for u in st.keyed where op.states[u.stateIndex].name == "totals" {
                        for seg in u.segments {
                            try v.reader.forEachEntry(of: seg, at: v.reader.location(operator: oi)) { values[Array($0.keyBytes)] = Array($0.valueBytes) }
                        }
                    }
                }
            }
            if !previousValues.isEmpty {
                let common = Set(values.keys).intersection(previousValues.keys)
                let changed = common.filter { values[$0] != previousValues[$0] }.count
                let rate = Double(changed) / Double(common.count)
                #expect(rate > 0.02 && rate < 0.09, "change rate \(rate)")
                let expired = previousValues.count - common.count
                #expect(expired > 0, "some keys expire")
                #expect(values.count == previousValues.count, "as many keys appear as expire")
            }
            previousValues = values
        }
    }
}

@Suite("inspect")
struct InspectTests {
    @Test("sizes add up and the JSON has the documented shape")
    func jsonShape() throws {
        let bytes = try generate(.small)
        let report = try InspectReport.build(source: "x.cairn", view: try view(bytes), grouping: .keyGroup, top: 3)
        let doc = report.json
        for key in ["version", "source", "format", "snapshot", "totals", "operators", "states", "keyGroups", "offsets", "topKeys", "bytesRead"] {
            #expect(doc[key] != nil, "missing \(key)")
        }
        guard case .array(let ops) = doc["operators"]! else { Issue.record("operators"); return }
        var total: Int64 = 0
        for op in ops {
            for key in ["id", "uid", "name", "parallelism", "maxParallelism", "stateSize", "checkpointedSize", "subtasks"] {
                #expect(op[key] != nil, "operator lacks \(key)")
            }
            guard case .int(let size) = op["stateSize"]!, case .array(let subtasks) = op["subtasks"]!, case .int(let coord) = op["coordinatorSize"]! else { continue }
            var sum = coord
            for st in subtasks {
                for key in ["index", "stateSize", "keyedSize", "operatorSize", "inFlightSize"] { #expect(st[key] != nil) }
                if case .int(let s) = st["stateSize"]!, case .int(let k) = st["keyedSize"]!, case .int(let o) = st["operatorSize"]!, case .int(let f) = st["inFlightSize"]! {
                    #expect(s == k + o + f)
                    sum += s
                }
            }
            #expect(sum == size)
            total += size
        }
        // State plus the container's fixed parts is the file.
        let reader = try SnapshotReader(source: MemorySource(bytes))
        #expect(total + Int64(16 + 32) + Int64(reader.indexLength) == Int64(bytes.count))
        guard case .array(let top) = doc["topKeys"]! else { Issue.record("topKeys"); return }
        #expect(top.count == 3)
    }

    @Test("deep statistics agree with the index: entry counts and raw bytes")
    func deepStatistics() throws {
        let v = try view(try generate(.small))
        let report = try InspectReport.build(source: "x", view: v, grouping: .state, deep: true)
        let idx = v.reader.index
        for op in report.summary.operators {
            let opIndex = idx.operators.first { $0.info.id == op.info.id }!
            for st in op.states {
                let stats = try #require(st.statistics, "\(st.descriptor.name) lacks statistics")
                #expect(stats.entries == st.entryCount)
                let si = opIndex.states.firstIndex { $0.name == st.descriptor.name }!
                var raw: Int64 = 0
                for sub in opIndex.subtasks {
                    for u in sub.keyed where u.stateIndex == si { for seg in u.segments { for b in seg.blocks.range { raw += Int64(idx.blocks[b].rawLength) } } }
                    for u in sub.operatorState where u.stateIndex == si { for b in u.blocks.range { raw += Int64(idx.blocks[b].rawLength) } }
                }
                #expect(stats.rawSize == raw, "\(st.descriptor.name)")
                if st.descriptor.name == "totals" {
                    #expect(stats.entriesWithTTL == stats.entries)
                    #expect(stats.distinctKeys == stats.entries)
                    #expect(stats.keyBytes == 8 * stats.entries)
                }
            }
        }
        let json = report.json.rendered()
        #expect(json.contains("\"statistics\""))
    }

    @Test("largest keys come out in descending order and match a full scan")
    func topKeys() throws {
        let v = try view(try generate(.small))
        let top = try v.largestKeys(limit: 5)
        #expect(top.count == 5)
        #expect(zip(top, top.dropFirst()).allSatisfy { $0.size >= $1.size })
        let all = try v.largestKeys(limit: 1_000_000)
        #expect(Array(all.prefix(5)) == top)
    }

    @Test("text view names every operator and the offsets")
    func text() throws {
        let report = try InspectReport.build(source: "x.cairn", view: try view(try generate()), grouping: .operator)
        let text = report.text(style: .plain)
        for name in ["Aggregate: per-user totals", "Window: 1 min tumbling counts", "Enrich: rules", "Source: orders (Kafka)", "kafka orders-0"] {
            #expect(text.contains(name))
        }
        #expect(!text.contains("\u{1B}["), "no color escapes in plain style")
        for g in InspectGrouping.allCases {
            #expect(!(try InspectReport.build(source: "x", view: try view(try generate()), grouping: g).text(style: .plain)).isEmpty)
        }
    }
}

@Suite("validate")
struct ValidateTests {
    func summary(ranges: [KeyGroupRange?], parallelism: Int, maxParallelism: Int) -> SnapshotSummary {
        let info = OperatorInfo(id: OperatorID(derivedFrom: "k"), uid: "k", name: "keyed", parallelism: parallelism, maxParallelism: maxParallelism)
        let subtasks = ranges.enumerated().map { i, r in
            SubtaskSummary(index: i, keyedSize: 1, operatorSize: 0, inputChannelSize: 0, outputSubpartitionSize: 0, keyGroups: r, splits: [])
        }
        return SnapshotSummary(metadata: SnapshotMetadata(snapshotId: "1", engineName: "test"), format: "test",
                               operators: [OperatorSummary(info: info, coordinatorSize: 0, subtasks: subtasks, states: [])])
    }

    @Test("key-group gaps, overlaps and wrong assignments are named by subtask")
    func keyGroupCoverage() {
        let ok = summary(ranges: [KeyGroupRange(first: 0, last: 63), KeyGroupRange(first: 64, last: 127)], parallelism: 2, maxParallelism: 128)
        #expect(SnapshotValidator.neutralProblems(ok, file: "f").isEmpty)
        let gap = summary(ranges: [KeyGroupRange(first: 0, last: 60), KeyGroupRange(first: 64, last: 127)], parallelism: 2, maxParallelism: 128)
        let gapProblems = SnapshotValidator.neutralProblems(gap, file: "f")
        #expect(gapProblems.contains { $0.code == "keyGroupCoverage" && $0.message.contains("61-63") })
        #expect(gapProblems.contains { $0.code == "keyGroupAssignment" && $0.location.subtask == 0 })
        let overlap = summary(ranges: [KeyGroupRange(first: 0, last: 70), KeyGroupRange(first: 64, last: 127)], parallelism: 2, maxParallelism: 128)
        #expect(SnapshotValidator.neutralProblems(overlap, file: "f").contains { $0.code == "keyGroupCoverage" && $0.message.contains("key group 64") })
    }

    @Test("a missing subtask is reported")
    func missingSubtask() throws {
        let sink = MemorySink()
        let w = try SnapshotWriter(sink: sink, metadata: SnapshotMetadata(snapshotId: "1", engineName: "test"))
        try w.beginOperator(OperatorInfo(id: OperatorID(derivedFrom: "o"), uid: "o", name: "o", parallelism: 3, maxParallelism: 8), states: [])
        try w.beginSubtask(0); try w.endSubtask()
        try w.beginSubtask(2); try w.endSubtask()
        try w.endOperator()
        try w.finish()
        let report = SnapshotValidator.validate(source: "s", view: try view(sink.bytes), deep: false)
        #expect(!report.isValid)
        #expect(report.problems.contains { $0.code == "subtaskCount" && $0.message.contains("missing 1") })
    }

    @Test("deep validation finds every damaged block of a generated checkpoint")
    func deepFindsDamage() throws {
        var bytes = try generate(.small)
        let reader = try SnapshotReader(source: MemorySource(bytes))
        let targets = [0, reader.index.blocks.count / 2, reader.index.blocks.count - 1]
        for b in targets { bytes[Int(reader.index.blocks[b].offset) + 20] ^= 0xFF }
        let report = SnapshotValidator.validate(source: "s", view: try view(bytes), deep: true)
        let damaged = Set(report.problems.compactMap(\.location.block))
        #expect(damaged == Set(targets))
        #expect(report.problems.allSatisfy { $0.code == "checksumMismatch" || $0.code == "decompressionFailed" })
        // Structure alone does not read the data, so it does not see the damage.
        #expect(SnapshotValidator.validate(source: "s", view: try view(bytes), deep: false).isValid)
    }
}
