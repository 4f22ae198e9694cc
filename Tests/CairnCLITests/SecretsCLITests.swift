import CairnTestProcesses
import CairnTestSupport
import Foundation
import Testing

/// Secrets never appear in what Cairn prints: failing commands against a real SeaweedFS (wrong secret → 403, a bad or
/// unreachable endpoint, credentials in URLs, a profile file), each with `--json` and without, and every byte of
/// stdout and stderr searched for the secret key, the session token and the profile file's secrets.
@Suite(.s3Servers(.weed))
struct SecretsCLITests {
    @Test("failing S3 commands never print the secret key, the session token or a password from a URL")
    func secretsStayOut() async throws {
        let server = try S3TestServer.running(.weed)
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let tag = UUID().uuidString.prefix(8)
        let wrongSecret = "WrongSecret\(tag)xyz", token = "SessionToken\(tag)xyz", urlPassword = "UrlPassword\(tag)xyz"
        let profileSecret = "ProfileSecret\(tag)xyz", profileToken = "ProfileToken\(tag)xyz"
        let secrets = [server.secretAccessKey, wrongSecret, token, urlPassword, profileSecret, profileToken]
        let credentials = dir.appendingPathComponent("credentials").path
        try Data("""
            [hostile]
            aws_access_key_id = AKIDPROFILE\(tag)
            aws_secret_access_key = \(profileSecret)
            aws_session_token = \(profileToken)
            """.utf8).write(to: URL(fileURLWithPath: credentials))
        let native = CLI.root.appendingPathComponent("Fixtures/cairn/tiny-seed1-chk1.cairn").path
        let store = server.url()
        let base = server.environment.merging(["AWS_SHARED_CREDENTIALS_FILE": credentials, "AWS_CONFIG_FILE": dir.appendingPathComponent("none").path]) { $1 }
        let out = dir.appendingPathComponent("out").path

        // (what, arguments, extra environment, the exit status it must end with)
        let cases: [(String, [String], [String: String], Int32)] = [
            ("wrong secret (403)", ["push", native, store, "--endpoint", server.endpoint], ["AWS_SECRET_ACCESS_KEY": wrongSecret], 2),
            ("wrong secret with a session token", ["snapshots", store, "--endpoint", server.endpoint],
             ["AWS_SECRET_ACCESS_KEY": wrongSecret, "AWS_SESSION_TOKEN": token], 2),
            ("right secret, bogus session token", ["pull", store, "latest", out, "--endpoint", server.endpoint], ["AWS_SESSION_TOKEN": token], 2),
            ("profile file secrets (--profile)", ["prune", store, "--keep-last", "1", "--endpoint", server.endpoint, "--profile", "hostile"], [:], 2),
            ("password in the endpoint", ["push", native, store, "--endpoint", "http://user:\(urlPassword)@" + server.endpoint.dropFirst(7)], [:], 2),
            ("password in AWS_ENDPOINT_URL", ["snapshots", store], ["AWS_ENDPOINT_URL": "http://key:\(urlPassword)@127.0.0.1:9"], 2),
            ("odd scheme with a password", ["snapshots", store, "--endpoint", "ftp://u:\(urlPassword)@127.0.0.1"], [:], 2),
            ("file scheme endpoint", ["snapshots", store, "--endpoint", "file:///etc/passwd"], [:], 2),
            ("password in the store URL", ["snapshots", "s3://u:\(urlPassword)@" + store.dropFirst(5), "--endpoint", server.endpoint], [:], 2),
            ("password in a push source URL", ["push", "s3://u:\(urlPassword)@bucket/chk-1", dir.appendingPathComponent("local").path,
                                               "--endpoint", server.endpoint], [:], 2),
        ]
        for (what, args, env, status) in cases {
            for json in [false, true] {
                let r = try await CLI.runDetached(args + (json ? ["--json"] : []), environment: base.merging(env) { $1 })
                #expect(r.status == status, "\(what) \(json ? "--json" : ""): exit \(r.status): \(r.stderr)")
                #expect(!r.stderr.isEmpty, "\(what): says nothing")
                for secret in secrets {
                    #expect(!(r.stdout + r.stderr).contains(secret), "\(what) \(json ? "--json" : ""): prints a secret: \(r.stdout)\(r.stderr)")
                }
            }
        }
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test("an unreachable endpoint fails after its retries without printing the secret")
    func unreachable() async throws {
        let secret = "UnreachableSecret\(UUID().uuidString.prefix(8))"
        let env = ["AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": secret, "AWS_REGION": "us-east-1", "AWS_SESSION_TOKEN": secret + "T"]
        for json in [false, true] {
            let r = try await CLI.runDetached(["snapshots", "s3://bucket/p", "--endpoint", "http://127.0.0.1:9"] + (json ? ["--json"] : []), environment: env)
            #expect(r.status == 2, "\(r.stderr)")
            #expect(r.stderr.contains("127.0.0.1:9"), "\(r.stderr)")
            #expect(!(r.stdout + r.stderr).contains(secret), "\(r.stdout)\(r.stderr)")
        }
    }
}
