import CairnTestSupport
import CairnStore
import Foundation
import Testing

@testable import CairnS3

/// A temporary home directory with `.aws/credentials` and `.aws/config` as given; removed by `cleanup()`.
struct TempHome {
    let path: String

    init(credentials: String? = nil, config: String? = nil) throws {
        path = NSTemporaryDirectory() + "cairn-aws-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path + "/.aws", withIntermediateDirectories: true)
        if let credentials { try credentials.write(toFile: path + "/.aws/credentials", atomically: true, encoding: .utf8) }
        if let config { try config.write(toFile: path + "/.aws/config", atomically: true, encoding: .utf8) }
    }

    func write(_ relative: String, _ text: String) throws -> String {
        let p = path + "/" + relative
        try text.write(toFile: p, atomically: true, encoding: .utf8)
        return p
    }

    func cleanup() { try? FileManager.default.removeItem(atPath: path) }
}

func resolveError(_ env: [String: String], home: String, endpoint: String? = nil, profile: String? = nil) -> ObjectStoreError? {
    do {
        let c = try S3Configuration.resolve(environment: env, homeDirectory: home, endpointOverride: endpoint, profile: profile)
        Issue.record("expected a configuration error, got \(c)")
        return nil
    } catch {
        return error
    }
}

@Suite struct S3ConfigurationTests {
    static let credentials = """
        [default]
        aws_access_key_id = FILEDEFAULT
        aws_secret_access_key = filedefaultsecret

        # a comment
        [work]
        aws_access_key_id=FILEWORK
        aws_secret_access_key = fileworksecret ; inline comment
        aws_session_token = worktoken
        """
    static let config = """
        [default]
        region = eu-central-1

        [profile work]
        region = ap-south-1
        endpoint_url = http://127.0.0.1:9000
        s3 =
          addressing_style = path

        [profile configonly]
        aws_access_key_id = CONFIGONLY
        aws_secret_access_key = configonlysecret
        region = us-west-2

        [sso-session corp]
        sso_region = us-east-1
        """

    @Test func environmentBeatsFiles() throws {
        let home = try TempHome(credentials: Self.credentials, config: Self.config)
        defer { home.cleanup() }
        let env = ["AWS_ACCESS_KEY_ID": "ENVKEY", "AWS_SECRET_ACCESS_KEY": "envsecret", "AWS_SESSION_TOKEN": "envtoken", "AWS_REGION": "sa-east-1"]
        let c = try S3Configuration.resolve(environment: env, homeDirectory: home.path)
        #expect(c.credentials == AWSCredentials(accessKeyId: "ENVKEY", secretAccessKey: "envsecret", sessionToken: "envtoken"))
        #expect(c.region == "sa-east-1")
        #expect(c.endpoint == nil)
    }

    @Test func defaultProfileFromFiles() throws {
        let home = try TempHome(credentials: Self.credentials, config: Self.config)
        defer { home.cleanup() }
        let c = try S3Configuration.resolve(environment: [:], homeDirectory: home.path)
        #expect(c.credentials == AWSCredentials(accessKeyId: "FILEDEFAULT", secretAccessKey: "filedefaultsecret"))
        #expect(c.region == "eu-central-1")
        #expect(c.endpoint == nil)
        #expect(c.maxConcurrentRequests == 8 && c.multipartThreshold == 64 << 20 && c.partSize == 16 << 20 && c.listPageSize == 1000)
    }

    @Test func namedProfileFromVariableAndFlag() throws {
        let home = try TempHome(credentials: Self.credentials, config: Self.config)
        defer { home.cleanup() }
        let viaVariable = try S3Configuration.resolve(environment: ["AWS_PROFILE": "work"], homeDirectory: home.path)
        #expect(viaVariable.credentials == AWSCredentials(accessKeyId: "FILEWORK", secretAccessKey: "fileworksecret", sessionToken: "worktoken"))
        #expect(viaVariable.region == "ap-south-1")
        #expect(viaVariable.endpoint == "http://127.0.0.1:9000")

        let viaFlag = try S3Configuration.resolve(environment: ["AWS_PROFILE": "default"], homeDirectory: home.path, profile: "work")
        #expect(viaFlag.credentials.accessKeyId == "FILEWORK")

        let configOnly = try S3Configuration.resolve(environment: [:], homeDirectory: home.path, profile: "configonly")
        #expect(configOnly.credentials == AWSCredentials(accessKeyId: "CONFIGONLY", secretAccessKey: "configonlysecret"))
        #expect(configOnly.region == "us-west-2")
    }

