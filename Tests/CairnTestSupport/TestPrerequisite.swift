import Foundation
import Testing

/// The one policy for the real parts tests need beyond Swift (a browser, a JVM with Flink; the S3 servers follow it
/// in `S3TestServer`): `make test` installs them (scripts/install-deps.sh test). A test whose part is missing fails
/// and names the part and the command that installs it. Only an explicit opt-out (`CAIRN_SKIP_<PART>=1`) skips the
/// test, and the reason shows in the test summary.
public struct TestPrerequisite: Sendable {
    /// What is needed, for messages: "Chromium", "Flink 2.3 and Java 17".
    public let name: String
    /// The variable that opts out of the tests needing it.
    public let optOutVariable: String
    /// Where it was found; nil when missing.
    public let location: String?

    /// True unless the user opted out; use as `.enabled(if: part.wanted, part.skipComment)`.
    public var wanted: Bool { ProcessInfo.processInfo.environment[optOutVariable] == nil }

    public var skipComment: Comment { Comment(rawValue: "\(optOutVariable) is set: \(name) is not used, so this test did not run") }

    /// The failure message for a test that needs this part and cannot find it.
    public var missingMessage: String {
        "\(name) is missing; `make test` installs it (scripts/install-deps.sh test), or set \(optOutVariable)=1 to skip this test"
    }

    /// Debian's headless Chromium.
    public static let chromium = TestPrerequisite(
        name: "Chromium", optOutVariable: "CAIRN_SKIP_CHROMIUM",
        location: ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) })

    /// Flink's jars of `version` (FLINK_BASE, else the repository's .build/flink cache that install-deps fills, else
    /// /tmp) and a JDK. The restore check needs 2.3; the JVM dump comparison every fixture version.
    public static func flink(repository: URL, version: String = "2.3.0") -> TestPrerequisite {
        let fm = FileManager.default
        let bases: [String?] = [ProcessInfo.processInfo.environment["FLINK_BASE"], repository.appendingPathComponent(".build/flink").path, "/tmp"]
        let base = bases.compactMap { $0 }.first { fm.fileExists(atPath: "\($0)/flink-\(version)/lib/flink-dist-\(version).jar") }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let jdk = path.split(separator: ":").contains { fm.isExecutableFile(atPath: "\($0)/java") && fm.isExecutableFile(atPath: "\($0)/javac") }
        return TestPrerequisite(name: "Flink \(version) (apache-flink-libraries) and Java 17", optOutVariable: "CAIRN_SKIP_FLINK", location: jdk ? base : nil)
    }
}
