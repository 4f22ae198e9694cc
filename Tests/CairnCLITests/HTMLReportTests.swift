import CairnTestProcesses
import CairnTestSupport
import Foundation
import Testing

/// Renders the HTML reports in a real browser (Debian's chromium, headless; scripts/install-deps.sh installs it).
@Suite("HTML reports in Chromium", .enabled(if: TestPrerequisite.chromium.wanted, TestPrerequisite.chromium.skipComment), .serialized)
struct HTMLReportTests {
    static let job = StoreCLITests.job

    @Test("Chromium is there to render the reports")
    func chromiumInstalled() {
        #expect(TestPrerequisite.chromium.location != nil, Comment(rawValue: TestPrerequisite.chromium.missingMessage))
    }

    /// Runs headless Chromium on `file` (with `fragment`, e.g. `#filter=x`) with `args`, killed after `limit` seconds
    /// (a hang guard, not a benchmark); returns stdout.
    static func browser(_ args: [String], _ file: URL, fragment: String = "", limit: Int = 300) throws -> String {
        let chromium = try #require(TestPrerequisite.chromium.location, Comment(rawValue: TestPrerequisite.chromium.missingMessage))
        let profile = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: profile) }
        let r = try TestProcess.run(URL(fileURLWithPath: "/usr/bin/timeout"), ["--kill-after=10", "\(limit)", chromium,
                                    "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--user-data-dir=\(profile.path)",
                                    "--virtual-time-budget=5000"] + args + [file.absoluteString + fragment])
        #expect(r.status != 124 && r.status != 137, "chromium \(args) did not finish within \(limit) s")
        #expect(r.status == 0, "chromium \(args)")
        return r.stdout
    }

    /// Writes a report, checks it fetches nothing, renders it, and returns the rendered DOM.
    func render(_ args: [String], in dir: URL, name: String) throws -> String {
        let html = dir.appendingPathComponent(name + ".html")
        let r = try CLI.run(args + ["--html", html.path])
        #expect(r.status == 0 || r.status == 1, "\(r.stderr)")
        let page = try String(contentsOf: html, encoding: .utf8)
        let withoutSVGNamespace = page.replacingOccurrences(of: "http://www.w3.org/2000/svg", with: "")
        #expect(!withoutSVGNamespace.contains("http://") && !withoutSVGNamespace.contains("https://"), "a report fetches nothing")
        #expect(!page.contains(" src=") && !page.contains(" href="), "no external scripts, styles or images")
        let dom = try Self.browser(["--dump-dom"], html)
        #expect(dom.contains("data-rendered=\"ok\""), "the script ran to its end")
        #expect(!dom.contains("data-errors"), "no script errors: \(dom.components(separatedBy: "data-errors").dropFirst().first?.prefix(200) ?? "")")
        let png = dir.appendingPathComponent(name + ".png")
        _ = try Self.browser(["--screenshot=\(png.path)", "--window-size=1280,1400"], html)
        let bytes = try Data(contentsOf: png)
        #expect(bytes.count > 10_000 && bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]), "a PNG screenshot")
        return dom
    }

    @Test("inspect --html of a Flink checkpoint shows every operator by name and uid, with no script errors")
    func flink() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let dom = try render(["inspect", Self.job + "/chk-5"], in: dir, name: "flink")
        let doc = try #require(try CLI.run(["inspect", Self.job + "/chk-5", "--json"]).json as? [String: Any])
        for op in try #require(doc["operators"] as? [[String: Any]]) {
            let name = try #require(op["name"] as? String)
            #expect(dom.contains(name.prefix(40)), "operator \(name) drawn")
        }
        #expect(dom.contains("Subtask × operator") && dom.contains("<svg"))
    }

    @Test("inspect --html of a 1,000 operators × 256 subtasks _metadata: a page under 3 MB, aggregated and saying so, that renders and filters",
          .timeLimit(.minutes(15)))
    func large() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let checkpoint = dir.appendingPathComponent("chk-1")
        try FileManager.default.createDirectory(at: checkpoint, withIntermediateDirectories: true)
        let bench = CLI.binary.deletingLastPathComponent().appendingPathComponent("cairn-bench")
        let made = try TestProcess.run(bench, ["flink-metadata", checkpoint.path, "--operators", "1000", "--subtasks", "256"])
        try #require(made.status == 0, "cairn-bench flink-metadata: \(made.stderr)")
        let html = dir.appendingPathComponent("large.html")
        let r = try CLI.run(["inspect", checkpoint.path, "--html", html.path])
        #expect(r.status == 0 || r.status == 1, "\(r.stderr)")
        #expect(r.stdout.contains("Showing the top 20 of 1,000 operators by state; the 980 others sum to"), "the table says what it aggregated")
        #expect(r.stdout.split(separator: "\n").filter { $0.hasPrefix("Operator ") }.count == 20)
        let size = try #require(try FileManager.default.attributesOfItem(atPath: html.path)[.size] as? Int)
        #expect(size <= 3_000_000, "the page is \(size) bytes")
        let dom = try Self.browser(["--dump-dom"], html)
        #expect(dom.contains("data-rendered=\"ok\""), "the script ran to its end")
        #expect(!dom.contains("data-errors"), "no script errors: \(dom.components(separatedBy: "data-errors").dropFirst().first?.prefix(200) ?? "")")
        #expect(dom.contains("Aggregated: showing the top 20 of 1,000 operators by state; the 980 others sum to"))
        #expect(dom.contains(">980 others<") && dom.contains("class=\"binned-heat-map\""))
        for k in 0..<1000 { #expect(dom.contains(">Operator \(k)<"), "Operator \(k) is in the table") }
        #expect(dom.contains("1,000 of 1,000 operators"))
        // The filter, applied from the link: one row stays visible.
        let filtered = try Self.browser(["--dump-dom"], html, fragment: "#filter=operator%20999")
        #expect(filtered.contains("1 of 1,000 operators"))
        #expect(filtered.components(separatedBy: "<tr style=\"display: none;\">").count - 1 == 999)
        let png = dir.appendingPathComponent("large.png")
        _ = try Self.browser(["--screenshot=\(png.path)", "--window-size=1280,1400"], html)
        #expect(try Data(contentsOf: png).starts(with: [0x89, 0x50, 0x4E, 0x47]), "a PNG screenshot")
    }

    @Test("inspect --deep --html of a native snapshot draws key groups and source offsets")
    func native() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = CLI.root.appendingPathComponent("Fixtures/cairn/small-seed7-aligned.cairn").path
        let dom = try render(["inspect", file, "--deep"], in: dir, name: "native")
        #expect(dom.contains("Bytes per key group") && dom.contains("Source offsets per split"))
        let doc = try #require(try CLI.run(["inspect", file, "--json"]).json as? [String: Any])
        for split in try #require(doc["offsets"] as? [[String: Any]]) {
            #expect(dom.contains(try #require(split["splitId"] as? String)))
        }
    }

    @Test("diff --html flags a split that went backward")
    func diff() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let dom = try render(["diff", Self.job + "/chk-5", Self.job + "/chk-3"], in: dir, name: "diff")
        #expect(dom.contains("Growth by operator") && dom.contains("BACKWARD"))
    }

    @Test("history --html draws size per operator over time (lines), state stacked per operator and per state (areas), and the flags")
    func history() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let gen = dir.appendingPathComponent("gen").path
        #expect(try CLI.run(["generate", gen, "--preset", "small", "--checkpoints", "8", "--change-rate", "0.2", "--leak"]).status == 0)
        let dom = try render(["history", gen, "--growth-min-bytes", "0", "--growth-min-ratio", "0.25"], in: dir, name: "history")
        #expect(dom.contains("Size per operator over time") && dom.contains("class=\"line-chart\"") && dom.contains("<path"))
        #expect(dom.contains("State stacked per operator") && dom.contains("State stacked per state") && dom.contains("<polygon"))
        #expect(dom.components(separatedBy: "class=\"area-chart\"").count - 1 == 2, "one stacked area per operator, one per state")
        #expect(dom.contains("Aggregate: per-user totals / totals") && dom.contains(">growth<"))
        let doc = try #require(try CLI.run(["history", gen, "--json"]).json as? [String: Any])
        for c in try #require(doc["checkpoints"] as? [[String: Any]]) {
            for op in try #require(c["operators"] as? [[String: Any]]) { #expect(dom.contains(try #require(op["name"] as? String))) }
        }
        let flink = try render(["history", Self.job], in: dir, name: "history-flink")
        #expect(flink.contains("class=\"line-chart\"") && flink.contains("needs history --deep"))
    }
}
