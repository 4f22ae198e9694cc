import CairnTestSupport
import CairnStore
import Foundation
import Testing

@testable import CairnS3

@Suite struct S3InternalsTests {
    @Test func iso8601AndHTTPDates() {
        #expect(S3Time.parseISO8601("1970-01-01T00:00:00Z") == 0)
        #expect(S3Time.parseISO8601("2026-11-22T05:59:35.000Z") == 1_795_327_175)
        #expect(S3Time.parseISO8601("2026-11-22T05:59:35.250Z") == 1_795_327_175.25)
        #expect(S3Time.parseISO8601("2026-11-22T06:59:35+01:00") == 1_795_327_175)
        #expect(S3Time.parseISO8601("2000-02-29T12:00:00Z") == 951_825_600)
        #expect(S3Time.parseISO8601("2026-13-01T00:00:00Z") == nil)
        #expect(S3Time.parseISO8601("2026-11-22 junk") == nil)
        #expect(S3Time.parseISO8601("2026-11-22T05:59:35.Z") == nil)
        #expect(S3Time.parseHTTPDate("Sun, 22 Nov 2026 05:59:35 GMT") == 1_795_327_175)
        #expect(S3Time.parseHTTPDate("Thu, 01 Jan 1970 00:00:00 GMT") == 0)
        #expect(S3Time.parseHTTPDate("Sun, 22 Nov 2026 05:59:35 PST") == nil)
    }

    @Test func endpoints() {
        #expect(S3Endpoint("http://127.0.0.1:8333")?.authority == "127.0.0.1:8333")
        #expect(S3Endpoint("HTTPS://Example.COM/")?.description == "https://example.com")
        #expect(S3Endpoint("http://host:80")?.authority == "host")
        #expect(S3Endpoint("https://host:80")?.authority == "host:80")
        #expect(S3Endpoint("http://[::1]:9000")?.authority == "[::1]:9000")
        for bad in ["host:1", "http://", "http://h:0", "http://h:x", "http://h/p", "http://u@h", "http://[::1"] {
            #expect(S3Endpoint(bad) == nil, "\(bad)")
        }
    }

    @Test func retryDelaysGrowAndStayBounded() {
        let p = S3RetryPolicy(maxAttempts: 8, baseDelay: 0.2, maxDelay: 20)
        #expect(p.delay(afterAttempt: 1, unit: 0.999_999) < 0.2 + 1e-9)
        #expect(p.delay(afterAttempt: 3, unit: 0.5) == 0.4)
        #expect(p.delay(afterAttempt: 30, unit: 1) == 20)
        #expect(p.delay(afterAttempt: 1000, unit: 1) == 20)
        #expect(p.delay(afterAttempt: 5, unit: 0) == 0)
    }

