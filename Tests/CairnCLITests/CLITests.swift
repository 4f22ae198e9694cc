import CairnTestProcesses
import Foundation
import Testing

/// Runs the built `cairn` binary the way a user does and checks output and exit status.
struct CLI {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The `cairn` binary next to the test bundle (swift test builds every product first).
    static let binary: URL = {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("cairn")
        if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
        return root.appendingPathComponent(".build/debug/cairn")
    }()

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        var json: Any? { try? JSONSerialization.jsonObject(with: Data(stdout.utf8)) }
    }

    @discardableResult
    static func run(_ args: [String], environment: [String: String] = [:]) throws -> Result {
        let r = try TestProcess.run(binary, args, environment: environment)
        return Result(status: r.status, stdout: r.stdout, stderr: r.stderr)
    }

    /// `run` without holding a cooperative thread, for long runs (see `TestProcess.runDetached`).
    static func runDetached(_ args: [String], environment: [String: String] = [:]) async throws -> Result {
        let r = try await TestProcess.runDetached(binary, args, environment: environment)
        return Result(status: r.status, stdout: r.stdout, stderr: r.stderr)
    }

    static func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }
}

@Suite("cairn command line")
struct CLITests {
    @Test("generate, inspect and validate a series end to end")
    func series() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let gen = try CLI.run(["generate", dir.path, "--preset", "small", "--checkpoints", "3", "--seed", "4"])
        #expect(gen.status == 0, "\(gen.stderr)")
        for c in 1...3 {
            let path = dir.appendingPathComponent("chk-\(c).cairn").path
            #expect(FileManager.default.fileExists(atPath: path))
            let v = try CLI.run(["validate", path, "--deep"])
            #expect(v.status == 0, "\(v.stdout)\(v.stderr)")
            #expect(v.stdout.contains("valid"))
        }
        let inspect = try CLI.run(["inspect", dir.appendingPathComponent("chk-3.cairn").path, "--json", "--top", "2"])
        #expect(inspect.status == 0)
        let doc = try #require(inspect.json as? [String: Any])
        let ops = try #require(doc["operators"] as? [[String: Any]])
        #expect(ops.count == 4)
        #expect(ops.allSatisfy { ($0["id"] as? String)?.count == 32 })
        let snapshot = try #require(doc["snapshot"] as? [String: Any])
        #expect(snapshot["id"] as? String == "3")
        #expect((doc["topKeys"] as? [Any])?.count == 2)
        #expect((doc["offsets"] as? [Any])?.count == 6)
        // The table view on a non-terminal has no color.
        let table = try CLI.run(["inspect", dir.appendingPathComponent("chk-1.cairn").path, "--by", "state"])
        #expect(table.status == 0)
        #expect(table.stdout.contains("recent-events"))
        #expect(!table.stdout.contains("\u{1B}["))
    }

    @Test("generate is reproducible from the command line")
    func reproducible() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        for name in ["a.cairn", "b.cairn"] {
            #expect(try CLI.run(["generate", dir.appendingPathComponent(name).path, "--preset", "tiny", "--seed", "9"]).status == 0)
        }
        let a = try Data(contentsOf: dir.appendingPathComponent("a.cairn")), b = try Data(contentsOf: dir.appendingPathComponent("b.cairn"))
        #expect(a == b)
    }

    @Test("exit status: 1 for a damaged snapshot, 2 for usage and I/O errors")
    func exitCodes() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("s.cairn")
        #expect(try CLI.run(["generate", file.path, "--preset", "tiny"]).status == 0)
        var bytes = try [UInt8](Data(contentsOf: file))
        bytes[40] ^= 0x01
        let damaged = dir.appendingPathComponent("damaged.cairn")
        try Data(bytes).write(to: damaged)
        let deep = try CLI.run(["validate", damaged.path, "--deep", "--json"])
        #expect(deep.status == 1)
        let doc = try #require(deep.json as? [String: Any])
        #expect(doc["valid"] as? Bool == false)
        let problems = try #require(doc["problems"] as? [[String: Any]])
        let location = try #require(problems.first?["location"] as? [String: Any])
        #expect(problems.first?["code"] as? String == "checksumMismatch")
        #expect(location["block"] as? Int == 0)
        #expect(location["operatorId"] is String)

        let truncated = dir.appendingPathComponent("cut.cairn")
        try Data(bytes.prefix(bytes.count - 7)).write(to: truncated)
        let inspect = try CLI.run(["inspect", truncated.path])
        #expect(inspect.status == 1)
        #expect(inspect.stderr.contains("cut.cairn"))
        #expect(try CLI.run(["validate", truncated.path]).status == 1)

        let missing = try CLI.run(["inspect", dir.appendingPathComponent("nope.cairn").path])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("nope.cairn"))
        #expect(try CLI.run(["inspect"]).status == 2)
        #expect(try CLI.run(["inspect", file.path, "--by", "nonsense"]).status == 2)
        #expect(try CLI.run(["generate", dir.path, "--preset", "enormous"]).status == 2)
        #expect(try CLI.run(["--help"]).status == 0)
        // Nothing was written at a destination whose generation failed.
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("chk-1.cairn").path))
    }

    @Test("every command's help is clean: no stray line-continuation backslashes, an overview and usage")
    func helpText() throws {
        for command in ["inspect", "validate", "diff", "rewrite", "push", "pull", "snapshots", "prune", "check", "generate", "dump"] {
            let help = try CLI.run([command, "--help"])
            #expect(help.status == 0, "\(command) --help")
            #expect(help.stdout.contains("OVERVIEW:") && help.stdout.contains("USAGE: cairn \(command)"), "\(command) --help")
            let stray = help.stdout.split(separator: "\n").filter { $0.hasSuffix("\\") }
            #expect(stray.isEmpty, "\(command) --help has lines ending in a backslash: \(stray)")
        }
    }

    @Test("one exit rule for every error type: a bad job spec, a bad migration plan and bad chunker input are usage errors (2)")
    func exitRule() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("s.cairn")
        #expect(try CLI.run(["generate", file.path, "--preset", "tiny"]).status == 0)
        let spec = dir.appendingPathComponent("job.yaml")
        try Data("operators:\n  - uid: a\n    bogus: 1\n".utf8).write(to: spec)
        let bad = try CLI.run(["validate", file.path, "--against", spec.path])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("job.yaml"))
        let s3 = try CLI.run(["inspect", "s3a://bucket/ckpts/chk-1"])
        #expect(s3.status == 2)
        #expect(s3.stderr.contains("s3a://bucket/ckpts/chk-1"))
        let store = try CLI.run(["snapshots", "ftp://host/store"])
        #expect(store.status == 2)
        #expect(store.stderr.contains("s3://bucket/prefix"))
    }

    @Test("dump prints the canonical decoded JSON of a vector")
    func dump() throws {
        let vector = CLI.root.appendingPathComponent("format-spec/vectors/typed-values.cairn")
        let r = try CLI.run(["dump", vector.path])
        #expect(r.status == 0)
        let expected = try String(contentsOf: CLI.root.appendingPathComponent("format-spec/vectors/typed-values.json"), encoding: .utf8)
        #expect(r.stdout == expected)
    }
}

