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
