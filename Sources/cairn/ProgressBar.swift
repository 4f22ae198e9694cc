import CairnCore
import CairnStore
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A one-line progress bar on stderr — bytes, rate, ETA — drawn only when stderr is a terminal.
final class ProgressBar: Sendable {
    private let enabled: Bool
    private let verb: String

    init(verb: String) {
        self.verb = verb
        enabled = Terminal.stderrIsTTY && ProcessEnvironment.get("TERM") != "dumb"
    }

    var callback: (@Sendable (PushProgress) -> Void)? {
        guard enabled else { return nil }
        return { [self] p in self.draw(p) }
    }

    private func draw(_ p: PushProgress) {
        let fraction = p.bytesTotal > 0 ? min(1, Double(p.bytesDone) / Double(p.bytesTotal)) : 1
        let width = 24
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        let rate = p.elapsedSeconds > 0 ? Double(p.bytesDone) / p.elapsedSeconds : 0
        let eta = rate > 0 ? Double(p.bytesTotal - min(p.bytesDone, p.bytesTotal)) / rate : 0
        var line = "\r\(verb) \(bar) \(Int(fraction * 100))%  \(ByteCount.format(Int64(p.bytesDone)))/\(ByteCount.format(Int64(p.bytesTotal)))"
        line += "  \(ByteCount.format(Int64(rate)))/s  ETA \(Int(eta.rounded()))s"
        if p.bytesUploaded > 0 { line += "  uploaded \(ByteCount.format(Int64(p.bytesUploaded)))" }
        Terminal.write(fd: STDERR_FILENO, line + "\u{1B}[K")
    }

    /// Clears the line before the final report is printed.
    func finish() {
        if enabled { Terminal.write(fd: STDERR_FILENO, "\r\u{1B}[K") }
    }
}
