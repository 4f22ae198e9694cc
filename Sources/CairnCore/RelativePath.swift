/// The one check for names that come from outside (a manifest's file paths, object keys, series names) before they
/// become paths or keys: a relative, `/`-separated path that can only name something below where it is used.
public enum RelativePath {
    /// Why `path` is not a safe relative path, or nil when it is: not empty, not absolute, no empty, `.` or `..`
    /// segment, and no control character (NUL, newline, escape, DEL, C1), which could cut a C string short,
    /// split a log line or drive a terminal.
    public static func problem(_ path: String) -> String? {
        if path.isEmpty { return "is empty" }
        if path.hasPrefix("/") { return "is absolute" }
        if let c = path.unicodeScalars.first(where: isControl) {
            return "holds the control character U+" + String(c.value, radix: 16, uppercase: true).leftPadded(to: 4)
        }
        for segment in path.split(separator: "/", omittingEmptySubsequences: false) {
            if segment.isEmpty { return "has an empty segment (//)" }
            if segment == "." || segment == ".." { return "has a \(segment) segment" }
        }
        return nil
    }

    /// Whether `path` passes `problem`.
    public static func isSafe(_ path: String) -> Bool { problem(path) == nil }

    /// Why `name` is not a safe single name (a series, a tag): a safe relative path without `/`.
    public static func nameProblem(_ name: String) -> String? {
        if let p = problem(name) { return p }
        if name.contains("/") { return "holds /" }
        return nil
    }

    /// C0 controls, DEL and C1 controls.
    public static func isControl(_ c: Unicode.Scalar) -> Bool {
        c.value < 0x20 || (0x7F...0x9F).contains(c.value)
    }

    /// `text` with control characters written as `\u{…}`, so a hostile name cannot break a message or a terminal.
    public static func printable(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var out = ""
        for c in text.unicodeScalars {
            if isControl(c) { out += "\\u{" + String(c.value, radix: 16) + "}" } else { out.unicodeScalars.append(c) }
        }
        return out
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
