import CairnCore
import CairnFormat
import CairnModel

extension InspectReport {
    /// The human view: a summary, the table chosen by `grouping`, offsets and the largest keys.
    public func text(style: TextStyle) -> String {
        let s = summary
        let m = s.metadata
        var out = ""
        out += style.bold("\((m.kind == .checkpoint ? "Checkpoint" : "Savepoint")) \(m.snapshotId)")
        let job = m.jobName.isEmpty ? m.jobId : m.jobName
        if !job.isEmpty { out += " of \(job)" }
        var facts = ["\(m.engineName) \(m.engineVersion)", s.format, m.mode.name]
        if let f = m.properties["flink.savepointFormat"] { facts.append(f.lowercased()) }
        if m.createdAt != 0 { facts.append(Timestamp.iso8601(millis: m.createdAt)) }
        out += "  (" + facts.joined(separator: ", ") + ")\n"
        out += "State \(style.bold(ByteCount.format(s.stateSize)))"
        out += ": keyed \(ByteCount.format(s.keyedSize)), operator \(ByteCount.format(s.operatorStateSize)), in-flight \(ByteCount.format(s.inFlightSize))"
        let coordinator = s.operators.reduce(Int64(0)) { $0 + $1.coordinatorSize }
        if coordinator > 0 { out += ", coordinators \(ByteCount.format(coordinator))" }
        if s.checkpointedSize != s.stateSize { out += "; new in this checkpoint \(ByteCount.format(s.checkpointedSize))" }
        out += "\n"
        if let st = s.storage {
            out += "Files: \(st.files) referenced, \(ByteCount.format(st.fileBytes))"
            if let shared = st.sharedWithOtherCheckpoints {
                out += " (\(ByteCount.format(shared)) shared with \(st.otherCheckpoints.count) other checkpoint\(st.otherCheckpoints.count == 1 ? "" : "s"), \(ByteCount.format(st.fileBytes - shared)) exclusive)"
            }
            out += "; _metadata \(ByteCount.format(st.metadataSize)) holding \(ByteCount.format(st.inlineSize)) of inline state\n"
            if st.relocatedPaths > 0 { out += style.yellow("\(st.relocatedPaths) absolute paths no longer existed and were found by their job-relative suffix (the checkpoint was moved)") + "\n" }
            if st.missingFiles > 0 { out += style.red("\(st.missingFiles) referenced files are missing; run `cairn validate` for the list") + "\n" }
            if st.remoteFiles > 0 { out += "\(st.remoteFiles) files are on remote file systems and were not opened\n" }
            if !st.filesChecked { out += "Files were not looked for (object storage: only _metadata was read); `cairn validate` checks them\n" }
        }
        out += "\n"
        let ranking = OperatorRanking(s.operators, top: topOperators)
        switch grouping {
        case .operator: out += operatorTable(ranking, style)
        case .subtask: out += ranking.aggregated ? subtaskDistributionTable(ranking, style) : subtaskTable(style)
        case .state: out += stateTable(ranking, style)
        case .keyGroup: out += keyGroupTable(ranking, style)
        }
        if let note = ranking.aggregationNote(subtasks: grouping == .subtask ? "as MIN/P50/P90/P99/MAX" : nil) {
            out += style.dim(note.prefix(1).uppercased() + note.dropFirst() + " (--top-operators N; --json lists every operator and subtask).") + "\n"
        }
        let offsets = offsetRows
        if !offsets.isEmpty {
            var t = TextTable(columns: [.left("SOURCE"), .right("SUBTASK"), .left("SPLIT"), .left("POSITION")])
            let limit = ranking.aggregated ? Self.aggregatedOffsetRows : offsets.count
            for r in offsets.prefix(limit) {
                let position: String
                switch r.split.position {
                case .kafka(let topic, let p, let o): position = "kafka \(topic)-\(p) next offset \(o)"
                case .kinesis(let stream, let shard, let seq): position = "kinesis \(stream)/\(shard) at \(seq)"
                case .numberSequence(let next, let last): position = "number sequence next \(next) of \(last)"
                case .generic(let ser, let v, let pos): position = "\(ser) v\(v), \(pos.count) bytes"
                }
                t.add([r.op.info.displayName, "\(r.subtask)", r.split.splitId, position])
            }
            out += "\n" + t.render(style)
            if offsets.count > limit {
                out += style.dim("Showing the first \(limit) of \(OperatorRanking.grouped(offsets.count)) source splits; --json lists all.") + "\n"
            }
        }
        if let topKeys, !topKeys.isEmpty {
            var t = TextTable(columns: [.right("#"), .left("OPERATOR"), .left("STATE"), .right("KEY GROUP"), .left("KEY"), .right("ENTRIES"), .right("SIZE")])
            let names = Dictionary(s.operators.map { ($0.info.id, $0.info.displayName) }, uniquingKeysWith: { a, _ in a })
            for (i, k) in topKeys.enumerated() {
                t.add(["\(i + 1)", names[k.operatorID] ?? k.operatorID.hex, k.state, "\(k.keyGroup)", KeyRendering.render(k.key),
                       "\(k.entries)", ByteCount.format(k.size)])
            }
            out += "\nLargest keys\n" + t.render(style)
        }
        return out
    }

