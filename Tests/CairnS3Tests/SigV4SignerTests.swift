import CairnS3
import CairnStore
import Foundation
import Testing

/// AWS's published SigV4 suite (see aws-sig-v4-test-suite/README.md for origin and license).
@Suite("SigV4 signer against AWS's test suite")
struct SigV4SignerTests {
    static let suite = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("aws-sig-v4-test-suite")

    static let cases: [String] = {
        ((try? FileManager.default.contentsOfDirectory(atPath: suite.path)) ?? [])
            .filter { FileManager.default.fileExists(atPath: suite.appendingPathComponent($0).appendingPathComponent("request.txt").path) }
            .sorted()
    }()

    static func percentDecode(_ s: Substring) -> String {
        var bytes: [UInt8] = []
        var i = s.utf8.startIndex
        let u = s.utf8
        while i < u.endIndex {
            if u[i] == UInt8(ascii: "%"), let end = u.index(i, offsetBy: 3, limitedBy: u.endIndex),
               let v = UInt8(String(decoding: u[u.index(after: i)..<end], as: UTF8.self), radix: 16) {
                bytes.append(v)
                i = end
            } else {
                bytes.append(u[i])
                i = u.index(after: i)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Parses `request.txt`: request line, headers (continuation lines folded), blank line, body.
    static func parse(_ text: String) -> (SigV4Signer.Request, [UInt8]) {
        let parts = text.components(separatedBy: "\n\n")
        let head = parts[0].components(separatedBy: "\n")
        let body = Array(parts.dropFirst().joined(separator: "\n\n").utf8)
        let line = head[0]
        let method = String(line.prefix { $0 != " " })
        let target = String(line.dropFirst(method.count + 1).dropLast(" HTTP/1.1".count))
        let pathPart = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        var query: [(String, String)] = []
        if pathPart.count > 1 {
            for pair in pathPart[1].split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                query.append((percentDecode(kv[0]), kv.count > 1 ? percentDecode(kv[1]) : ""))
            }
        }
        var headers: [(String, String)] = []
        for h in head.dropFirst() where !h.isEmpty {
            if h.first == " " || h.first == "\t", let last = headers.popLast() {
                headers.append((last.0, last.1 + " " + h.trimmingCharacters(in: .whitespaces)))
            } else if let colon = h.firstIndex(of: ":") {
                headers.append((String(h[..<colon]), String(h[h.index(after: colon)...])))
            }
        }
        return (SigV4Signer.Request(method: method, path: String(pathPart[0]), query: query, headers: headers), body)
    }

    @Test("the suite is present")
    func present() { #expect(Self.cases.count >= 30, "\(Self.cases.count) cases") }

    @Test("canonical request, string to sign and signature match", arguments: cases)
    func matches(name: String) throws {
        let dir = Self.suite.appendingPathComponent(name)
        func read(_ f: String) throws -> String { try String(contentsOf: dir.appendingPathComponent(f), encoding: .utf8) }
        let context = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("context.json"))) as? [String: Any])
        let creds = try #require(context["credentials"] as? [String: Any])
        let signer = SigV4Signer(
            credentials: AWSCredentials(accessKeyId: creds["access_key_id"] as! String, secretAccessKey: creds["secret_access_key"] as! String,
                                        sessionToken: creds["token"] as? String),
            region: context["region"] as! String, service: context["service"] as! String)
        let options = SigV4Signer.Options(normalizePath: context["normalize"] as? Bool ?? true, signPayloadHeader: context["sign_body"] as? Bool ?? false,
                                          omitSessionTokenFromSignature: context["omit_session_token"] as? Bool ?? false)
        let time = SigV4Signer.Timestamp(year: 2015, month: 8, day: 30, hour: 12, minute: 36, second: 0)
        let (request, body) = Self.parse(try read("request.txt"))
        let payload = SigV4Signer.sha256Hex(body)
        var withDate = request
        withDate.headers.append(("x-amz-date", time.amzDate))
        if options.signPayloadHeader { withDate.headers.append(("x-amz-content-sha256", payload)) }
        if let t = signer.credentials.sessionToken, !options.omitSessionTokenFromSignature { withDate.headers.append(("x-amz-security-token", t)) }
        let (canonical, _) = signer.canonicalRequest(withDate, payloadHash: payload, normalizePath: options.normalizePath)
        #expect(canonical == (try read("header-canonical-request.txt")), "\(name): canonical request")
        let toSign = signer.stringToSign(canonical, at: time)
        #expect(toSign == (try read("header-string-to-sign.txt")), "\(name): string to sign")
        let expected = try read("header-signature.txt").trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(signer.signature(toSign, at: time) == expected, "\(name): signature")
        // The full sign() produces the same signature in its Authorization header.
        let signed = signer.sign(request, payloadHash: payload, at: time, options: options)
        #expect(signed.headers.contains { $0.0 == "Authorization" && $0.1.hasSuffix("Signature=\(expected)") }, "\(name): Authorization header")
    }

    @Test("timestamps from epoch seconds")
    func timestamps() {
        #expect(SigV4Signer.Timestamp(epochSeconds: 1_440_938_160).amzDate == "20150830T123600Z")
        #expect(SigV4Signer.Timestamp(epochSeconds: 0).amzDate == "19700101T000000Z")
        #expect(SigV4Signer.Timestamp(epochSeconds: 951_782_400).date == "20000229")
    }
}
