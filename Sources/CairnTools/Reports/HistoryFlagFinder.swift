import CairnCore
import Foundation
import CairnModel

/// Finds the flags of a history (growth, jumps, worsening skew, in-flight spikes, stalled and backward splits) by
/// the rules and thresholds of `HistoryThresholds`. Pure: the same points give the same flags.
struct HistoryFlagFinder {
    let points: [HistoryPoint]
    /// Per point, each split's progress since the point before.
    let progress: [[SplitProgress]]
    let t: HistoryThresholds

    /// One measured quantity over the checkpoints: nil where the checkpoint does not have it.
    struct Series {
        var operatorID: OperatorID
        var operatorName: String
        var state: String?
        var values: [Double?]
    }

    func find(operatorSeries: [Series], stateSeries: [Series], skewSeries: [Series], inFlightSeries: [Series]) -> [HistoryFlag] {
        var flags: [HistoryFlag] = []
        for s in operatorSeries + stateSeries {
            flags += growth(s)
            flags += jumps(s)
        }
        for s in skewSeries { flags += skew(s) }
        for s in inFlightSeries { flags += spikes(s) }
        flags += splits()
        return flags
    }

    /// Maximal runs of consecutive checkpoints with a value, each no smaller than the one before.
    static func nonDecreasingRuns(_ values: [Double?]) -> [ClosedRange<Int>] {
        var runs: [ClosedRange<Int>] = []
        var start: Int?
        for i in values.indices {
            guard let v = values[i] else {
                if let s = start { runs.append(s...(i - 1)) }
                start = nil
                continue
            }
            if let s = start, let prev = values[i - 1], v < prev {
                runs.append(s...(i - 1))
                start = i
            } else if start == nil {
                start = i
            }
        }
        if let s = start { runs.append(s...(values.count - 1)) }
        return runs
    }

    func id(_ i: Int) -> String { points[i].id }

    /// Growth per hour between two checkpoints, when both times are known and apart.
    func rate(_ a: Int, _ b: Int, _ delta: Double) -> Double? {
        guard let ta = points[a].time, let tb = points[b].time, tb > ta else { return nil }
        return delta / (Double(tb - ta) / 3_600_000)
    }

    func flag(_ kind: HistoryFlag.Kind, _ s: Series, _ a: Int, _ b: Int, before: Double?, after: Double?, rate: Double? = nil, split: String? = nil,
              _ message: String) -> HistoryFlag {
        HistoryFlag(kind: kind, operatorID: s.operatorID, operatorName: s.operatorName, state: s.state, split: split, from: id(a), to: id(b),
                    checkpoints: b - a + 1, before: before, after: after, ratePerHour: rate, message: message)
    }

    func growth(_ s: Series) -> [HistoryFlag] {
        var out: [HistoryFlag] = []
        for run in Self.nonDecreasingRuns(s.values) where run.count >= t.growthCheckpoints {
            let first = s.values[run.lowerBound]!, last = s.values[run.upperBound]!
            let grew = zip(run.dropFirst(), run).filter { s.values[$0]! > s.values[$1]! }.count
            let delta = last - first
            guard delta >= Double(t.growthMinBytes), delta >= first * t.growthMinRatio, grew * 2 >= run.count - 1 else { continue }
            let r = rate(run.lowerBound, run.upperBound, delta)
            let perHour = r.map { ", " + ByteCount.format(Int64($0)) + "/h" } ?? ""
            out.append(flag(.growth, s, run.lowerBound, run.upperBound, before: first, after: last, rate: r,
                            "grew over \(run.count) checkpoints without shrinking, \(ByteCount.format(Int64(first))) → \(ByteCount.format(Int64(last)))\(perHour)"))
        }
        return out
    }