    private func skewText(_ skew: Double?, _ style: TextStyle) -> String {
        guard let skew else { return "-" }
        let text = ByteCount.fixed(skew, 2) + "x"
        return skew >= 2 ? style.red(text) : skew >= 1.3 ? style.yellow(text) : text
    }

    /// Source-split rows an aggregated report prints.
    static let aggregatedOffsetRows = 100

    private func operatorTable(_ ranking: OperatorRanking, _ style: TextStyle) -> String {
        var t = TextTable(columns: [.left("OPERATOR"), .left("UID"), .right("PAR"), .right("STATE"), .right("KEYED"),
                                    .right("OP STATE"), .right("IN-FLIGHT"), .right("SKEW")])
        for r in ranking.shown {
            let op = r.summary
            let label = (op.info.name.isEmpty ? op.info.id.hex : op.info.name) + (op.fullyFinished ? " (finished)" : "")
            t.add([label, op.info.uid, "\(op.info.parallelism)/\(op.info.maxParallelism)",
                   ByteCount.format(r.stateSize), ByteCount.format(r.keyedSize), ByteCount.format(r.operatorSize),
                   ByteCount.format(r.inFlightSize), skewText(op.skew, style)])
        }
        let o = ranking.others
        if o.count > 0 {
            t.add(["\(OperatorRanking.grouped(o.count)) others", "", "", ByteCount.format(o.stateSize), ByteCount.format(o.keyedSize),
                   ByteCount.format(o.operatorSize), ByteCount.format(o.inFlightSize), ""])
        }
        return t.render(style) + "SKEW is the largest subtask's state over the mean of its operator.\n"
    }

    /// `--by subtask` past `OperatorRanking`'s limits: one row per operator with its subtasks' percentiles.
    private func subtaskDistributionTable(_ ranking: OperatorRanking, _ style: TextStyle) -> String {
        var t = TextTable(columns: [.left("OPERATOR"), .right("SUBTASKS"), .right("STATE"), .right("MIN"), .right("P50"), .right("P90"),
                                    .right("P99"), .right("MAX"), .right("SKEW")])
        for r in ranking.shown {
            let d = r.distribution
            t.add([r.summary.info.displayName, "\(d.count)", ByteCount.format(r.stateSize), ByteCount.format(d.min), ByteCount.format(d.p50),
                   ByteCount.format(d.p90), ByteCount.format(d.p99), ByteCount.format(d.max), skewText(r.summary.skew, style)])
        }
        let o = ranking.others
        if o.count > 0 {
            let subtasks = ranking.ranked.dropFirst(ranking.shown.count).reduce(0) { $0 + $1.distribution.count }
            t.add(["\(OperatorRanking.grouped(o.count)) others", "\(subtasks)", ByteCount.format(o.stateSize), "", "", "", "", "", ""])
        }
        return t.render(style) + "State per subtask: MIN to MAX over each operator's subtasks (nearest-rank percentiles).\n"
    }

    private func subtaskTable(_ style: TextStyle) -> String {
        var t = TextTable(columns: [.left("OPERATOR"), .right("SUBTASK"), .left("KEY GROUPS"), .right("STATE"), .right("KEYED"),
                                    .right("OP STATE"), .right("IN-FLIGHT"), .right("VS MEAN")])
        for op in summary.operators {
            let mean = Double(op.subtasks.reduce(Int64(0)) { $0 + $1.stateSize }) / Double(max(1, op.info.parallelism))
            for st in op.subtasks {
                let ratio = mean > 0 ? Double(st.stateSize) / mean : nil
                t.add([op.info.displayName, st.finished ? "\(st.index) (finished)" : "\(st.index)", st.keyGroups?.description ?? "-", ByteCount.format(st.stateSize),
                       ByteCount.format(st.keyedSize), ByteCount.format(st.operatorSize), ByteCount.format(st.inFlightSize),
                       skewText(ratio, style)])
            }
        }
        return t.render(style)
    }

