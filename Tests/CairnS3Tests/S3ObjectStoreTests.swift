import CairnTestSupport
import CairnS3
import CairnStore
import Foundation
import Testing

/// Deterministic pseudo-random bytes (xorshift64*), so a failure reproduces.
func testBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
    var out = [UInt8](repeating: 0, count: count)
    var i = 0
    while i < count {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        var word = state &* 0x2545_F491_4F6C_DD1D
        for _ in 0..<8 where i < count {
            out[i] = UInt8(truncatingIfNeeded: word)
            word >>= 8
            i += 1
        }
    }
    return out
}

/// The kind of the error `body` throws, failing the test when it throws something else or nothing.
func storeError<T>(_ body: () async throws -> T) async -> ObjectStoreError? {
    do {
        _ = try await body()
        Issue.record("expected an ObjectStoreError, but the call succeeded")
        return nil
    } catch let e as ObjectStoreError {
        return e
    } catch {
        Issue.record("expected an ObjectStoreError, got \(error)")
        return nil
    }
}

@Suite(.s3Servers(.weed, .moto))
struct S3ObjectStoreTests {
    @Test(arguments: S3TestServer.Kind.allCases)
    func putGetHeadRangeDelete(_ kind: S3TestServer.Kind) async throws {
        try await S3TestServer.running(kind).withStore { store async throws in
            let data = testBytes(100_000, seed: 1)
            try await store.put("packs/ab/abcdef", data: data)
            #expect(try await store.get("packs/ab/abcdef") == data)

            let info = try #require(try await store.head("packs/ab/abcdef"))
            #expect(info.key == "packs/ab/abcdef")
            #expect(info.size == 100_000)
            let now = Date().timeIntervalSince1970
            #expect(abs(info.modified - now) < 3600, "Last-Modified \(info.modified) is far from now \(now)")

            #expect(try await store.get("packs/ab/abcdef", offset: 1000, count: 5000) == Array(data[1000..<6000]))
            #expect(try await store.get("packs/ab/abcdef", offset: 99_999, count: 1) == [data[99_999]])
            #expect(try await store.get("packs/ab/abcdef", offset: 100_000, count: 0) == [])
            #expect(await storeError { try await store.get("packs/ab/abcdef", offset: 99_990, count: 20) }?.kind == .shortRead)
            #expect(await storeError { try await store.get("packs/ab/abcdef", offset: 200_000, count: 10) }?.kind == .shortRead)

            // Replacing keeps one whole object.
            let second = testBytes(10, seed: 2)
            try await store.put("packs/ab/abcdef", data: second)
            #expect(try await store.get("packs/ab/abcdef") == second)

            // An empty object is an object.
            try await store.put("config", data: [])
            #expect(try await store.get("config") == [])
            #expect(try await store.head("config")?.size == 0)

            #expect(try await store.head("nothing/here") == nil)
            let missing = await storeError { try await store.get("nothing/here") }
            #expect(missing?.kind == .notFound)
            #expect(missing?.place.contains("s3://") == true)
            #expect(await storeError { try await store.get("nothing/here", offset: 0, count: 4) }?.kind == .notFound)

            try await store.delete("packs/ab/abcdef")
            #expect(try await store.head("packs/ab/abcdef") == nil)
            try await store.delete("packs/ab/abcdef")  // absent: fine
            #expect(await storeError { try await store.get("packs/ab/abcdef") }?.kind == .notFound)
        }
    }

    @Test(arguments: S3TestServer.Kind.allCases)
    func requestCountsAreExact(_ kind: S3TestServer.Kind) async throws {
        try await S3TestServer.running(kind).withStore { store async throws in
            try await store.put("a", data: testBytes(1000, seed: 3))
            _ = try await store.get("a")
            let beforeRange = store.requestCounts.bytesReceived
            _ = try await store.get("a", offset: 10, count: 10)
            #expect(store.requestCounts.bytesReceived - beforeRange == 10, "a ranged GET transfers only the range")
            _ = try await store.head("a")
            _ = try await store.list(prefix: "")
            try await store.delete("a")
            let c = store.requestCounts
            #expect(store.retries == 0)
            #expect(c.puts == 1 && c.gets == 2 && c.heads == 1 && c.lists == 1 && c.deletes == 1, "\(c)")
            #expect(c.bytesSent == 1000)
            #expect(c.bytesReceived >= 1010)  // both GET bodies, and the list page
        }
    }

