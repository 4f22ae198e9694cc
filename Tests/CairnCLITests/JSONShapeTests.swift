import Foundation
import Testing

/// Keeps docs/json-shapes.md and the `--json` output of every command in step: each field a command prints must be
/// documented with its type, and each documented field must be printed by at least one of the runs below.
/// `CAIRN_UPDATE_SHAPES=1 swift test --filter JSONShapeTests` rewrites the file from the current output.
@Suite("--json shapes match docs/json-shapes.md", .serialized)
struct JSONShapeTests {
    static let document = CLI.root.appendingPathComponent("docs/json-shapes.md")
    static let job = StoreCLITests.job
    static let flink = CLI.root.appendingPathComponent("Fixtures/flink").path

    /// Objects whose keys are data (property names), documented as `*`.
    static let maps: Set<String> = ["snapshot.properties"]

    /// Path → JSON types, arrays as `[]`, e.g. `operators[].subtasks[].keyGroups.start: number`.
    static func shape(_ value: Any, at path: String = "", into out: inout [String: Set<String>]) {
        func child(_ key: String) -> String { path.isEmpty ? key : path + "." + key }
        switch value {
        case let o as [String: Any]:
            out[path.isEmpty ? "." : path, default: []].insert("object")
            for (k, v) in o { shape(v, at: child(maps.contains(path) ? "*" : k), into: &out) }
        case let a as [Any]:
            out[path.isEmpty ? "." : path, default: []].insert("array")
            for v in a { shape(v, at: path + "[]", into: &out) }
        case is NSNull:
            out[path, default: []].insert("null")
        case let n as NSNumber:
            // Foundation parses true/false as a boolean NSNumber (objCType "c"); 1 is an integer one ("i", "q").
            out[path, default: []].insert(String(cString: n.objCType) == "c" ? "bool" : "number")
        case is String:
            out[path, default: []].insert("string")
        default:
            out[path, default: []].insert("unknown")
        }
    }

    /// The runs whose output is checked, per command; they cover every field at least once.
    static func runs(in dir: URL) throws -> [(String, [String])] {
        let store = dir.appendingPathComponent("store").path
        let gen = dir.appendingPathComponent("gen").path
        let stalled = dir.appendingPathComponent("stalled").path
        try FileManager.default.createDirectory(atPath: stalled, withIntermediateDirectories: true)
        let canonical = flink + "/2.3/hashmap/savepoint-57baad-e77eb0678d5d"
        let examples = CLI.root.appendingPathComponent("docs/examples").path
        return [
            ("generate", ["generate", gen, "--preset", "tiny", "--checkpoints", "2", "--json"]),
            ("generate", ["generate", dir.appendingPathComponent("incremental").path, "--preset", "tiny", "--checkpoints", "2", "--incremental", "--json"]),
            ("inspect", ["inspect", gen + "/chk-2.cairn", "--json", "--deep", "--top", "3"]),
            ("inspect", ["inspect", gen + "/chk-2.cairn", "--json", "--by", "key-group"]),
            ("inspect", ["inspect", dir.appendingPathComponent("incremental/chk-2.cairn").path, "--json"]),
            ("inspect", ["inspect", job + "/chk-5", "--json"]),
            ("inspect", ["inspect", flink + "/2.3/unaligned", "--json", "--deep"]),
            ("validate", ["validate", gen + "/chk-2.cairn", "--json", "--deep"]),
            ("validate", ["validate", job + "/chk-5", "--json"]),
            ("validate", ["validate", canonical, "--json", "--against", examples + "/job.yaml"]),
            ("validate", ["validate", job + "/chk-5", "--json", "--previous", job + "/chk-3"]),
            ("diff", ["diff", job + "/chk-5", job + "/chk-3", "--json"]),
            ("diff", ["diff", gen + "/chk-1.cairn", gen + "/chk-2.cairn", "--json", "--keys", "totals"]),
            ("diff", ["diff", canonical, canonical, "--json", "--keys", "count"]),
            ("history", ["history", job, "--json", "--deep"]),
            ("history", ["history", gen, "--json", "--growth-checkpoints", "2", "--growth-min-bytes", "0", "--growth-min-ratio", "0"]),
            ("push", ["push", job + "/chk-3", store, "--json"]),
            ("push", ["push", job + "/chk-5", store, "--json"]),
            ("snapshots", ["snapshots", store, "--json"]),
            ("check", ["check", store, "--json", "--read-data"]),
            ("pull", ["pull", store, "latest", dir.appendingPathComponent("pulled").path, "--json"]),
            ("prune", ["prune", store, "--keep-last", "1", "--grace", "0s", "--json"]),
            ("backup", ["backup", job, dir.appendingPathComponent("bstore").path, "--json", "--keep-last", "2"]),
            ("backup", ["backup", job, dir.appendingPathComponent("bstore").path, "--json", "--keep-last", "1", "--grace", "0s"]),
            ("backup", ["backup", job, dir.appendingPathComponent("bstore").path, "--json", "--settle", "3650d", "--series", "later"]),
            ("backup", ["backup", try brokenJob(in: dir), dir.appendingPathComponent("bstore2").path, "--json", "--settle", "0"]),
            ("rewrite", ["rewrite", job + "/chk-5", dir.appendingPathComponent("rw.cairn").path, "--json"]),
            ("rewrite", ["rewrite", gen + "/chk-2.cairn", dir.appendingPathComponent("m.cairn").path, "--json",
                         "--migrate", examples + "/migrate-totals-v3.yaml", "--drop-operator", "rules-enricher"]),
            // One split pinned by a rewrite while the others advance: a stalled-split flag.
            ("rewrite", ["rewrite", gen + "/chk-1.cairn", stalled + "/chk-1.cairn", "--set-offset", "orders-source:orders-0=5", "--json"]),
            ("rewrite", ["rewrite", gen + "/chk-2.cairn", stalled + "/chk-2.cairn", "--set-offset", "orders-source:orders-0=5", "--json"]),
            ("history", ["history", stalled, "--json", "--stall-intervals", "1"]),
        ]
    }

