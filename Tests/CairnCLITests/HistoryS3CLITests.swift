import CairnTestProcesses
import CairnTestSupport
import Foundation
import Testing

/// `cairn history s3://…/<job-id>`: a job's retained checkpoints read where Flink wrote them (the real 2.3 RocksDB
/// incremental fixture uploaded with its `_metadata` paths moved to `s3://`, as in `S3SourceCLITests`).
@Suite(.s3Servers(.weed, .moto))
struct HistoryS3CLITests {
    @Test("history of a job directory in S3 lists every complete checkpoint and gives the local sizes per operator", arguments: S3TestServer.Kind.allCases)
    func jobDirectoryInS3(_ kind: S3TestServer.Kind) async throws {
        let server = try S3TestServer.running(kind)
        let uploaded = try await S3SourceCLITests.upload("2.3/rocksdb-incremental", to: server)
        let checkpoints = uploaded.snapshots.filter { $0.contains("/chk-") }
        try #require(checkpoints.count >= 2)
        let job = String(checkpoints[0].split(separator: "/")[0])
        var env = server.environment
        env.removeValue(forKey: "AWS_ENDPOINT_URL")
        let remote = try CLI.run(["history", uploaded.url + "/" + job, "--json", "--endpoint", server.endpoint], environment: env)
        #expect(remote.status == 0, "\(remote.stderr)")
        let local = try CLI.run(["history", uploaded.local + "/" + job, "--json"])
        #expect(local.status == 0, "\(local.stderr)")
        func sizes(_ r: CLI.Result) -> [String] {
            let doc = r.json as? [String: Any]
            return (doc?["checkpoints"] as? [[String: Any]] ?? []).map { c in
                let ops = (c["operators"] as? [[String: Any]] ?? []).map { "\($0["id"] ?? ""):\($0["stateSize"] ?? ""):\($0["checkpointedSize"] ?? "")" }.sorted()
                return "\(c["id"] ?? "") " + ops.joined(separator: ",")
            }
        }
        #expect(sizes(remote).count == checkpoints.count)
        #expect(sizes(remote) == sizes(local), "\(remote.stdout.prefix(2000))")

        // A prefix with nothing of Flink's or Cairn's: exit 2, the URL named.
        let empty = try CLI.run(["history", server.url() + "/nothing-here", "--endpoint", server.endpoint], environment: env)
        #expect(empty.status == 2 && empty.stderr.contains("nothing-here"), "\(empty.stderr)")
    }
}
