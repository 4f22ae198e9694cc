import Foundation

/// One of the AWS shared INI files (`~/.aws/credentials` or `~/.aws/config`), read the way the AWS CLI reads them:
/// `[section]` headers, `key = value` lines, `#`/`;` comments, and indented sub-settings (as under `s3 =`) skipped.
struct AWSSharedFile: Sendable {
    enum Kind: Sendable {
        /// Sections are bare profile names: `[default]`, `[work]`.
        case credentials
        /// Sections are `[default]` and `[profile work]`; other kinds (`[sso-session x]`, `[services x]`) are ignored.
        case config
    }

    let path: String
    /// nil when the file does not exist or cannot be read.
    let profiles: [String: [String: String]]?

    init(path: String, kind: Kind) {
        self.path = path
        guard let data = FileManager.default.contents(atPath: path) else {
            profiles = nil
            return
        }
        profiles = Self.parse(String(decoding: data, as: UTF8.self), kind: kind)
    }

    init(path: String, text: String, kind: Kind) {
        self.path = path
        profiles = Self.parse(text, kind: kind)
    }

    func profile(_ name: String) -> [String: String]? { profiles?[name] }

    static func parse(_ text: String, kind: Kind) -> [String: [String: String]] {
        var out: [String: [String: String]] = [:]
        var current: String?
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }) {
            if let first = rawLine.first, first == " " || first == "\t" { continue }  // a sub-setting
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") {
                guard let close = line.firstIndex(of: "]") else { current = nil; continue }
                let name = line[line.index(after: line.startIndex)..<close].trimmingCharacters(in: .whitespaces)
                current = sectionProfile(name, kind: kind)
                if let current, out[current] == nil { out[current] = [:] }
                continue
            }
            guard let section = current, let eq = line.firstIndex(of: "=") else { continue }
            let key = line[..<eq].trimmingCharacters(in: .whitespaces).lowercased()
            var value = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            // An inline comment needs whitespace before it, as in the AWS CLI.
            for marker in [" #", " ;", "\t#", "\t;"] {
                if let r = value.range(of: marker) { value = value[..<r.lowerBound].trimmingCharacters(in: .whitespaces) }
            }
            if !key.isEmpty { out[section, default: [:]][key] = value }
        }
        return out
    }

    /// The profile a section header names, or nil for sections that are not profiles.
    private static func sectionProfile(_ name: String, kind: Kind) -> String? {
        switch kind {
        case .credentials:
            return name.isEmpty ? nil : name
        case .config:
            if name == "default" { return name }
            let parts = name.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
            guard parts.count == 2, parts[0] == "profile" else { return nil }
            return parts[1].trimmingCharacters(in: .whitespaces)
        }
    }
}
