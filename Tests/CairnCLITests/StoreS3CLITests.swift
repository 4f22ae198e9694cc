import CairnTestProcesses
import CairnTestSupport
import Foundation
import Testing

/// The store commands against real S3-compatible servers that the suite starts on 127.0.0.1: SeaweedFS and moto
/// (with authentication on), and a fault-injecting proxy in front of SeaweedFS.
@Suite(.s3Servers(.weed, .moto))
struct StoreS3CLITests {
    static let job = StoreCLITests.job

    /// Runs cairn with the server's credentials; the endpoint is passed with --endpoint (or `endpoint`).
    func cairn(_ server: S3TestServer, _ args: [String], endpoint: String? = nil, environment: [String: String] = [:]) throws -> CLI.Result {
        var env = server.environment
        env.removeValue(forKey: "AWS_ENDPOINT_URL")
        env.merge(environment) { $1 }
        return try CLI.run(args + ["--endpoint", endpoint ?? server.endpoint], environment: env)
    }

    @Test("push a Flink series, list, read in place, pull byte for byte, prune and check", arguments: S3TestServer.Kind.allCases)
    func series(_ kind: S3TestServer.Kind) async throws {
        let server = try S3TestServer.running(kind)
        let store = server.url()
        for chk in ["chk-3", "chk-4", "chk-5"] {
            let r = try cairn(server, ["push", Self.job + "/" + chk, store, "--json"])
            #expect(r.status == 0, "\(r.stderr)")
        }
        let listing = try cairn(server, ["snapshots", store, "--json"])
        #expect((listing.json as? [[String: Any]])?.count == 3)
        #expect(try cairn(server, ["validate", store + "#latest", "--deep"]).status == 0)
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out").path
        let pull = try cairn(server, ["pull", store, "latest", out])
        #expect(pull.status == 0, "\(pull.stderr)")
        for (path, bytes) in try StoreCLITests.tree(out) {
            #expect(bytes == (try Data(contentsOf: URL(fileURLWithPath: Self.job + "/" + path))), "\(path)")
        }
        #expect(try cairn(server, ["prune", store, "--keep-last", "2", "--grace", "0"]).status == 0)
        let check = try cairn(server, ["check", store, "--read-data", "--json"])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        #expect((try StoreCLITests.json(check)["snapshots"] as? Int) == 2)
    }

