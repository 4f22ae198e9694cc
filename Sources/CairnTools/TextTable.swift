/// A minimal aligned table for terminal output; width is measured in characters, ignoring color escapes.
public struct TextTable {
    public enum Column {
        case left(String), right(String)
        var title: String { switch self { case .left(let t), .right(let t): t } }
        var isRight: Bool { if case .right = self { true } else { false } }
    }

    public var columns: [Column]
    public var rows: [[String]] = []

    public init(columns: [Column]) { self.columns = columns }

    public mutating func add(_ row: [String]) { rows.append(row) }

    static func visibleWidth(_ s: String) -> Int {
        var width = 0
        var inEscape = false
        for c in s.unicodeScalars {
            if inEscape {
                if c == "m" { inEscape = false }
            } else if c == "\u{1B}" {
                inEscape = true
            } else {
                width += 1
            }
        }
        return width
    }

    public func render(_ style: TextStyle) -> String {
        var widths = columns.map { $0.title.count }
        for row in rows {
            for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], Self.visibleWidth(cell)) }
        }
        func line(_ cells: [String], header: Bool) -> String {
            var parts: [String] = []
            for (i, col) in columns.enumerated() {
                let cell = i < cells.count ? cells[i] : ""
                let pad = String(repeating: " ", count: widths[i] - Self.visibleWidth(cell))
                parts.append(col.isRight ? pad + cell : cell + pad)
            }
            var l = parts.joined(separator: "  ")
            while l.hasSuffix(" ") { l.removeLast() }
            return header ? style.dim(l) : l
        }
        var out = line(columns.map(\.title), header: true) + "\n"
        for row in rows { out += line(row, header: false) + "\n" }
        return out
    }
}

/// Colors and emphasis, or none (when output is not a terminal or NO_COLOR is set).
public struct TextStyle: Sendable {
    public var color: Bool

    public init(color: Bool) { self.color = color }

    public static let plain = TextStyle(color: false)

    private func wrap(_ s: String, _ code: String) -> String { color ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s }
    public func bold(_ s: String) -> String { wrap(s, "1") }
    public func dim(_ s: String) -> String { wrap(s, "2") }
    public func red(_ s: String) -> String { wrap(s, "31") }
    public func yellow(_ s: String) -> String { wrap(s, "33") }
    public func green(_ s: String) -> String { wrap(s, "32") }
}

/// Time rendering without Foundation.
public enum Timestamp {
    /// `2026-01-01T00:00:00.000Z` for epoch milliseconds.
    public static func iso8601(millis: Int64) -> String {
        let ms = Int(((millis % 1000) + 1000) % 1000)
        var secs = (millis - Int64(ms)) / 1000
        let days = Int(floorDiv(secs, 86_400))
        secs -= Int64(days) * 86_400
        // Civil-from-days (Howard Hinnant's algorithm).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        func p(_ v: Int, _ n: Int) -> String { let s = String(v); return String(repeating: "0", count: max(0, n - s.count)) + s }
        let s = Int(secs)
        return "\(p(y, 4))-\(p(m, 2))-\(p(d, 2))T\(p(s / 3600, 2)):\(p(s / 60 % 60, 2)):\(p(s % 60, 2)).\(p(ms, 3))Z"
    }

    private static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : -((-a + b - 1) / b) }
}

/// Durations for people: the largest whole unit ("7d", "10min").
public enum DurationText {
    public static func human(millis: UInt64) -> String {
        let units: [(UInt64, String)] = [(86_400_000, "d"), (3_600_000, "h"), (60_000, "min"), (1000, "s")]
        for (size, name) in units where millis >= size && millis % size == 0 { return "\(millis / size)\(name)" }
        return "\(millis)ms"
    }
}
