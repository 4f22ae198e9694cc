import ArgumentParser
import CairnCore
import CairnFlink
import CairnFormat
import CairnModel
import CairnStore
import CairnTools

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The `cairn` command: parse, call CairnTools, print. Exit status 0 fine, 1 the snapshot has problems,
/// 2 usage or I/O error.
@main
struct Cairn: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cairn",
        abstract: "Inspect, validate, diff, store and rewrite stream-processing checkpoints and savepoints.",
        discussion: """
            SOURCE is a .cairn snapshot file, or an Apache Flink checkpoint or savepoint: its _metadata file, the \
            directory holding it, or a job's checkpoint directory (then the latest complete chk-N).

            Exit status: 0 fine, 1 the snapshot has problems, 2 usage or I/O error.
            """,
        version: "0.1.0",
        subcommands: [
            InspectCommand.self, ValidateCommand.self, DiffCommand.self, HistoryCommand.self, RewriteCommand.self, PushCommand.self, PullCommand.self,
            SnapshotsCommand.self, PruneCommand.self, BackupCommand.self, CheckCommand.self, GenerateCommand.self, DumpCommand.self,
        ])

    /// The one place errors become exit statuses: a `CairnError` says its own (1 problems found, 2 usage or I/O);
    /// the argument parser's errors keep its help and messages, with usage errors as 2.
    static func main() async {
        // A password in a URL argument (`s3://user:pass@…`, `--endpoint http://user:pass@…`) is refused before any
        // command sees it, so no message, `--json` or log can ever repeat it.
        if let arg = CommandLine.arguments.dropFirst().first(where: ObjectStoreURL.hasUserInfo) {
            Terminal.error("\(ObjectStoreURL.redacted(arg)): credentials in a URL are refused (they would show in process lists, shell history "
                + "and logs); give them with AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or --profile")
            POSIX.exit(2)
        }
        do {
            var command = try parseAsRoot()
            if var async = command as? AsyncParsableCommand {
                try await async.run()
            } else {
                try command.run()
            }
        } catch let code as ExitCode {
            POSIX.exit(code.rawValue)
        } catch let e as any CairnError {
            Terminal.error(e.description)
            POSIX.exit(e.exitStatus)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                Self.exit(withError: error)  // --help, --version
            }
            Terminal.error(fullMessage(for: error))
            POSIX.exit(code == .validationFailure || code.rawValue == 64 ? 2 : code.rawValue)
        }
    }
}

/// Where output goes and how it looks.
enum Terminal {
    static var stdoutIsTTY: Bool { isatty(STDOUT_FILENO) != 0 }
    static var stderrIsTTY: Bool { isatty(STDERR_FILENO) != 0 }

    /// Colors only on a terminal, never with NO_COLOR set or TERM=dumb.
    static var style: TextStyle {
        let env = ProcessEnvironment.self
        let enabled = stdoutIsTTY && env.get("NO_COLOR") == nil && env.get("TERM") != "dumb"
        return TextStyle(color: enabled)
    }

    static func out(_ s: String) {
        var s = s
        if !s.hasSuffix("\n") { s += "\n" }
        write(fd: STDOUT_FILENO, s)
    }

    static func error(_ s: String) {
        let prefix = stderrIsTTY && ProcessEnvironment.get("NO_COLOR") == nil ? "\u{1B}[31merror:\u{1B}[0m " : "error: "
        write(fd: STDERR_FILENO, prefix + s + (s.hasSuffix("\n") ? "" : "\n"))
    }

    static func note(_ s: String) { write(fd: STDERR_FILENO, s + "\n") }

    /// Writes all of `s`, retrying short writes; output errors (a closed pipe) end the process quietly.
    static func write(fd: Int32, _ s: String) {
        write(Array(s.utf8), fd: fd)
    }

    /// Bytes to standard output (or `fd`), as `write(fd:_:)`.
    static func write(_ bytes: [UInt8], fd: Int32 = STDOUT_FILENO) {
        guard !bytes.isEmpty else { return }
        if bytes.withUnsafeBytes({ POSIX.writeAll(fd, $0) }) != nil { POSIX.exit(2) }
    }
}

enum ProcessEnvironment {
    static func get(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }
}