    @Test func xmlParsingIgnoresNamespacesAndDecodesEntities() throws {
        let xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><IsTruncated>true</IsTruncated>
            <Contents><Key>a&amp;b &lt;c&gt;</Key><ETag>&quot;abc&quot;</ETag><Size>12</Size></Contents>
            <Contents><Key><![CDATA[x<y]]></Key><Size>3</Size></Contents>
            <NextContinuationToken>tok/en==</NextContinuationToken></ListBucketResult>
            """
        let root = try #require(S3XMLElement.parse(Array(xml.utf8)))
        #expect(root.name == "ListBucketResult")
        #expect(root.children("Contents").map { $0.text("Key") } == ["a&b <c>", "x<y"])
        #expect(root.child("Contents")?.text("ETag") == "\"abc\"")
        #expect(root.text("NextContinuationToken") == "tok/en==")
        let prefixed = "<s3:Error xmlns:s3=\"urn:x\"><s3:Code>SlowDown</s3:Code></s3:Error>"
        #expect(S3XMLElement.parse(Array(prefixed.utf8))?.text("Code") == "SlowDown")
        #expect(S3XMLElement.parse(Array("<a><b></a>".utf8)) == nil)
        #expect(S3XMLElement.parse([]) == nil)
    }

    @Test func sharedFileParsing() {
        let text = "[default]\r\nregion = x # c\n\tnested = y\n[profile p q]\nk=v\n[profile  r ]\nk = w\n[services s]\nk = z\n"
        let config = AWSSharedFile.parse(text, kind: .config)
        #expect(config["default"] == ["region": "x"])
        #expect(config["p q"] == ["k": "v"])
        #expect(config["r"] == ["k": "w"])
        #expect(config.count == 3)
        let creds = AWSSharedFile.parse("[profile p]\nk=v\n", kind: .credentials)
        #expect(creds["profile p"] == ["k": "v"], "the credentials file has no 'profile' prefix")
    }

    @Test func addressingStyles() async throws {
        let creds = AWSCredentials(accessKeyId: "AK", secretAccessKey: "SK")
        let aws = try S3Transport(bucket: "my-bucket", configuration: S3Configuration(region: "eu-west-1", credentials: creds))
        let dotted = try S3Transport(bucket: "my.bucket", configuration: S3Configuration(region: "eu-west-1", credentials: creds))
        let custom = try S3Transport(bucket: "my-bucket", configuration: S3Configuration(endpoint: "http://127.0.0.1:9000", region: "us-east-1", credentials: creds))
        var forcedConfig = S3Configuration(endpoint: "http://minio.local:9000", region: "us-east-1", credentials: creds)
        forcedConfig.addressingStyle = .virtualHosted
        let forced = try S3Transport(bucket: "my-bucket", configuration: forcedConfig)
        let request = S3Transport.Request(kind: .get, method: "GET", key: "p/a b+c", query: [("partNumber", "2"), ("uploadId", "x/y=")])
        func url(_ t: S3Transport) -> (String, String?) {
            let (u, headers) = t.signedRequest(request, payloadHash: SigV4Signer.sha256Hex([]), contentMD5: nil)
            return (u, headers.first { $0.0 == "host" }?.1)
        }
        #expect(url(aws).0 == "https://my-bucket.s3.eu-west-1.amazonaws.com/p/a%20b%2Bc?partNumber=2&uploadId=x%2Fy%3D")
        #expect(url(aws).1 == "my-bucket.s3.eu-west-1.amazonaws.com")
        #expect(url(dotted).0.hasPrefix("https://s3.eu-west-1.amazonaws.com/my.bucket/p/"))
        #expect(url(custom).0.hasPrefix("http://127.0.0.1:9000/my-bucket/p/a%20b%2Bc?"))
        #expect(url(custom).1 == "127.0.0.1:9000")
        #expect(url(forced).1 == "my-bucket.minio.local:9000")
        let list = S3Transport.Request(kind: .list, method: "GET", key: nil, query: [("list-type", "2")])
        #expect(custom.signedRequest(list, payloadHash: "", contentMD5: nil).0 == "http://127.0.0.1:9000/my-bucket?list-type=2")
        #expect(aws.signedRequest(list, payloadHash: "", contentMD5: nil).0 == "https://my-bucket.s3.eu-west-1.amazonaws.com/?list-type=2")
        for t in [aws, dotted, custom, forced] { await t.shutdown() }
    }

    @Test func multipartETagMatchesS3sRule() {
        // MD5 of the concatenated part MD5s, then "-" and the part count (value from Python's hashlib).
        let data = Array("hello world".utf8)
        #expect(S3ObjectStore.multipartETag(data, ranges: [0..<5, 5..<11]) == "a56979024342128ecebc884e3442121b-2")
        #expect(S3ObjectStore.md5Hex(Array("hello".utf8)[...]) == "5d41402abc4b2a76b9719d911017c592")
        #expect(S3ObjectStore.unquote("W/\"abc\"") == "abc")
        #expect(S3ObjectStore.unquote("\"abc-3\"") == "abc-3")
    }

    @Test func rangedAnswers() {
        let whole = Array(0..<100).map { UInt8($0) }
        #expect(S3ObjectStore.rangeResult(status: 206, body: [5, 6], offset: 5, count: 2) == .bytes([5, 6]))
        #expect(S3ObjectStore.rangeResult(status: 206, body: [98, 99], offset: 98, count: 5) == .short(nil))
        #expect(S3ObjectStore.rangeResult(status: 200, body: whole, offset: 10, count: 3) == .bytes([10, 11, 12]))
        #expect(S3ObjectStore.rangeResult(status: 200, body: whole, offset: 97, count: 3) == .bytes([97, 98, 99]))
        #expect(S3ObjectStore.rangeResult(status: 200, body: whole, offset: 98, count: 3) == .short(100))
        #expect(S3ObjectStore.rangeResult(status: 200, body: whole, offset: 200, count: 1) == .short(100))
        #expect(S3ObjectStore.rangeResult(status: 416, body: [], offset: 200, count: 1) == .short(nil))
        #expect(S3ObjectStore.rangeResult(status: 500, body: [], offset: 0, count: 1) == .other)
    }

    @Test func putsCarrySignedContentMD5() async throws {
        let creds = AWSCredentials(accessKeyId: "AK", secretAccessKey: "SK")
        let t = try S3Transport(bucket: "b-b-b", configuration: S3Configuration(endpoint: "http://127.0.0.1:1", region: "us-east-1", credentials: creds))
        let put = S3Transport.Request(kind: .put, method: "PUT", key: "k", headers: [("if-none-match", "*")], body: [1, 2, 3], sendContentMD5: true)
        let (_, headers) = t.signedRequest(put, payloadHash: SigV4Signer.sha256Hex([1, 2, 3]), contentMD5: "UonBJPDJZx4fdTfmjwlUnQ==")
        await t.shutdown()
        #expect(headers.contains { $0.0 == "content-md5" && $0.1 == "UonBJPDJZx4fdTfmjwlUnQ==" })
        #expect(headers.contains { $0.0 == "x-amz-content-sha256" && $0.1 == SigV4Signer.sha256Hex([1, 2, 3]) })
        let auth = try #require(headers.first { $0.0 == "Authorization" }?.1)
        #expect(auth.contains("SignedHeaders=content-md5;host;if-none-match;x-amz-content-sha256;x-amz-date,"), "\(auth)")
    }

    @Test("unsafe keys and prefixes are refused before any request; URLs with credentials never reach a message")
    func unsafeKeysAndURLs() async throws {
        let creds = AWSCredentials(accessKeyId: "AK", secretAccessKey: "SecretKey1234", sessionToken: "Token5678")
        let config = S3Configuration(endpoint: "http://127.0.0.1:9", region: "us-east-1", credentials: creds)
        let store = try S3ObjectStore(location: S3Location(bucket: "bucket", prefix: "p"), configuration: config)
        for key in ["../x", "a//b", "a\u{0}b", "packs/a\nb", "index/\u{1b}[2J", "x\u{7f}"] {
            let e = await #expect(throws: ObjectStoreError.self) { try await store.put(key, data: [1]) }
            #expect(e?.kind == .configuration, "\(key.debugDescription): \(e?.description ?? "")")
            await #expect(throws: ObjectStoreError.self) { _ = try await store.get(key) }
        }
        #expect(store.requestCounts.total == 0)
        await store.close()
        for prefix in ["a/../b", "a//b", "x\u{1b}y"] {
            let e = #expect(throws: ObjectStoreError.self) { try S3ObjectStore(location: S3Location(bucket: "bucket", prefix: prefix), configuration: config) }
            #expect(e?.message.contains("unsafe store location") == true)
        }
        let e = #expect(throws: ObjectStoreError.self) { try S3ObjectStore.open(url: "s3://user:Pass1234@bucket/p", environment: ["AWS_ACCESS_KEY_ID": "AK", "AWS_SECRET_ACCESS_KEY": "SecretKey1234", "AWS_REGION": "r"]) }
        #expect(e?.description.contains("Pass1234") == false, "\(e?.description ?? "")")
        for endpoint in ["http://user:Pass1234@127.0.0.1:9", "https://Pass1234@host", "ftp://u:Pass1234@host"] {
            let e = #expect(throws: ObjectStoreError.self) {
                try S3Configuration.resolve(environment: ["AWS_ACCESS_KEY_ID": "AK", "AWS_SECRET_ACCESS_KEY": "S"], homeDirectory: "/nonexistent", endpointOverride: endpoint)
            }
            #expect(e?.kind == .configuration)
            #expect(e?.description.contains("Pass1234") == false, "\(e?.description ?? "")")
            #expect(e?.description.contains("***") == true, "\(e?.description ?? "")")
        }
        #expect(creds.redacting("echo: SecretKey1234 and Token5678 and AK") == "echo: *** and *** and AK")
    }

    @Test func descriptionHidesTheSecret() {
        let c = S3Configuration(region: "r", credentials: AWSCredentials(accessKeyId: "AKVISIBLE", secretAccessKey: "s3cr3t", sessionToken: "t0k3n"))
        #expect(String(describing: c).contains("AKVISIBLE"))
        #expect(!String(describing: c).contains("s3cr3t") && !String(reflecting: c).contains("s3cr3t"))
        #expect(!String(describing: c).contains("t0k3n"))
    }

    @Test func limiterCapsConcurrency() async {
        let limiter = ConcurrencyLimiter(limit: 3)
        let peak = PeakCounter()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<40 {
                group.addTask {
                    await limiter.acquire()
                    await peak.enter()
                    await Task.yield()
                    await peak.leave()
                    await limiter.release()
                }
            }
        }
        #expect(await peak.peak <= 3)
        #expect(await peak.peak >= 1)
        #expect(await limiter.active == 0)
    }
}

private actor PeakCounter {
    var current = 0
    var peak = 0
    func enter() {
        current += 1
        peak = max(peak, current)
    }
    func leave() { current -= 1 }
}