    @Test func explicitProfileBeatsEnvironmentKeysButVariableProfileDoesNot() throws {
        let home = try TempHome(credentials: Self.credentials, config: Self.config)
        defer { home.cleanup() }
        let env = ["AWS_ACCESS_KEY_ID": "ENVKEY", "AWS_SECRET_ACCESS_KEY": "envsecret", "AWS_PROFILE": "work"]
        #expect(try S3Configuration.resolve(environment: env, homeDirectory: home.path).credentials.accessKeyId == "ENVKEY")
        #expect(try S3Configuration.resolve(environment: env, homeDirectory: home.path, profile: "work").credentials.accessKeyId == "FILEWORK")
    }

    @Test func regionPrecedence() throws {
        let home = try TempHome(credentials: Self.credentials, config: Self.config)
        defer { home.cleanup() }
        func region(_ env: [String: String]) throws -> String {
            try S3Configuration.resolve(environment: env, homeDirectory: home.path).region
        }
        #expect(try region(["AWS_REGION": "r1", "AWS_DEFAULT_REGION": "r2"]) == "r1")
        #expect(try region(["AWS_DEFAULT_REGION": "r2"]) == "r2")
        #expect(try region([:]) == "eu-central-1")
        #expect(try region(["AWS_REGION": ""]) == "eu-central-1", "an empty variable counts as unset")
    }

    @Test func endpointPrecedence() throws {
        let home = try TempHome(credentials: Self.credentials, config: Self.config)
        defer { home.cleanup() }
        func endpoint(_ env: [String: String], _ flag: String? = nil) throws -> String? {
            try S3Configuration.resolve(environment: env.merging(["AWS_PROFILE": "work"]) { a, _ in a }, homeDirectory: home.path, endpointOverride: flag).endpoint
        }
        let both = ["AWS_ENDPOINT_URL_S3": "http://s3only:1", "AWS_ENDPOINT_URL": "http://general:2"]
        #expect(try endpoint(both, "https://flag.example:3/") == "https://flag.example:3")
        #expect(try endpoint(both) == "http://s3only:1")
        #expect(try endpoint(["AWS_ENDPOINT_URL": "http://general:2"]) == "http://general:2")
        #expect(try endpoint([:]) == "http://127.0.0.1:9000")
        #expect(try endpoint(["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true", "AWS_ENDPOINT_URL": "http://general:2"]) == nil)
        #expect(try endpoint(["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"], "http://flag:4") == "http://flag:4")
        #expect(try endpoint(["AWS_ENDPOINT_URL": "https://host:443"]) == "https://host", "the default port is dropped")
    }

    @Test func fileLocationOverrides() throws {
        let home = try TempHome()
        defer { home.cleanup() }
        let creds = try home.write("creds.ini", "[default]\naws_access_key_id = ELSEWHERE\naws_secret_access_key = s\n")
        let conf = try home.write("conf.ini", "[default]\nregion = eu-north-1\n")
        let c = try S3Configuration.resolve(
            environment: ["AWS_SHARED_CREDENTIALS_FILE": creds, "AWS_CONFIG_FILE": conf], homeDirectory: home.path)
        #expect(c.credentials.accessKeyId == "ELSEWHERE")
        #expect(c.region == "eu-north-1")
        // `~/` in the variables means the home directory given.
        let tilde = try S3Configuration.resolve(
            environment: ["AWS_SHARED_CREDENTIALS_FILE": "~/creds.ini", "AWS_CONFIG_FILE": "~/conf.ini"], homeDirectory: home.path)
        #expect(tilde.credentials.accessKeyId == "ELSEWHERE")
    }

    @Test func regionDefaultsOnlyWithAnEndpoint() throws {
        let home = try TempHome()
        defer { home.cleanup() }
        let keys = ["AWS_ACCESS_KEY_ID": "K", "AWS_SECRET_ACCESS_KEY": "S"]
        #expect(try S3Configuration.resolve(environment: keys, homeDirectory: home.path, endpointOverride: "http://127.0.0.1:8333").region == "us-east-1")
        let e = try #require(resolveError(keys, home: home.path))
        #expect(e.kind == .configuration)
        #expect(e.message.contains("AWS_REGION") && e.message.contains("AWS_DEFAULT_REGION"), "\(e)")
        #expect(e.hint?.contains("AWS_REGION") == true)
    }

