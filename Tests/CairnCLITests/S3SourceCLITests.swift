import CairnTestProcesses
import CairnTestSupport
import Foundation
import Testing

/// `s3://` as SOURCE: real Flink fixtures uploaded to SeaweedFS and moto (auth on), their `_metadata` paths moved to
/// `s3://` by `cairn rewrite --relocate` (Flink's S3 file-system plugins are not in PyPI's `apache-flink-libraries`,
/// so no Flink here writes to S3 itself). Every command must answer as it does for the local copy.
@Suite(.s3Servers(.weed, .moto))
struct S3SourceCLITests {
    /// Fixtures with checkpoints whose `_metadata` names absolute paths (moved to S3) and savepoints with relative ones.
    static let fixtures = ["2.3/hashmap", "2.3/rocksdb-incremental", "2.3/typed-rocksdb", "2.3/unaligned", "1.15/hashmap"]

    func cairn(_ server: S3TestServer, _ args: [String], endpoint: String? = nil, environment: [String: String] = [:]) throws -> CLI.Result {
        var env = server.environment
        env.removeValue(forKey: "AWS_ENDPOINT_URL")
        env.merge(environment) { $1 }
        return try CLI.run(args + ["--endpoint", endpoint ?? server.endpoint], environment: env)
    }

    /// One fixture in S3: where it is, and its snapshot directories relative to the fixture root.
    struct Uploaded {
        var url: String
        var local: String
        var snapshots: [String]
    }