    private func stateTable(_ ranking: OperatorRanking, _ style: TextStyle) -> String {
        let deep = summary.operators.contains { $0.states.contains { $0.statistics != nil } }
        var columns: [TextTable.Column] = [.left("OPERATOR"), .left("STATE"), .left("KIND"), .right("ENTRIES"), .right("SIZE")]
        if deep { columns += [.right("RAW"), .right("KEYS"), .right("VALUES"), .right("LARGEST")] }
        columns += [.left("VALUE SERIALIZER"), .left("TTL")]
        var t = TextTable(columns: columns)
        let rows = summary.operators.flatMap { op in op.states.map { (op, $0) } }.sorted { $0.1.size > $1.1.size }
        let shown = ranking.aggregated ? rows.prefix(ranking.shown.count) : rows[...]
        for (op, st) in shown {
            let ser = st.valueSerializer.map { s in s.schema.map { "\(s.name) v\(s.version): \($0)" } ?? "\(s.name) v\(s.version)" } ?? "-"
            var row = [op.info.displayName, st.descriptor.name, st.descriptor.kind.name, st.entryCount.map { "\($0)" } ?? "-",
                       ByteCount.format(st.size)]
            if deep {
                let s = st.statistics
                row += [s.map { ByteCount.format($0.rawSize) } ?? "-", s.map { st.descriptor.kind.isKeyed && $0.distinctKeys > 0 ? "\($0.distinctKeys)" : "-" } ?? "-",
                        s.map { ByteCount.format($0.valueBytes) } ?? "-", s.map { ByteCount.format($0.largestEntry) } ?? "-"]
            }
            let ttl = st.descriptor.ttl.map { DurationText.human(millis: $0.millis) } ?? (st.ttlTimestamps ? "on (duration set in the job)" : "-")
            row += [String(ser.prefix(60)), ttl]
            t.add(row)
        }
        let rest = rows.dropFirst(shown.count)
        if !rest.isEmpty {
            let entries = rest.reduce(Int64(0)) { $0 + ($1.1.entryCount ?? 0) }
            t.add(["\(OperatorRanking.grouped(rest.count)) other states", "", "", rest.contains { $0.1.entryCount != nil } ? "\(entries)" : "-",
                   ByteCount.format(rest.reduce(Int64(0)) { $0 + $1.1.size })])
        }
        return t.render(style)
    }

    private func keyGroupTable(_ ranking: OperatorRanking, _ style: TextStyle) -> String {
        var out = ""
        let operators = ranking.aggregated ? ranking.shown.map(\.summary) : summary.operators
        let rows = keyGroupRows(of: operators)
        let byOperator = Dictionary(grouping: rows, by: { $0.op.info.id })
        for op in operators {
            guard let list = byOperator[op.info.id], !list.isEmpty else { continue }
            let sizes = list.map(\.size)
            let total = sizes.reduce(0, +)
            let mean = Double(total) / Double(op.info.maxParallelism)
            out += style.bold(op.info.displayName) + ": \(list.count) of \(op.info.maxParallelism) key groups hold state; "
            out += "min \(ByteCount.format(sizes.min() ?? 0)), mean \(ByteCount.format(Int64(mean))), max \(ByteCount.format(sizes.max() ?? 0))\n"
            var t = TextTable(columns: [.right("KEY GROUP"), .right("SUBTASK"), .right("ENTRIES"), .right("SIZE"), .right("VS MEAN")])
            let limit = topKeys == nil ? 10 : max(10, topKeys!.count)
            for r in list.sorted(by: { $0.size != $1.size ? $0.size > $1.size : $0.keyGroup < $1.keyGroup }).prefix(limit) {
                t.add(["\(r.keyGroup)", "\(r.subtask)", "\(r.entries)", ByteCount.format(r.size),
                       skewText(mean > 0 ? Double(r.size) / mean : nil, style)])
            }
            out += t.render(style) + "\n"
        }
        return out.isEmpty ? "No keyed state.\n" : out
    }
}

/// Shows key bytes readably: as text when printable, else as an integer when 8 bytes, else hex.
public enum KeyRendering {
    public static func render(_ key: [UInt8]) -> String {
        if !key.isEmpty, key.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return "\"" + String(decoding: key, as: UTF8.self) + "\"" }
        if key.count == 8 {
            let v = key.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            return "\(Int64(bitPattern: v)) (0x\(Hex.encode(key)))"
        }
        return "0x" + Hex.encode(key.prefix(24)) + (key.count > 24 ? "…" : "")
    }
}