    func jumps(_ s: Series) -> [HistoryFlag] {
        var out: [HistoryFlag] = []
        for i in s.values.indices.dropFirst() {
            guard let a = s.values[i - 1], let b = s.values[i], b > a * t.jumpFactor, b - a > Double(t.jumpMinBytes) else { continue }
            let times = a > 0 ? String(format: "%.1f×", b / a) : "from nothing"
            out.append(flag(.jump, s, i - 1, i, before: a, after: b, "jumped \(times): \(ByteCount.format(Int64(a))) → \(ByteCount.format(Int64(b)))"))
        }
        return out
    }

    func skew(_ s: Series) -> [HistoryFlag] {
        var out: [HistoryFlag] = []
        for run in Self.nonDecreasingRuns(s.values) where run.count >= t.skewCheckpoints {
            let first = s.values[run.lowerBound]!, last = s.values[run.upperBound]!
            guard last >= t.skewMin, last - first >= t.skewRise else { continue }
            out.append(flag(.skew, s, run.lowerBound, run.upperBound, before: first, after: last,
                            String(format: "largest subtask over median rose from %.2f× to %.2f× over %d checkpoints", first, last, run.count)))
        }
        return out
    }

    func spikes(_ s: Series) -> [HistoryFlag] {
        var out: [HistoryFlag] = []
        for i in s.values.indices.dropFirst() {
            guard let v = s.values[i] else { continue }
            let window = s.values[max(0, i - t.spikeWindow)..<i].compactMap { $0 }.sorted()
            guard !window.isEmpty else { continue }
            let median = window.count % 2 == 1 ? window[window.count / 2] : (window[window.count / 2 - 1] + window[window.count / 2]) / 2
            guard v > median * t.spikeFactor, v > Double(t.spikeMinBytes) else { continue }
            let start = max(0, i - t.spikeWindow)
            out.append(flag(.inFlightSpike, s, start, i, before: median, after: v,
                            "in-flight \(ByteCount.format(Int64(v))) against a median of \(ByteCount.format(Int64(median))) over the \(window.count) checkpoints before"))
        }
        return out
    }

    /// Stalled splits (unchanged while another split of the operator advanced, over `stallIntervals` intervals in a
    /// row) and splits that went backward.
    func splits() -> [HistoryFlag] {
        var out: [HistoryFlag] = []
        // (operator, split) → start of the current stall (the point before the first still interval).
        var stalls: [String: (start: Int, operatorID: OperatorID, name: String, position: SplitPosition?)] = [:]
        func close(_ key: String, at end: Int) {
            guard let s = stalls.removeValue(forKey: key), end - s.start >= t.stallIntervals else { return }
            let series = Series(operatorID: s.operatorID, operatorName: s.name, state: nil, values: [])
            let split = String(key.split(separator: "\u{0}", maxSplits: 1).last ?? "")
            out.append(flag(.stalledSplit, series, s.start, end, before: nil, after: nil, split: split,
                            "did not advance over \(end - s.start) checkpoint intervals while other splits of the source did (at \(s.position?.text ?? "?"))"))
        }
        for i in progress.indices.dropFirst() {
            var open = Set<String>()
            let byOperator = Dictionary(grouping: progress[i], by: \.operatorID)
            for (opID, splits) in byOperator {
                let name = points[i].operatorSummary(opID)?.info.displayName ?? opID.hex
                let advancing = splits.filter { $0.status == .changed && !$0.backward }.count
                for p in splits {
                    let key = opID.hex + "\u{0}" + p.splitId
                    if p.backward {
                        let series = Series(operatorID: opID, operatorName: name, state: nil, values: [])
                        out.append(flag(.backwardSplit, series, i - 1, i, before: p.advanced.map { _ in 0 }, after: p.advanced.map(Double.init), split: p.splitId,
                                        "went backward: \(p.before?.text ?? "?") → \(p.after?.text ?? "?")"))
                    }
                    if p.status == .unchanged && advancing > 0 {
                        if stalls[key] == nil { stalls[key] = (i - 1, opID, name, p.after) }
                        open.insert(key)
                    }
                }
            }
            for key in stalls.keys where !open.contains(key) { close(key, at: i - 1) }
        }
        for key in stalls.keys.sorted() { close(key, at: points.count - 1) }
        return out
    }
}
