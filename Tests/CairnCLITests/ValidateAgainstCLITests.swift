import Foundation
import Testing

/// `cairn validate SOURCE --against JOB.yaml [--previous OLDER] [--json]` run as a user runs it.
@Suite("cairn validate --against / --previous")
struct ValidateAgainstCLITests {
    static let flink = CLI.root.appendingPathComponent("Fixtures/flink")
    static let sinkID = "e817389a36d9a466bf277bdaede6d2b7"

    static func savepoint(_ version: String, _ scenario: String) throws -> String {
        let dir = flink.appendingPathComponent("\(version)/\(scenario)")
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix("savepoint-") }.sorted().first)
        return dir.appendingPathComponent(name).path
    }

    static func checkpoints(_ version: String, _ scenario: String) throws -> [String] {
        let dir = flink.appendingPathComponent("\(version)/\(scenario)")
        let fm = FileManager.default
        let job = try #require(try fm.contentsOfDirectory(atPath: dir.path).first { $0.count == 32 })
        return try fm.contentsOfDirectory(atPath: dir.appendingPathComponent(job).path).filter { $0.hasPrefix("chk-") }
            .sorted { (Int($0.dropFirst(4)) ?? 0) < (Int($1.dropFirst(4)) ?? 0) }
            .map { dir.appendingPathComponent(job).appendingPathComponent($0).path }
    }

    static let job = """
        operators:
          - {uid: number-source, parallelism: 2}
          - {uid: throttle, parallelism: 2}
          - {uid: rules-source, parallelism: 1}
          - {uid: broadcast-enrich, parallelism: 3}
          - uid: keyed-state
            parallelism: 3
            maxParallelism: 256
            states:
              - {name: last-seen, kind: value, keySerializer: LongSerializer, valueSerializer: StringSerializer}
          - {uid: window-reduce, parallelism: 2}
          - {uid: union-sink, parallelism: 2}
        """

    static func write(_ text: String, in dir: URL, _ name: String = "job.yaml") throws -> String {
        let url = dir.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    @Test("a matching job: exit 0, text says restorable")
    func matching() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try CLI.run(["validate", try Self.savepoint("2.3", "hashmap"), "--against", try Self.write(Self.job, in: dir)])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("restorable"))
        #expect(r.stdout.contains("last-seen"))
    }

    @Test("a missing operator: exit 1, Flink's message and the fix in text and JSON")
    func missingOperator() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let source = try Self.savepoint("1.20", "hashmap")
        let spec = try Self.write(Self.job.replacingOccurrences(of: "  - {uid: union-sink, parallelism: 2}\n", with: "").replacingOccurrences(of: "  - {uid: union-sink, parallelism: 2}", with: ""), in: dir)
        let text = try CLI.run(["validate", source, "--against", spec])
        #expect(text.status == 1)
        #expect(text.stdout.contains("Cannot map checkpoint/savepoint state for operator \(Self.sinkID) to the new program"))
        #expect(text.stdout.contains("--allowNonRestoredState"))

        let json = try CLI.run(["validate", source, "--against", spec, "--json"])
        #expect(json.status == 1)
        let root = try #require(json.json as? [String: Any])
        #expect(root["valid"] as? Bool == false)
        let restore = try #require(root["restore"] as? [String: Any])
        #expect(restore["restorable"] as? Bool == false)
        let problems = try #require(restore["problems"] as? [[String: Any]])
        let p = try #require(problems.first)
        #expect(p["code"] as? String == "operatorNotMapped")
        #expect((p["flinkMessage"] as? String)?.hasPrefix("Failed to rollback to checkpoint/savepoint \(source). Cannot map") == true)
        #expect((p["operator"] as? [String: Any])?["id"] as? String == Self.sinkID)
        #expect((p["fix"] as? String)?.isEmpty == false)
        #expect(restore["operators"] is [[String: Any]] && restore["states"] is [[String: Any]])
    }

    @Test("a job spec with an unknown key: exit 2 and the key's path")
    func badSpec() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let spec = try Self.write(Self.job.replacingOccurrences(of: "maxParallelism: 256", with: "maxParalelism: 256"), in: dir)
        let r = try CLI.run(["validate", try Self.savepoint("2.3", "hashmap"), "--against", spec])
        #expect(r.status == 2)
        #expect(r.stderr.contains("operators[4].maxParalelism: unknown key; did you mean maxParallelism?"))
    }

    @Test("--previous: consecutive checkpoints exit 0; reversed, exit 1 with the backward splits")
    func previous() throws {
        let chks = try Self.checkpoints("1.20", "rocksdb-incremental")
        let ok = try CLI.run(["validate", chks[1], "--previous", chks[0]])
        #expect(ok.status == 0, "\(ok.stdout)\(ok.stderr)")
        #expect(ok.stdout.contains("in order"))
        let reversed = try CLI.run(["validate", chks[0], "--previous", chks[1], "--json"])
        #expect(reversed.status == 1)
        let root = try #require(reversed.json as? [String: Any])
        let previous = try #require(root["previous"] as? [String: Any])
        let codes = (previous["problems"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }
        #expect(codes.contains("checkpointIdNotIncreasing"))
        #expect(codes.contains("splitWentBackward"))
    }
}
