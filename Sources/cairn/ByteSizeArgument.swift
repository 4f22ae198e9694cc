import ArgumentParser
import Foundation

/// A size on the command line: bytes, or with a binary suffix (`64MiB`, `16M`, `1g`, `512KiB`).
struct ByteSizeArgument: ExpressibleByArgument, Sendable {
    var bytes: Int64

    init(bytes: Int64) { self.bytes = bytes }

    init?(argument: String) {
        let s = argument.lowercased().replacingOccurrences(of: "ib", with: "").replacingOccurrences(of: "b", with: "")
        let units: [Character: Int64] = ["k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40]
        var digits = Substring(s), factor: Int64 = 1
        if let last = s.last, let f = units[last] { digits = s.dropLast(); factor = f }
        guard let n = Int64(digits), n >= 0 else { return nil }
        let (product, overflow) = n.multipliedReportingOverflow(by: factor)
        guard !overflow else { return nil }
        bytes = product
    }

    var defaultValueDescription: String { "\(bytes)" }
}