    /// A job directory whose chk-5 lacks its shared files (reported as vanished, naming one) and whose chk-7 has a
    /// `_metadata` that does not decode (damaged).
    static func brokenJob(in dir: URL) throws -> String {
        let broken = dir.appendingPathComponent("broken/ed57ef9367947a2619891a87077f6ec7")
        try FileManager.default.createDirectory(at: broken, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: URL(fileURLWithPath: job + "/chk-5"), to: broken.appendingPathComponent("chk-5"))
        try FileManager.default.createDirectory(at: broken.appendingPathComponent("chk-7"), withIntermediateDirectories: true)
        try Data([0, 0, 0, 42]).write(to: broken.appendingPathComponent("chk-7/_metadata"))
        return broken.path
    }

    static func parse(_ text: String) -> [String: [String: Set<String>]] {
        var out: [String: [String: Set<String>]] = [:]
        var command: String?
        var inBlock = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("## `cairn ") {
                command = line.dropFirst("## `cairn ".count).split(separator: " ").first.map(String.init)
            } else if line.hasPrefix("```") {
                inBlock.toggle()
            } else if inBlock, let command, let colon = line.range(of: ": ") {
                let path = String(line[..<colon.lowerBound])
                out[command, default: [:]][path] = Set(line[colon.upperBound...].split(separator: "|").map { String($0).trimmingCharacters(in: .whitespaces) })
            }
        }
        return out
    }

    static func render(_ shapes: [String: [String: Set<String>]], order: [String]) -> String {
        var out = """
        # `--json` shapes

        Every field each command prints with `--json`, as `path: type`. Nested objects are joined with `.`, array items
        are `[]`, and `*` stands for keys that are data (property names). Types: `string`, `number` (exact integers;
        sizes are bytes), `bool`, `object`, `array`, `null` (absent). `|` lists the types a field can have.

        A test (Tests/CairnCLITests/JSONShapeTests.swift) runs every command and fails when a printed field is missing
        here or a field here is no longer printed; `CAIRN_UPDATE_SHAPES=1 swift test --filter JSONShapeTests` rewrites
        this file from the current output. README.md shows an example document of each.

        """
        for command in order {
            guard let fields = shapes[command] else { continue }
            out += "\n## `cairn \(command) --json`\n\n```\n"
            for path in fields.keys.sorted() { out += "\(path): \(fields[path]!.sorted().joined(separator: "|"))\n" }
            out += "```\n"
        }
        return out
    }

    @Test("every command's --json fields are documented, and every documented field is printed")
    func shapes() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var produced: [String: [String: Set<String>]] = [:]
        var order: [String] = []
        for (command, args) in try Self.runs(in: dir) {
            let r = try CLI.run(args)
            let json = try #require(r.json, "cairn \(args.joined(separator: " ")) printed no JSON: \(r.stderr)")
            if !order.contains(command) { order.append(command) }
            var fields: [String: Set<String>] = [:]
            Self.shape(json, into: &fields)
            produced[command, default: [:]].merge(fields) { $0.union($1) }
        }
        if ProcessInfo.processInfo.environment["CAIRN_UPDATE_SHAPES"] == "1" {
            try Self.render(produced, order: order).write(to: Self.document, atomically: true, encoding: .utf8)
            return
        }
        let documented = Self.parse(try String(contentsOf: Self.document, encoding: .utf8))
        for command in order {
            let doc = documented[command] ?? [:], out = produced[command] ?? [:]
            for (path, types) in out.sorted(by: { $0.key < $1.key }) {
                guard let allowed = doc[path] else {
                    Issue.record("cairn \(command) --json prints \(path) (\(types.sorted().joined(separator: "|"))), not in docs/json-shapes.md")
                    continue
                }
                #expect(types.isSubset(of: allowed), "cairn \(command) --json: \(path) is \(types.sorted()), documented \(allowed.sorted())")
            }
            for path in doc.keys.sorted() where out[path] == nil {
                Issue.record("docs/json-shapes.md lists \(path) for cairn \(command), which it no longer prints")
            }
        }
    }
}
