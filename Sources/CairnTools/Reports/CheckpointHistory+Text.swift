import CairnCore
import CairnModel
import Foundation

extension CheckpointHistory {
    /// The terminal view: one row per checkpoint with totals, then full size per operator for the `top` largest
    /// operators at the latest checkpoint (the rest summed as "others", so many operators stay readable), then per
    /// state where measured, then the flags with their evidence.
    public func text(style: TextStyle, top: Int = 5) -> String {
        guard let first = points.first, let last = points.last else { return "No checkpoints.\n" }
        var out = style.bold("History of \(points.count) checkpoint\(points.count == 1 ? "" : "s")")
        if let a = first.time, let b = last.time {
            out += ", " + Timestamp.iso8601(millis: a) + " → " + Timestamp.iso8601(millis: b)
            if b > a { out += " (" + Self.span(b - a) + ")" }
        }
        if !last.summary.metadata.jobId.isEmpty { out += ", job " + last.summary.metadata.jobId }
        out += "\n\n"

        var totals = TextTable(columns: [.left("checkpoint"), .left("time"), .right("full size"), .right("checkpointed"), .right("in-flight"),
                                         .right("max skew"), .right("records advanced")])
        for (i, p) in points.enumerated() {
            let s = p.summary
            let skew = p.skews.values.max()
            totals.add([p.id + (s.metadata.kind == .savepoint ? " (savepoint)" : ""), p.time.map { Timestamp.iso8601(millis: $0) } ?? "–",
                        ByteCount.format(s.stateSize), ByteCount.format(s.checkpointedSize), ByteCount.format(s.inFlightSize),
                        skew.map { String(format: "%.2f×", $0) } ?? "–", recordsAdvanced(at: i).map(String.init) ?? "–"])
        }
        out += totals.render(style)

        let ranked = operatorsByLatestSize
        let shown = Array(ranked.prefix(top)), others = ranked.count - shown.count
        out += "\n" + style.bold("Full size per operator") + style.dim(others > 0 ? " (largest \(shown.count) at the latest checkpoint, \(others) other\(others == 1 ? "" : "s") summed)" : "") + "\n"
        var perOperator = TextTable(columns: [.left("checkpoint")] + shown.map { .right(Self.short($0.displayName)) } + (others > 0 ? [.right("others")] : []))
        for p in points {
            var row = [p.id]
            for info in shown { row.append(p.operatorSummary(info.id).map { ByteCount.format($0.stateSize) } ?? "–") }
            if others > 0 {
                let shownIDs = Set(shown.map(\.id))
                row.append(ByteCount.format(p.summary.operators.filter { !shownIDs.contains($0.info.id) }.reduce(0) { $0 + $1.stateSize }))
            }
            perOperator.add(row)
        }
        out += perOperator.render(style)

        let states = stateSeries().filter { s in s.values.contains { ($0 ?? 0) > 0 } }
            .sorted { ($0.values.last ?? nil) ?? 0 > ($1.values.last ?? nil) ?? 0 }
        if !states.isEmpty {
            let shownStates = states.prefix(top)
            out += "\n" + style.bold("Size per state") + style.dim(states.count > top ? " (largest \(top) of \(states.count))" : "") + "\n"
            var perState = TextTable(columns: [.left("checkpoint")] + shownStates.map { .right(Self.short(Self.short($0.operatorName, 12) + "/" + ($0.state ?? ""), 28)) })
            for (i, p) in points.enumerated() {
                perState.add([p.id] + shownStates.map { s in s.values[i].map { ByteCount.format(Int64($0)) } ?? "–" })
            }
            out += perState.render(style)
        } else if !deep && points.contains(where: { !$0.statesMeasured }) {
            out += style.dim("\nPer-state sizes of Flink keyed state need a scan of the state files: add --deep.") + "\n"
        }

        out += "\n"
        if flags.isEmpty {
            out += style.green("No flags") + style.dim(": no growth, jumps, worsening skew, in-flight spikes or stalled splits at these thresholds.") + "\n"
        } else {
            out += style.bold("Flags (\(flags.count))") + "\n"
            for f in flags {
                out += "  " + style.yellow(f.kind.rawValue.padding(toLength: 16, withPad: " ", startingAt: 0)) + f.subject + ": " + f.message
                    + style.dim(" [checkpoints \(f.from) → \(f.to)]") + "\n"
            }
        }
        return out
    }

    /// A column title of at most 24 characters.
    static func short(_ name: String, _ limit: Int = 24) -> String { name.count > limit ? String(name.prefix(limit - 1)) + "…" : name }

    /// `3 d 4 h`, `2 h 5 min`, `40 s`.
    static func span(_ millis: Int64) -> String {
        let s = millis / 1000
        if s >= 86_400 { return "\(s / 86_400) d \(s % 86_400 / 3600) h" }
        if s >= 3600 { return "\(s / 3600) h \(s % 3600 / 60) min" }
        if s >= 60 { return "\(s / 60) min \(s % 60) s" }
        return "\(s) s"
    }
}