    @Test(arguments: S3TestServer.Kind.allCases)
    func listPaginatesAndStripsThePrefix(_ kind: S3TestServer.Kind) async throws {
        try await S3TestServer.running(kind).withStore(configure: { $0.listPageSize = 2 }) { store async throws in
            var expected: [String: Int] = [:]
            for i in 0..<7 {
                let key = "packs/\(String(format: "%02x", i * 37))/pack-\(i)"
                expected[key] = i * 11
                try await store.put(key, data: testBytes(i * 11, seed: UInt64(i)))
            }
            try await store.put("index/one", data: [1])
            try await store.put("index/two", data: [2, 2])
            let before = store.requestCounts.lists

            let packs = try await store.list(prefix: "packs/")
            #expect(store.requestCounts.lists - before == 4, "7 keys at 2 per page take 4 pages")
            #expect(packs.map(\.key) == expected.keys.sorted())
            for entry in packs {
                #expect(entry.size == UInt64(expected[entry.key] ?? -1))
                #expect(abs(entry.modified - Date().timeIntervalSince1970) < 3600)
            }
            #expect(try await store.list(prefix: "").count == 9)
            #expect(try await store.list(prefix: "index/").map(\.key) == ["index/one", "index/two"])
            #expect(try await store.list(prefix: "index/t").map(\.key) == ["index/two"])
            #expect(try await store.list(prefix: "snapshots/").isEmpty)
        }
    }

    @Test(arguments: S3TestServer.Kind.allCases)
    func keysWithUnusualCharactersRoundTrip(_ kind: S3TestServer.Kind) async throws {
        try await S3TestServer.running(kind).withStore { store async throws in
            let keys = ["odd/a b", "odd/plus+sign", "odd/eq=amp&q?", "odd/tilde~dash-dot._", "odd/ü€"]
            for (i, key) in keys.enumerated() { try await store.put(key, data: [UInt8(i)]) }
            for (i, key) in keys.enumerated() {
                #expect(try await store.get(key) == [UInt8(i)], "\(key)")
                #expect(try await store.head(key)?.size == 1, "\(key)")
            }
            #expect(Set(try await store.list(prefix: "odd/").map(\.key)) == Set(keys))
        }
    }

    @Test(arguments: S3TestServer.Kind.allCases)
    func createIfAbsentAndProbe(_ kind: S3TestServer.Kind) async throws {
        try await S3TestServer.running(kind).withStore { store async throws in
            let first = Array("manifest one".utf8)
            #expect(try await store.create("snapshots/0001", data: first) == .created)
            #expect(try await store.create("snapshots/0001", data: Array("manifest two".utf8)) == .alreadyExists)
            #expect(try await store.create("snapshots/0001", data: first) == .alreadyExists)
            #expect(try await store.get("snapshots/0001") == first)

            #expect(try await store.probeConditionalCreate() == true)
            #expect(try await store.list(prefix: "locks/").isEmpty, "the probe removes its object")
        }
    }

    @Test(arguments: S3TestServer.Kind.allCases)
    func racingCreatesHaveOneWinner(_ kind: S3TestServer.Kind) async throws {
        try await S3TestServer.running(kind).withStore { store async throws in
            let outcomes = try await withThrowingTaskGroup(of: (Int, CreateOutcome).self) { group in
                for i in 0..<8 {
                    group.addTask { (i, try await store.create("locks/writer", data: Array("writer \(i)".utf8))) }
                }
                var all: [(Int, CreateOutcome)] = []
                for try await o in group { all.append(o) }
                return all
            }
            let winners = outcomes.filter { $0.1 == .created }.map(\.0)
            #expect(winners.count == 1, "\(outcomes)")
            if let w = winners.first {
                #expect(try await store.get("locks/writer") == Array("writer \(w)".utf8))
            }
        }
    }

