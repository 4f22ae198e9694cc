import CairnTestProcesses
import Foundation
import Testing

/// The fast subset of `make crash`: Benchmarks/crash/crash.py kills push (local and to SeaweedFS), prune, rewrite
/// (native and Flink), generate and backup --watch with SIGKILL at 2 seeded points each (14 runs) and checks, once
/// each process is dead, that the store passes `check --read-data`, no earlier snapshot is lost or changed, every
/// output is absent or whole, the next run finishes, and no temporary file is left after it. The delays are the
/// experiment; every assertion is on the state left after the kill.
@Suite("crash consistency: kill -9 at seeded points")
struct CrashConsistencyTests {
    @Test("14 kill points over push (local, S3), prune, rewrite, generate and backup --watch: 0 violations, every re-run finishes")
    func fastSubset() async throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let summary = dir.appendingPathComponent("summary.json")
        let script = CLI.root.appendingPathComponent("Benchmarks/crash/crash.py").path
        let r = try await TestProcess.runDetached(command: "python3", [script, "--cairn", CLI.binary.path, "--runs", "2", "--seed", "14",
                                                                      "--scale", "\(1 << 20)", "--work", dir.appendingPathComponent("work").path,
                                                                      "--json", summary.path], mergeOutput: true)
        #expect(r.status == 0, "\(r.stdout)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: summary)) as? [String: Any])
        let commands = try #require(json["commands"] as? [String: [String: Any]])
        #expect(Set(commands.keys) == ["push", "push-s3", "prune", "rewrite-native", "rewrite-flink", "generate", "backup-watch"])
        for (name, c) in commands {
            #expect(c["killPoints"] as? Int == 2, "\(name)")
            #expect(c["violations"] as? Int == 0, "\(name): \(c["failures"] ?? "")")
            #expect(c["reruns"] as? Int == 2, "\(name): a re-run after the kill did not finish")
        }
    }
}
