import Foundation
import CairnCore

/// One self-contained HTML page for a report: the report's documented JSON embedded as data, drawn by a script
/// written here into SVG charts. No network fetches, so a report can be mailed, attached to a ticket or opened offline.
public enum HTMLReport {
    /// `inspect --html`: operators, the subtask × operator heat map, states, key groups (with --deep), source offsets.
    /// Past `OperatorRanking`'s limits the page aggregates (top operators, "others", binned subtasks, percentiles, a
    /// filterable table of every operator) and says so, so it stays a few MB whatever the snapshot's size.
    public static func inspect(_ report: InspectReport) -> String {
        page(kind: "inspect", title: "Cairn — snapshot \(report.summary.metadata.snapshotId)", data: report.pageJSON)
    }

    /// `diff --html`: growth by operator, changed states, source-split progress, keys.
    public static func diff(_ diff: SnapshotDiff, keys: KeyDiff?) -> String {
        var data = diff.json
        if case .object(var fields) = data {
            fields.append(("keys", keys?.json ?? .null))
            data = .object(fields)
        }
        return page(kind: "diff", title: "Cairn — \(diff.snapshotA) → \(diff.snapshotB)", data: data)
    }

    /// `history --html`: size per operator over time (lines), state stacked per operator and per state (areas),
    /// in-flight bytes, the flags with their evidence, and one row per checkpoint.
    public static func history(_ history: CheckpointHistory) -> String {
        let job = history.points.last?.summary.metadata.jobId ?? ""
        return page(kind: "history", title: "Cairn — history of \(history.points.count) checkpoints" + (job.isEmpty ? "" : " of job \(job)"), data: history.json)
    }

    static func page(kind: String, title: String, data: JSONValue) -> String {
        // "</" would end the script element early; JSON allows "<\/" for the same text.
        let json = data.rendered().replacingOccurrences(of: "</", with: "<\\/")
        return """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
        <title>\(escape(title))</title>
        <style>\(HTMLReportAssets.css)</style>
        </head>
        <body data-kind="\(kind)">
        <script>window.addEventListener("error", function (e) { document.body.dataset.errors = (document.body.dataset.errors || "") + e.message + "; "; });</script>
        <h1 id="title">\(escape(title))</h1>
        <div class="sub" id="subtitle"></div>
        <div id="report"></div>
        <div id="tip"></div>
        <script type="application/json" id="cairn-data">\(json)</script>
        <script>\(HTMLReportAssets.script)</script>
        </body>
        </html>

        """
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