    @Test(arguments: S3TestServer.Kind.allCases)
    func multipartUploads(_ kind: S3TestServer.Kind) async throws {
        let configure: (inout S3Configuration) -> Void = {
            $0.partSize = 5 << 20
            $0.multipartThreshold = 5 << 20
            $0.maxConcurrentRequests = 3
        }
        try await S3TestServer.running(kind).withStore(configure: configure) { store async throws in
            let data = testBytes(12 << 20 | 12_345, seed: 42)
            try await store.put("packs/big", data: data)
            let c = store.requestCounts
            #expect(c.puts == 5, "create + 3 parts + complete: \(c)")
            #expect(try await store.head("packs/big")?.size == UInt64(data.count))
            #expect(try await store.get("packs/big") == data)
            let boundary = 5 << 20
            #expect(try await store.get("packs/big", offset: UInt64(boundary - 100), count: 200) == Array(data[(boundary - 100)..<(boundary + 100)]))

            // Create-if-absent through CompleteMultipartUpload.
            let other = testBytes(6 << 20, seed: 43)
            #expect(try await store.create("packs/big", data: other) == .alreadyExists)
            #expect(try await store.get("packs/big") == data, "a refused multipart create leaves the object alone")
            #expect(try await store.create("packs/big2", data: other) == .created)
            #expect(try await store.get("packs/big2") == other)
            #expect(store.retries == 0)
        }
    }

    @Test(arguments: S3TestServer.Kind.allCases)
    func wrongCredentialsAreAccessDenied(_ kind: S3TestServer.Kind) async throws {
        let server = try S3TestServer.running(kind)
        try await server.withStore(configure: { $0.credentials.secretAccessKey += "x" }) { store async throws in
            let e = try #require(await storeError { try await store.put("a", data: [1]) })
            #expect(e.kind == .accessDenied)
            #expect(e.message.contains("SignatureDoesNotMatch"), "\(e)")
            #expect(e.hint?.contains("AWS_SECRET_ACCESS_KEY") == true)
            #expect(await storeError { try await store.get("a") }?.kind == .accessDenied)
            #expect(await storeError { try await store.list(prefix: "") }?.kind == .accessDenied)
            #expect(await storeError { try await store.head("a") }?.kind == .accessDenied)
            #expect(store.retries == 0, "a refusal is final")
        }
        try await server.withStore(configure: { $0.credentials.accessKeyId = "AKIANOSUCHKEY0000000" }) { store async throws in
            let e = try #require(await storeError { try await store.get("a") })
            #expect(e.kind == .accessDenied)
            #expect(e.message.contains("InvalidAccessKeyId") || e.message.contains("SignatureDoesNotMatch") || e.message.contains("AccessDenied"), "\(e)")
        }
    }

    @Test(arguments: S3TestServer.Kind.allCases)
    func missingBucketIsNoSuchStore(_ kind: S3TestServer.Kind) async throws {
        let server = try S3TestServer.running(kind)
        try await server.withStore(bucket: "cairn-missing-\(UUID().uuidString.lowercased().prefix(8))") { store async throws in
            let e = try #require(await storeError { try await store.put("a", data: [1]) })
            #expect(e.kind == .noSuchStore, "\(e)")
            #expect(e.message.contains("NoSuchBucket"))
            #expect(e.hint != nil)
            #expect(await storeError { try await store.get("a") }?.kind == .noSuchStore)
            #expect(await storeError { try await store.list(prefix: "") }?.kind == .noSuchStore)
        }
    }

    @Test(arguments: S3TestServer.Kind.allCases)
    func createBucketIfMissing(_ kind: S3TestServer.Kind) async throws {
        let server = try S3TestServer.running(kind)
        try await server.withStore(bucket: "cairn-new-\(UUID().uuidString.lowercased().prefix(8))") { store async throws in
            try await store.createBucketIfMissing()
            try await store.createBucketIfMissing()
            try await store.put("x", data: [7])
            #expect(try await store.get("x") == [7])
        }
    }

    @Test(arguments: S3TestServer.Kind.allCases)
    func openFromTheEnvironment(_ kind: S3TestServer.Kind) async throws {
        let server = try S3TestServer.running(kind)
        let env = server.environment.merging(["HOME": "/nonexistent"]) { a, _ in a }
        let store = try S3ObjectStore.open(url: server.url(), environment: env)
        do {
            try await store.put("config", data: Array("{}".utf8))
            #expect(try await store.get("config") == Array("{}".utf8))
            #expect(store.location.hasPrefix("s3://\(server.bucket)/t-") && store.location.hasSuffix(" at \(server.endpoint)"))
        } catch {
            await store.close()
            throw error
        }
        await store.close()
    }
}
