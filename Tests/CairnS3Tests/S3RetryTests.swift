import CairnTestSupport
import CairnCore
import CairnS3
import CairnStore
import Foundation
import Testing

/// The store against SeaweedFS behind scripts/fault-proxy.py, which fails a share of the requests.
@Suite(.s3Servers(.weed))
struct S3RetryTests {
    /// Runs `body` with a store that talks to SeaweedFS through a fault proxy, and returns the proxy's report.
    func throughProxy(
        failEvery: Int, faults: [String] = ["500", "503", "drop", "reset"], seed: Int = 7,
        configure: @escaping (inout S3Configuration) -> Void = { _ in },
        _ body: (S3ObjectStore) async throws -> Void
    ) async throws -> FaultProxy.Report {
        let server = try S3TestServer.running(.weed)
        let proxy = try await FaultProxy.start(upstream: server.endpoint, failEvery: failEvery, seed: seed, faults: faults)
        do {
            try await server.withStore(endpoint: proxy.endpoint, configure: configure, body)
        } catch {
            _ = try? await proxy.stop()
            throw error
        }
        return try await proxy.stop()
    }

    @Test func putsAndGetsSurviveFaults() async throws {
        let retries = Locked(0)
        let counts = Locked(RequestCounts())
        let report = try await throughProxy(failEvery: 3) { store async throws in
            for i in 0..<30 {
                try await store.put("packs/\(i)", data: testBytes(1000 + i * 7000, seed: UInt64(i)))
            }
            for i in 0..<30 {
                #expect(try await store.get("packs/\(i)") == testBytes(1000 + i * 7000, seed: UInt64(i)))
            }
            retries.withLock { $0 = store.retries }
            counts.withLock { $0 = store.requestCounts }
        }
        // One request at a time, at most one fault in a row: every fault costs exactly one retry.
        #expect(report.totalFaults >= 15, "\(report)")
        #expect(retries.withLock { $0 } == report.totalFaults, "\(report)")
        #expect(counts.withLock { $0.total } == report.requests)
        for kind in ["500", "503", "drop", "reset"] {
            #expect((report.faults[kind] ?? 0) > 0, "no \(kind) fault was injected: \(report)")
        }
    }

    @Test func conditionalCreatesSurviveLostAnswers() async throws {
        // Every second request reaches the server but its answer is cut: a retried create then meets its own
        // object (412) and must still report .created, while a create of a key that exists must not.
        let report = try await throughProxy(failEvery: 2, faults: ["drop"]) { store async throws in
            for i in 0..<10 {
                #expect(try await store.create("snapshots/\(i)", data: Array("manifest \(i)".utf8)) == .created, "create \(i)")
            }
            for i in 0..<10 {
                #expect(try await store.create("snapshots/\(i)", data: Array("other \(i)".utf8)) == .alreadyExists, "re-create \(i)")
                #expect(try await store.get("snapshots/\(i)") == Array("manifest \(i)".utf8))
            }
            #expect(store.retries > 0)
        }
        #expect(report.faults["drop"] ?? 0 >= 10)
    }

    @Test func multipartSurvivesFaults() async throws {
        let configure: (inout S3Configuration) -> Void = {
            $0.partSize = 5 << 20
            $0.multipartThreshold = 5 << 20
            $0.maxConcurrentRequests = 3
        }
        let report = try await throughProxy(failEvery: 3, configure: configure) { store async throws in
            let data = testBytes(11 << 20, seed: 9)
            try await store.put("packs/big", data: data)
            #expect(try await store.get("packs/big") == data)
            #expect(try await store.create("packs/big", data: testBytes(6 << 20, seed: 10)) == .alreadyExists)
            let fresh = testBytes(6 << 20, seed: 11)
            #expect(try await store.create("packs/fresh", data: fresh) == .created)
            #expect(try await store.get("packs/fresh") == fresh)
            #expect(store.retries > 0)
        }
        #expect(report.totalFaults > 0)
    }

    @Test("bodies cut short with a matching Content-Length are read again, never taken for what is stored (found by the soak)")
    func truncatedBodiesAreReadAgain() async throws {
        let retries = Locked(0)
        // Every second request is answered with half its body and a Content-Length cut to match.
        let report = try await throughProxy(failEvery: 2, faults: ["truncate"]) { store async throws in
            for i in 0..<6 {
                try await store.put("index/\(i)", data: testBytes(20_000 + i * 3000, seed: UInt64(i)))
            }
            for i in 0..<6 {
                #expect(try await store.get("index/\(i)") == testBytes(20_000 + i * 3000, seed: UInt64(i)), "whole GET \(i)")
                #expect(try await store.get("index/\(i)", offset: 1000, count: 5000) == Array(testBytes(20_000 + i * 3000, seed: UInt64(i))[1000..<6000]),
                        "ranged GET \(i)")
                #expect(try await store.list(prefix: "index/").map(\.key) == (0..<6).map { "index/\($0)" }, "LIST \(i)")
            }
            retries.withLock { $0 = store.retries }
        }
        #expect((report.faults["truncate"] ?? 0) >= 6, "\(report)")
        #expect(retries.withLock { $0 } == report.totalFaults, "\(report)")
    }

    @Test func persistentSlowDownGivesUpAfterMaxAttempts() async throws {
        let report = try await throughProxy(failEvery: 1, faults: ["503"], configure: { $0.retry.maxAttempts = 3 }) { store async throws in
            let e = try #require(await storeError { try await store.put("a", data: [1]) })
            #expect(e.kind == .server, "\(e)")
            #expect(e.message.contains("SlowDown") && e.message.contains("503"), "\(e)")
            #expect(store.retries == 2)
        }
        #expect(report.requests == 3)
    }

    @Test func persistentConnectionLossIsATransportError() async throws {
        let report = try await throughProxy(failEvery: 1, faults: ["reset"], configure: { $0.retry.maxAttempts = 4 }) { store async throws in
            let e = try #require(await storeError { try await store.get("a") })
            #expect(e.kind == .transport, "\(e)")
            #expect(e.message.contains("4 attempts"), "\(e)")
        }
        #expect(report.requests == 4)
    }
}