    @Test("a wrong secret is refused with a clear error and exit 2", arguments: S3TestServer.Kind.allCases)
    func wrongCredentials(_ kind: S3TestServer.Kind) async throws {
        let server = try S3TestServer.running(kind)
        let native = CLI.root.appendingPathComponent("Fixtures/cairn/tiny-seed1-chk1.cairn").path
        let r = try cairn(server, ["push", native, server.url()], environment: ["AWS_SECRET_ACCESS_KEY": "not-the-secret"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("AWS_SECRET_ACCESS_KEY"), "\(r.stderr)")
        #expect(r.stderr.contains("403") || r.stderr.contains("SignatureDoesNotMatch") || r.stderr.contains("InvalidAccessKeyId"), "\(r.stderr)")
    }

    @Test("through a proxy that fails every third request, push and pull still succeed byte for byte")
    func faultyServer() async throws {
        let server = try S3TestServer.running(.weed)
        let proxy = try await FaultProxy.start(upstream: server.endpoint, failEvery: 3)
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let source = dir.appendingPathComponent("data").path
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        let random = try FileHandle(forReadingFrom: URL(fileURLWithPath: "/dev/urandom"))
        for i in 0..<3 { try random.read(upToCount: 20 << 20)!.write(to: URL(fileURLWithPath: source + "/f\(i)")) }
        let store = server.url()
        let push = try cairn(server, ["push", source, store, "--json"], endpoint: proxy.endpoint)
        let out = dir.appendingPathComponent("out").path
        let pull = try cairn(server, ["pull", store, "latest", out], endpoint: proxy.endpoint)
        let check = try cairn(server, ["check", store, "--read-data"], endpoint: proxy.endpoint)
        let report = try await proxy.stop()
        #expect(push.status == 0, "\(push.stderr)")
        #expect(pull.status == 0, "\(pull.stderr)")
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        #expect(report.totalFaults >= 5, "the proxy injected \(report.faults)")
        #expect(try StoreCLITests.tree(out) == StoreCLITests.tree(source))
    }

    @Test("kill -9 mid-push, push again: complete, and check --read-data is clean")
    func killedPush() async throws {
        let server = try S3TestServer.running(.weed)
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let source = dir.appendingPathComponent("data").path
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        let random = try FileHandle(forReadingFrom: URL(fileURLWithPath: "/dev/urandom"))
        for i in 0..<5 { try random.read(upToCount: 40 << 20)!.write(to: URL(fileURLWithPath: source + "/p\(i)")) }
        let store = server.url()
        // Make the store first, so the listing below sees packs only from the push under test.
        #expect(try cairn(server, ["push", CLI.root.appendingPathComponent("Fixtures/cairn/tiny-seed1-chk1.cairn").path, store]).status == 0)
        let packsBefore = try await server.withStore(url: store) { try await $0.list(prefix: "packs/").count }

        // Through a proxy that answers the first pack upload and then holds every request: the push is frozen
        // with a pack stored and no snapshot committed, whatever the machine's load.
        let proxy = try await FaultProxy.start(upstream: server.endpoint, failEvery: 0, stallAfterPut: "/packs/")
        let push = try TestProcess.start(CLI.binary, ["push", source, store, "--endpoint", proxy.endpoint], environment: server.environment)
        var sawPack = false
        while push.isRunning && !sawPack {
            sawPack = try await server.withStore(url: store) { try await $0.list(prefix: "packs/").count } > packsBefore
        }
        kill(push.processIdentifier, SIGKILL)
        push.waitUntilExit()
        _ = try await proxy.stop()
        try #require(sawPack, "the push ended before a pack appeared; cannot test an interruption")
        #expect((try cairn(server, ["snapshots", store, "--json"]).json as? [Any])?.count == 1)

        let resumed = try cairn(server, ["push", source, store, "--json"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(((try StoreCLITests.json(resumed)["packs"] as? [String: Any])?["recovered"] as? Int ?? 0) >= 1)
        let check = try cairn(server, ["check", store, "--read-data", "--json"])
        #expect(check.status == 0, "\(check.stdout)")
        let out = dir.appendingPathComponent("out").path
        #expect(try cairn(server, ["pull", store, "latest", out]).status == 0)
        #expect(try StoreCLITests.tree(out) == StoreCLITests.tree(source))
    }

    @Test("two concurrent pushes of different snapshots are both committed; a prune racing a push deletes nothing referenced")
    func concurrency() async throws {
        let server = try S3TestServer.running(.weed)
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = server.url()
        let first = CLI.root.appendingPathComponent("Fixtures/cairn/tiny-seed1-chk1.cairn").path
        #expect(try cairn(server, ["push", first, store]).status == 0)
        let random = try FileHandle(forReadingFrom: URL(fileURLWithPath: "/dev/urandom"))
        var sources: [String] = []
        for name in ["a", "b"] {
            let s = dir.appendingPathComponent(name).path
            try FileManager.default.createDirectory(atPath: s, withIntermediateDirectories: true)
            try random.read(upToCount: 24 << 20)!.write(to: URL(fileURLWithPath: s + "/data"))
            sources.append(s)
        }
        // Two pushes and a prune at once. The prune either finds the store in use (exit 2, nothing done) or runs
        // before or after the pushes' locks; it must never delete what a committed snapshot references.
        let results = try await withThrowingTaskGroup(of: (String, CLI.Result).self) { group in
            for s in sources { group.addTask { ("push", try self.cairn(server, ["push", s, store, "--json"])) } }
            group.addTask { ("prune", try self.cairn(server, ["prune", store, "--keep-last", "1", "--grace", "0", "--json"])) }
            var all: [(String, CLI.Result)] = []
            for try await r in group { all.append(r) }
            return all
        }
        for (what, r) in results where what == "push" { #expect(r.status == 0, "\(r.stderr)") }
        for (what, r) in results where what == "prune" {
            #expect(r.status == 0 || (r.status == 2 && r.stderr.contains("in use")), "\(r.stderr)")
        }
        let listing = try #require(try cairn(server, ["snapshots", store, "--json"]).json as? [[String: Any]])
        let sourcesListed = Set(listing.compactMap { $0["source"] as? String })
        #expect(sourcesListed.isSuperset(of: Set(sources)))
        let check = try cairn(server, ["check", store, "--read-data"])
        #expect(check.status == 0, "\(check.stdout)")
        for (n, s) in sources.enumerated() {
            let id = try #require(listing.first { $0["source"] as? String == s }?["id"] as? String)
            let out = dir.appendingPathComponent("out\(n)").path
            #expect(try cairn(server, ["pull", store, id, out]).status == 0)
            #expect(try StoreCLITests.tree(out)["data"] == (try Data(contentsOf: URL(fileURLWithPath: s + "/data"))))
        }
    }

    @Test("a corrupted pack on S3: check --read-data names it, pull refuses and writes nothing")
    func corruptedPack() async throws {
        let server = try S3TestServer.running(.moto)
        let store = server.url()
        let native = CLI.root.appendingPathComponent("Fixtures/cairn/small-seed7-aligned.cairn").path
        #expect(try cairn(server, ["push", native, store]).status == 0)
        let pack = try await server.withStore(url: store) { s in
            let key = try #require(try await s.list(prefix: "packs/").first?.key)
            var bytes = try await s.get(key)
            bytes[200] ^= 0xFF
            try await s.put(key, data: bytes)
            return key
        }
        let check = try cairn(server, ["check", store, "--read-data"])
        #expect(check.status == 1)
        #expect(check.stdout.contains(String(pack.suffix(64))))
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out").path
        let pull = try cairn(server, ["pull", store, "latest", out])
        #expect(pull.status == 1)
        #expect((try? FileManager.default.contentsOfDirectory(atPath: out))?.isEmpty ?? true)
    }
}
