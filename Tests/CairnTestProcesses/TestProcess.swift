import Foundation

/// How tests run programs (the built `cairn`, python3, chromium, Flink's scripts): one place that wires pipes,
/// reads both of them fully before waiting (so a large output cannot block the child) and merges the environment.
/// The S3 servers, which must report readiness, start through `S3TestServer` in CairnTestSupport.
public enum TestProcess {
    public struct Output: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
        /// `.uncaughtSignal` when the program was killed.
        public var reason: Process.TerminationReason
    }

    /// Runs `executable` to its end. `environment` is merged over this process's; with `mergeOutput`, stderr goes
    /// into `stdout` (for scripts whose messages interleave).
    public static func run(_ executable: URL, _ arguments: [String], environment: [String: String] = [:],
                           mergeOutput: Bool = false) throws -> Output {
        let p = configured(executable, arguments, environment)
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = mergeOutput ? out : err
        try p.run()
        let group = DispatchGroup()
        nonisolated(unsafe) var errData = Data()
        if !mergeOutput {
            group.enter()
            DispatchQueue.global().async {
                errData = err.fileHandleForReading.readDataToEndOfFile()
                group.leave()
            }
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        p.waitUntilExit()
        return Output(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self), reason: p.terminationReason)
    }

    /// `run`, awaited on a thread of its own instead of one of Swift's cooperative pool. Tests that run programs for
    /// a minute or more (a Flink JVM) use it: on two cores the pool has two threads, and blocking both starves the
    /// async tests beside them (an S3 download stalls until its read times out).
    public static func runDetached(_ executable: URL, _ arguments: [String], environment: [String: String] = [:],
                                   mergeOutput: Bool = false) async throws -> Output {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                do {
                    continuation.resume(returning: try run(executable, arguments, environment: environment, mergeOutput: mergeOutput))
                } catch {
                    continuation.resume(throwing: error)
                }
            }.start()
        }
    }

    /// `runDetached` for a program found on PATH.
    public static func runDetached(command: String, _ arguments: [String], environment: [String: String] = [:],
                                   mergeOutput: Bool = false) async throws -> Output {
        try await runDetached(URL(fileURLWithPath: "/usr/bin/env"), [command] + arguments, environment: environment, mergeOutput: mergeOutput)
    }

    /// Runs a program found on PATH (`python3`, `bash`), as `run` does.
    public static func run(command: String, _ arguments: [String], environment: [String: String] = [:], mergeOutput: Bool = false) throws -> Output {
        try run(URL(fileURLWithPath: "/usr/bin/env"), [command] + arguments, environment: environment, mergeOutput: mergeOutput)
    }

    /// Starts `executable` and returns at once, its output discarded: for tests that kill a program mid-way.
    public static func start(_ executable: URL, _ arguments: [String], environment: [String: String] = [:]) throws -> Process {
        let p = configured(executable, arguments, environment)
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    /// A program started in the background whose output goes to files (so it never blocks on a full pipe), for
    /// tests that signal it while it runs and then check how it ended.
    public final class Running: @unchecked Sendable {
        public let process: Process
        let stdoutURL: URL
        let stderrURL: URL

        init(process: Process, stdoutURL: URL, stderrURL: URL) {
            self.process = process
            self.stdoutURL = stdoutURL
            self.stderrURL = stderrURL
        }

        public var isRunning: Bool { process.isRunning }

        /// Output so far.
        public var stdout: String { (try? String(contentsOf: stdoutURL, encoding: .utf8)) ?? "" }
        public var stderr: String { (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "" }

        public func signal(_ number: Int32) { kill(process.processIdentifier, number) }

        /// Waits for the end on a thread of its own (not the cooperative pool) and returns everything it printed.
        public func wait() async -> Output {
            await withCheckedContinuation { continuation in
                Thread {
                    self.process.waitUntilExit()
                    continuation.resume(returning: Output(status: self.process.terminationStatus, stdout: self.stdout, stderr: self.stderr,
                                                          reason: self.process.terminationReason))
                }.start()
            }
        }

        deinit {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            try? FileManager.default.removeItem(at: stdoutURL.deletingLastPathComponent())
        }
    }

    /// Starts `executable` in the background with its output captured; see `Running`.
    public static func startCapturing(_ executable: URL, _ arguments: [String], environment: [String: String] = [:]) throws -> Running {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-proc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let out = dir.appendingPathComponent("stdout"), err = dir.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        let p = configured(executable, arguments, environment)
        p.standardOutput = try FileHandle(forWritingTo: out)
        p.standardError = try FileHandle(forWritingTo: err)
        try p.run()
        return Running(process: p, stdoutURL: out, stderrURL: err)
    }

    private static func configured(_ executable: URL, _ arguments: [String], _ environment: [String: String]) -> Process {
        let p = Process()
        p.executableURL = executable
        p.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { $1 }
        p.environment = env
        return p
    }
}