    /// Uploads every file of `Fixtures/flink/<fixture>` under a fresh prefix, then replaces each `_metadata` by the
    /// output of `cairn rewrite --relocate <prefix>`, so the absolute paths inside point at the uploaded objects.
    static func upload(_ fixture: String, to server: S3TestServer) async throws -> Uploaded {
        let local = CLI.root.appendingPathComponent("Fixtures/flink/" + fixture).path
        let url = server.url()
        var files: [String] = []
        let e = FileManager.default.enumerator(atPath: local)
        while let p = e?.nextObject() as? String {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: local + "/" + p, isDirectory: &isDir), !isDir.boolValue { files.append(p) }
        }
        let snapshots = files.filter { $0.hasSuffix("/_metadata") }.map { String($0.dropLast("/_metadata".count)) }.sorted()
        let scratch = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: scratch) }
        var metadata: [String: Data] = [:]
        for snapshot in snapshots {
            let out = scratch.appendingPathComponent(snapshot.replacingOccurrences(of: "/", with: "_")).path
            let r = try CLI.run(["rewrite", local + "/" + snapshot, out, "--relocate", url])
            try #require(r.status == 0, "rewrite --relocate \(url) of \(snapshot): \(r.stderr)")
            metadata[snapshot + "/_metadata"] = try Data(contentsOf: URL(fileURLWithPath: out + "/_metadata"))
        }
        try await server.withStore(url: url) { store in
            for f in files {
                let bytes = try metadata[f] ?? Data(contentsOf: URL(fileURLWithPath: local + "/" + f))
                try await store.put(f, data: [UInt8](bytes))
            }
        }
        return Uploaded(url: url, local: local, snapshots: snapshots)
    }

    /// A JSON document without what names where it was read from: the SOURCE argument, the `_metadata` path, and
    /// facts that depend on the place (the `_metadata` size, and so `bytesRead`, changes with the paths inside; files
    /// are looked for only locally; relocation happens only for the local copy, whose recorded paths are gone).
    static func placeless(_ value: Any) -> Any {
        let placeFields: Set<String> = ["source", "flink.metadataPath", "file", "storage", "path", "location", "metadataPath", "bytesRead"]
        if let object = value as? [String: Any] {
            var out: [String: Any] = [:]
            for (k, v) in object where !placeFields.contains(k) { out[k] = placeless(v) }
            return out
        }
        if let array = value as? [Any] { return array.map(placeless) }
        return value
    }

    static func same(_ a: CLI.Result, _ b: CLI.Result) -> Bool {
        guard let x = a.json, let y = b.json else { return false }
        return NSDictionary(dictionary: ["v": placeless(x)]).isEqual(to: ["v": placeless(y)])
    }

    @Test("inspect, inspect --deep, validate, validate --deep and dump --state of S3 sources equal the local results", arguments: S3TestServer.Kind.allCases)
    func equalToLocal(_ kind: S3TestServer.Kind) async throws {
        let server = try S3TestServer.running(kind)
        for fixture in Self.fixtures {
            let up = try await Self.upload(fixture, to: server)
            var dumped = 0
            for snapshot in up.snapshots {
                let s3 = up.url + "/" + snapshot, local = up.local + "/" + snapshot
                for args in [["inspect", "--json"], ["inspect", "--json", "--deep", "--by", "state"], ["validate", "--json"], ["validate", "--json", "--deep"]] {
                    let a = try cairn(server, [args[0], local] + args.dropFirst())
                    let b = try cairn(server, [args[0], s3] + args.dropFirst())
                    #expect(b.status == a.status, "\(fixture)/\(snapshot) \(args): \(b.stderr)")
                    #expect(Self.same(a, b), "\(fixture)/\(snapshot) \(args):\nlocal \(a.stdout)\ns3 \(b.stdout)")
                }
                // dump --state of every state the deep report names (keyed and operator state), at most 100 entries.
                let states = ((try cairn(server, ["inspect", local, "--json", "--by", "state", "--deep"]).json as? [String: Any])?["states"] as? [[String: Any]]) ?? []
                for state in states {
                    guard let op = state["operatorId"] as? String, let name = state["name"] as? String, !name.hasPrefix("(") else { continue }
                    let args = ["dump", "--state", op + "/" + name, "--limit", "100"]
                    let a = try cairn(server, args + [local]), b = try cairn(server, args + [s3])
                    #expect(a.status == b.status && a.stdout == b.stdout, "\(fixture)/\(snapshot) dump --state \(name): \(b.stderr)")
                    if a.status == 0 && !a.stdout.isEmpty { dumped += 1 }
                }
            }
            #expect(dumped > 0, "\(fixture): no state was dumped")
            // A job directory opens its latest complete checkpoint, as locally; s3a:// and s3p:// are the same objects.
            if let job = up.snapshots.first(where: { $0.contains("/chk-") }).map({ String($0.prefix { $0 != "/" }) }) {
                let a = try cairn(server, ["inspect", up.local + "/" + job, "--json"])
                for scheme in ["s3", "s3a", "s3p"] {
                    let b = try cairn(server, ["inspect", scheme + up.url.dropFirst(2) + "/" + job + "/", "--json"])
                    #expect(b.status == 0 && Self.same(a, b), "\(fixture) job directory via \(scheme)://: \(b.stderr)")
                    let snap = (b.json as? [String: Any])?["snapshot"] as? [String: Any]
                    let local = (a.json as? [String: Any])?["snapshot"] as? [String: Any]
                    #expect(snap?["id"] as? String == local?["id"] as? String)
                }
            }
        }
    }

    @Test("a native .cairn snapshot in S3 is inspected and deep-validated like the local file, by ranged GETs")
    func nativeSnapshot() async throws {
        let server = try S3TestServer.running(.weed)
        let local = CLI.root.appendingPathComponent("Fixtures/cairn/tiny-seed1-chk1.cairn").path
        let url = server.url()
        try await server.withStore(url: url) { try await $0.put("tiny.cairn", data: [UInt8](try Data(contentsOf: URL(fileURLWithPath: local)))) }
        for args in [["inspect", "--json"], ["validate", "--json", "--deep"]] {
            let a = try cairn(server, [args[0], local] + args.dropFirst())
            let proxy = try await FaultProxy.start(upstream: server.endpoint, failEvery: 0)
            let b = try cairn(server, [args[0], url + "/tiny.cairn"] + args.dropFirst(), endpoint: proxy.endpoint)
            let report = try await proxy.stop()
            #expect(a.status == 0 && b.status == 0 && Self.same(a, b), "\(args): \(b.stderr)")
            #expect(report.kinds["HEAD"] == 1 && report.kinds["GET"] == nil && (report.kinds["GET-range"] ?? 0) >= 1, "\(report.kinds)")
        }
    }

    @Test("a metadata-only inspect makes 1 request; a job directory adds its LIST (and the 404 that found it is not a checkpoint)")
    func requestCount() async throws {
        let server = try S3TestServer.running(.weed)
        let up = try await Self.upload("2.3/rocksdb-incremental", to: server)
        let chk = up.url + "/ed57ef9367947a2619891a87077f6ec7/chk-5"
        // A job directory: the GET of <job>/_metadata answers 404, one LIST, then the GET of the latest chk-N/_metadata.
        for (source, expected) in [(chk, ["GET": 1]), (chk + "/_metadata", ["GET": 1]), (up.url + "/ed57ef9367947a2619891a87077f6ec7", ["GET": 2, "LIST": 1])] {
            let proxy = try await FaultProxy.start(upstream: server.endpoint, failEvery: 0)
            let r = try cairn(server, ["inspect", source, "--json"], endpoint: proxy.endpoint)
            let report = try await proxy.stop()
            #expect(r.status == 0, "\(r.stderr)")
            #expect(report.kinds == expected, "inspect \(source) made \(report.kinds)")
        }
        // validate looks for every object by listing, never by downloading: one GET (_metadata) and LISTs only.
        let proxy = try await FaultProxy.start(upstream: server.endpoint, failEvery: 0)
        let r = try cairn(server, ["validate", chk, "--json"], endpoint: proxy.endpoint)
        let report = try await proxy.stop()
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(report.kinds["GET"] == 1 && report.kinds["GET-range"] == nil && report.kinds["HEAD"] == nil, "validate made \(report.kinds)")
        #expect((report.kinds["LIST"] ?? 0) >= 1)
    }

    @Test("a deleted object is named by validate with exit 1", arguments: S3TestServer.Kind.allCases)
    func deletedObject(_ kind: S3TestServer.Kind) async throws {
        let server = try S3TestServer.running(kind)
        let up = try await Self.upload("2.3/rocksdb-incremental", to: server)
        let job = "ed57ef9367947a2619891a87077f6ec7"
        // An object only chk-5 references: a file in its own directory (the RocksDB MANIFEST, OPTIONS, …).
        let own = try await server.withStore(url: up.url) { try await $0.list(prefix: job + "/chk-5/") }
        let victim = try #require(own.first { !$0.key.hasSuffix("/_metadata") && !$0.key.hasSuffix("/oracle.json") }).key
        try await server.withStore(url: up.url) { try await $0.delete(victim) }
        let r = try cairn(server, ["validate", up.url + "/" + job + "/chk-5", "--json"])
        #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains(FileManager.default.displayName(atPath: victim)), "\(r.stdout)")
        #expect(r.stdout.contains("missingFile"))
    }

    @Test("wrong credentials, a missing bucket and a prefix without a checkpoint: exit 2, the object named", arguments: S3TestServer.Kind.allCases)
    func accessProblems(_ kind: S3TestServer.Kind) async throws {
        let server = try S3TestServer.running(kind)
        let up = try await Self.upload("2.3/hashmap", to: server)
        let chk = up.url + "/57baad28216c5452b1ff56c091c800c0/chk-6"
        let wrong = try cairn(server, ["inspect", chk], environment: ["AWS_SECRET_ACCESS_KEY": "not-the-secret"])
        #expect(wrong.status == 2)
        #expect(wrong.stderr.contains("chk-6/_metadata") && wrong.stderr.contains("AWS_SECRET_ACCESS_KEY"), "\(wrong.stderr)")
        let bucket = try cairn(server, ["validate", "s3://no-such-bucket-\(UUID().uuidString.prefix(8).lowercased())/ckpts/chk-1"])
        #expect(bucket.status == 2)
        #expect(bucket.stderr.contains("no-such-bucket") && bucket.stderr.contains("does not exist"), "\(bucket.stderr)")
        // --region is accepted (these servers sign-check any region, so CairnSourcesTests checks that it wins).
        let region = try cairn(server, ["inspect", chk, "--region", server.region])
        #expect(region.status == 0, "\(region.stderr)")
        let empty = try cairn(server, ["inspect", server.url() + "/nothing-here"])
        #expect(empty.status == 2)
        #expect(empty.stderr.contains("nothing-here") && empty.stderr.contains("no _metadata"), "\(empty.stderr)")
    }

    @Test("through a proxy that fails every third request, inspect --deep and validate --deep still give the local answers")
    func flakyServer() async throws {
        let server = try S3TestServer.running(.weed)
        let up = try await Self.upload("2.3/typed-rocksdb", to: server)
        let proxy = try await FaultProxy.start(upstream: server.endpoint, failEvery: 3)
        var results: [(CLI.Result, CLI.Result)] = []
        for snapshot in up.snapshots {
            for args in [["inspect", "--json", "--deep"], ["validate", "--json", "--deep"]] {
                let a = try cairn(server, [args[0], up.local + "/" + snapshot] + args.dropFirst())
                let b = try cairn(server, [args[0], up.url + "/" + snapshot] + args.dropFirst(), endpoint: proxy.endpoint)
                results.append((a, b))
            }
        }
        let report = try await proxy.stop()
        #expect(report.totalFaults >= 3, "the proxy injected \(report.faults)")
        for (a, b) in results {
            #expect(b.status == a.status && Self.same(a, b), "\(b.stderr)")
        }
    }

    @Test("push s3://… STORE stores a live checkpoint; the next checkpoint reads only its new objects; pull gives the bytes back", arguments: S3TestServer.Kind.allCases)
    func push(_ kind: S3TestServer.Kind) async throws {
        let server = try S3TestServer.running(kind)
        let up = try await Self.upload("2.3/rocksdb-incremental", to: server)
        let job = "ed57ef9367947a2619891a87077f6ec7"
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = dir.appendingPathComponent("store").path
        let first = try cairn(server, ["push", up.url + "/" + job + "/chk-4", store, "--json"])
        #expect(first.status == 0, "\(first.stderr)")
        let second = try cairn(server, ["push", up.url + "/" + job + "/chk-5", store, "--json"])
        #expect(second.status == 0, "\(second.stderr)")
        let doc = try StoreCLITests.json(second)
        let read = try #require(doc["bytesRead"] as? Int), skipped = try #require(doc["bytesSkipped"] as? Int)
        #expect(skipped > 0 && read > 0, "\(second.stdout)")
        // The same two pushes from the local copy read the same objects; only the _metadata sizes differ (S3 paths).
        let localStore = dir.appendingPathComponent("local-store").path
        #expect(try CLI.run(["push", up.local + "/" + job + "/chk-4", localStore]).status == 0)
        let localSecond = try StoreCLITests.json(try CLI.run(["push", up.local + "/" + job + "/chk-5", localStore, "--json"]))
        let localRead = try #require(localSecond["bytesRead"] as? Int)
        let s3Metadata = try await server.withStore(url: up.url) { try await $0.head(job + "/chk-5/_metadata") }?.size ?? 0
        let localMetadata = try FileManager.default.attributesOfItem(atPath: up.local + "/" + job + "/chk-5/_metadata")[.size] as? Int ?? 0
        #expect(read - Int(s3Metadata) == localRead - localMetadata, "S3 push read \(read) bytes, local \(localRead)")
        let out = dir.appendingPathComponent("out").path
        let pull = try cairn(server, ["pull", store, "latest", out])
        #expect(pull.status == 0, "\(pull.stderr)")
        let pulled = try StoreCLITests.tree(out)
        #expect(!pulled.isEmpty)
        for (path, bytes) in pulled where !path.hasSuffix("_metadata") {
            #expect(bytes == (try Data(contentsOf: URL(fileURLWithPath: up.local + "/" + job + "/" + path))), "\(path)")
        }
    }

    @Test("diff with either side in S3, and rewrite reading its input from S3", arguments: [S3TestServer.Kind.weed])
    func diffAndRewrite(_ kind: S3TestServer.Kind) async throws {
        let server = try S3TestServer.running(kind)
        let up = try await Self.upload("2.3/hashmap", to: server)
        let job = "57baad28216c5452b1ff56c091c800c0"
        let local = try cairn(server, ["diff", up.local + "/" + job + "/chk-5", up.local + "/" + job + "/chk-6", "--json"])
        let mixed = try cairn(server, ["diff", up.local + "/" + job + "/chk-5", up.url + "/" + job + "/chk-6", "--json"])
        let remote = try cairn(server, ["diff", up.url + "/" + job + "/chk-5", up.url + "/" + job + "/chk-6", "--json"])
        #expect(local.status == 0 && mixed.status == 0 && remote.status == 0, "\(mixed.stderr)\(remote.stderr)")
        #expect(Self.same(local, mixed) && Self.same(local, remote), "\(local.stdout)\n\(mixed.stdout)")
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let sp = up.snapshots.first { $0.hasPrefix("savepoint-") }!
        let out = dir.appendingPathComponent("renamed").path
        let inspect = try cairn(server, ["inspect", up.local + "/" + sp, "--json"])
        let uid = try #require(((inspect.json as? [String: Any])?["operators"] as? [[String: Any]])?.compactMap { $0["uid"] as? String }.first { !$0.isEmpty })
        let r = try cairn(server, ["rewrite", up.url + "/" + sp, out, "--rename-uid", "\(uid)=\(uid)-v2"])
        #expect(r.status == 0, "\(r.stderr)")
        let after = try CLI.run(["inspect", out, "--json"])
        #expect(after.stdout.contains("\"\(uid)-v2\""), "\(after.stdout)")
        let validate = try CLI.run(["validate", out])
        #expect(validate.status == 0, "\(validate.stdout)\(validate.stderr)")
    }
}