@Suite("cairn on real Flink snapshots")
struct FlinkCLITests {
    static func firstCheckpointJobDirectory() -> URL? {
        let base = CLI.root.appendingPathComponent("Fixtures/flink")
        guard let e = FileManager.default.enumerator(at: base, includingPropertiesForKeys: nil) else { return nil }
        for case let url as URL in e where url.lastPathComponent.hasPrefix("chk-") {
            return url.deletingLastPathComponent()
        }
        return nil
    }

    @Test("inspect and validate a job's checkpoint directory")
    func inspectJobDirectory() throws {
        let job = try #require(Self.firstCheckpointJobDirectory(), "no Flink checkpoint fixture")
        let r = try CLI.run(["inspect", job.path, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let doc = try #require(r.json as? [String: Any])
        #expect((doc["format"] as? String)?.hasPrefix("flink _metadata v") == true)
        let snapshot = try #require(doc["snapshot"] as? [String: Any])
        #expect(snapshot["engine"] as? String == "flink")
        let storage = try #require(doc["storage"] as? [String: Any])
        #expect((storage["relocatedPaths"] as? Int ?? 0) >= 0)
        #expect((doc["operators"] as? [[String: Any]])?.isEmpty == false)
        let v = try CLI.run(["validate", job.path])
        #expect(v.status == 0, "\(v.stdout)\(v.stderr)")
        let text = try CLI.run(["inspect", job.path])
        #expect(text.stdout.contains("Checkpoint"))
    }

    @Test("a truncated _metadata exits 1 with the file and offset named")
    func truncated() throws {
        let job = try #require(Self.firstCheckpointJobDirectory())
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let metadata = try FileManager.default.contentsOfDirectory(at: job, includingPropertiesForKeys: nil)
            .first { $0.lastPathComponent.hasPrefix("chk-") }!.appendingPathComponent("_metadata")
        let bytes = try Data(contentsOf: metadata)
        let cut = dir.appendingPathComponent("_metadata")
        try bytes.prefix(bytes.count / 3).write(to: cut)
        let r = try CLI.run(["inspect", cut.path])
        #expect(r.status == 1)
        #expect(r.stderr.contains("_metadata") && r.stderr.contains("offset"))
    }
}

@Suite("cairn rewrite")
struct RewriteCLITests {
    @Test("converts a Flink checkpoint; refuses a damaged one without writing; usage errors exit 2")
    func rewrite() throws {
        let job = try #require(FlinkCLITests.firstCheckpointJobDirectory())
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("converted.cairn")
        let r = try CLI.run(["rewrite", job.path, out.path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try CLI.run(["validate", out.path, "--deep"]).status == 0)
        let a = try #require(try CLI.run(["inspect", job.path, "--json"]).json as? [String: Any])
        let b = try #require(try CLI.run(["inspect", out.path, "--json"]).json as? [String: Any])
        #expect((a["offsets"] as? [Any])?.count == (b["offsets"] as? [Any])?.count)

        // A copy whose first referenced file is missing is refused, and nothing appears at DEST.
        let copy = dir.appendingPathComponent("job")
        try FileManager.default.copyItem(at: job.deletingLastPathComponent(), to: copy)
        let copiedJob = copy.appendingPathComponent(job.lastPathComponent)
        let chk = try FileManager.default.contentsOfDirectory(at: copiedJob, includingPropertiesForKeys: nil)
            .filter { $0.lastPathComponent.hasPrefix("chk-") }.sorted { $0.path < $1.path }.last!
        let victim = try FileManager.default.contentsOfDirectory(at: chk, includingPropertiesForKeys: nil)
            .first { !["_metadata", "oracle.json"].contains($0.lastPathComponent) }
        if let victim {
            try FileManager.default.removeItem(at: victim)
            let bad = dir.appendingPathComponent("bad.cairn")
            let refused = try CLI.run(["rewrite", chk.path, bad.path])
            #expect(refused.status == 2, "\(refused.stderr)")
            #expect(!FileManager.default.fileExists(atPath: bad.path))
        }
        #expect(try CLI.run(["rewrite", out.path, out.path]).status == 2, "a rewrite never writes over its input")
        #expect(try CLI.run(["rewrite", job.path, out.path, "--compression", "brotli"]).status == 2)
    }
}
