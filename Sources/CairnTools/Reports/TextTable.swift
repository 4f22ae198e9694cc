import CairnCore

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
        let t = CivilTime(epochSeconds: (millis - Int64(ms)) / 1000)
        let p = CivilTime.pad
        return "\(p(t.year, 4))-\(p(t.month, 2))-\(p(t.day, 2))T\(p(t.hour, 2)):\(p(t.minute, 2)):\(p(t.second, 2)).\(p(ms, 3))Z"
    }
}

/// Durations for people: the largest whole unit ("7d", "10min").
public enum DurationText {
    public static func human(millis: UInt64) -> String {
        let units: [(UInt64, String)] = [(86_400_000, "d"), (3_600_000, "h"), (60_000, "min"), (1000, "s")]
        for (size, name) in units where millis >= size && millis % size == 0 { return "\(millis / size)\(name)" }
        return "\(millis)ms"
    }
}