    @Test func missingCredentialsSayWhereItLooked() throws {
        let home = try TempHome(config: "[default]\nregion = eu-west-1\n")
        defer { home.cleanup() }
        let e = try #require(resolveError([:], home: home.path))
        #expect(e.kind == .configuration)
        for part in ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", home.path + "/.aws/credentials (no such file)", "[default] in " + home.path + "/.aws/config"] {
            #expect(e.message.contains(part), "missing \(part) in: \(e.message)")
        }

        let half = try #require(resolveError(["AWS_ACCESS_KEY_ID": "K", "AWS_REGION": "x"], home: home.path))
        #expect(half.kind == .configuration)
        #expect(half.message.contains("AWS_SECRET_ACCESS_KEY is not"), "\(half)")

        let ssoHome = try TempHome(config: "[profile sso]\nsso_session = corp\nregion = eu-west-1\n")
        defer { ssoHome.cleanup() }
        let sso = try #require(resolveError([:], home: ssoHome.path, profile: "sso"))
        #expect(sso.message.contains("[profile sso] in"), "\(sso)")
        #expect(sso.hint?.contains("SSO") == true)
    }

    @Test func unknownProfileIsAnError() throws {
        let home = try TempHome(credentials: Self.credentials, config: Self.config)
        defer { home.cleanup() }
        let e = try #require(resolveError(["AWS_PROFILE": "nope"], home: home.path))
        #expect(e.kind == .configuration)
        #expect(e.message.contains("'nope'"), "\(e)")
        #expect(resolveError([:], home: home.path, profile: "nope")?.kind == .configuration)
    }

    @Test func badEndpointIsAnError() throws {
        let home = try TempHome(credentials: Self.credentials)
        defer { home.cleanup() }
        for bad in ["127.0.0.1:9000", "ftp://x", "http://", "http://host:99999", "http://host/path"] {
            #expect(resolveError([:], home: home.path, endpoint: bad)?.kind == .configuration, "\(bad)")
        }
    }

    @Test func openParsesTheURLAndChecksTheBucket() async throws {
        let env = ["AWS_ACCESS_KEY_ID": "K", "AWS_SECRET_ACCESS_KEY": "S", "HOME": "/nonexistent"]
        #expect(throws: ObjectStoreError.self) { try S3ObjectStore.open(url: "/local/dir", environment: env, endpointOverride: "http://127.0.0.1:1") }
        #expect(throws: ObjectStoreError.self) { try S3ObjectStore.open(url: "s3://Bad_Bucket/x", environment: env, endpointOverride: "http://127.0.0.1:1") }
        let store = try S3ObjectStore.open(url: "s3://bucket-x/some/prefix", environment: env, endpointOverride: "http://127.0.0.1:1")
        #expect(store.location == "s3://bucket-x/some/prefix/ at http://127.0.0.1:1")
        #expect(store.s3Location.prefix == "some/prefix/")
        await store.close()
    }

    @Test func unreachableServerIsATransportErrorAfterRetries() async throws {
        // A port nobody listens on: connection refused on every attempt.
        let port = try ListeningSocket.closedPort()
        let env = ["AWS_ACCESS_KEY_ID": "K", "AWS_SECRET_ACCESS_KEY": "S", "HOME": "/nonexistent"]
        var c = try S3Configuration.resolve(environment: env, homeDirectory: "/nonexistent", endpointOverride: "http://127.0.0.1:\(port)")
        c.retry = S3RetryPolicy(maxAttempts: 3, baseDelay: 0.001, maxDelay: 0.002)
        let fast = try S3ObjectStore(location: S3Location(bucket: "bucket-x", prefix: "p"), configuration: c)
        let e = await storeError { try await fast.get("k") }
        await fast.close()
        #expect(e?.kind == .transport, "\(String(describing: e))")
        #expect(e?.message.contains("3 attempts") == true)
        #expect(fast.retries == 2)
        #expect(fast.requestCounts.gets == 3)
    }
}

/// A TCP port on 127.0.0.1 that was free a moment ago and that nothing listens on.
enum ListeningSocket {
    static func closedPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HelperProcess.Failure("socket() failed") }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw HelperProcess.Failure("bind() failed") }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        guard named == 0 else { throw HelperProcess.Failure("getsockname() failed") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}
