import CairnTestProcesses
import CairnTestSupport
import Foundation
import Testing

/// `cairn backup s3://…/<job-id> STORE`: a job's retained checkpoints read where Flink wrote them (the real 2.3
/// RocksDB incremental fixture uploaded with its `_metadata` paths moved to `s3://`, as in `S3SourceCLITests`).
@Suite(.s3Servers(.weed, .moto))
struct BackupS3CLITests {
    @Test("backup of a job directory in S3 stores every complete checkpoint once, reading the objects in place; the next round finds them present", arguments: S3TestServer.Kind.allCases)
    func jobDirectoryInS3(_ kind: S3TestServer.Kind) async throws {
        let server = try S3TestServer.running(kind)
        let uploaded = try await S3SourceCLITests.upload("2.3/rocksdb-incremental", to: server)
        let checkpoints = uploaded.snapshots.filter { $0.contains("/chk-") }
        try #require(checkpoints.count >= 2)
        let job = uploaded.url + "/" + String(checkpoints[0].split(separator: "/")[0])
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = dir.appendingPathComponent("store").path
        var env = server.environment
        env.removeValue(forKey: "AWS_ENDPOINT_URL")

        func round() throws -> [String: String] {
            let r = try CLI.run(["backup", job, store, "--settle", "0", "--json", "--endpoint", server.endpoint], environment: env)
            #expect(r.status == 0, "\(r.stderr)")
            let doc = try #require(r.json as? [String: Any], "\(r.stdout)")
            var out: [String: String] = [:]
            for c in doc["checkpoints"] as? [[String: Any]] ?? [] {
                out["\(c["path"] ?? "")"] = c["status"] as? String
            }
            return out
        }
        let first = try round()
        #expect(first.count == checkpoints.count && first.values.allSatisfy { $0 == "stored" }, "\(first)")
        let second = try round()
        #expect(second.count == checkpoints.count && second.values.allSatisfy { $0 == "present" }, "\(second)")

        let snapshots = try CLI.run(["snapshots", store, "--json"])
        let list = try #require(snapshots.json as? [[String: Any]], "\(snapshots.stdout)")
        #expect(list.count == checkpoints.count)
        let check = try CLI.run(["check", store, "--read-data"])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")

        // The newest stored checkpoint pulls back byte for byte as the objects in S3 (its _metadata as uploaded).
        let newest = try #require(list.max { Int("\($0["checkpointId"] ?? 0)") ?? 0 < Int("\($1["checkpointId"] ?? 0)") ?? 0 })
        let out = dir.appendingPathComponent("pulled").path
        let pull = try CLI.run(["pull", store, "\(newest["id"] ?? "")", out])
        #expect(pull.status == 0, "\(pull.stderr)")
        let metadata = try #require(FileManager.default.enumerator(atPath: out)?.compactMap { $0 as? String }.first { $0.hasSuffix("_metadata") })
        let relative = try #require(checkpoints.first { metadata.hasSuffix($0 + "/_metadata") } ?? checkpoints.last)
        let pulledBytes = try Data(contentsOf: URL(fileURLWithPath: out + "/" + metadata))
        let remote = try await server.withStore(url: uploaded.url) { store in try await store.get(relative + "/_metadata") }
        #expect([UInt8](pulledBytes) == remote)
    }
}
