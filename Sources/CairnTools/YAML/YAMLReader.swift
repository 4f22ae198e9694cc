import CairnCore
import Yams

/// Strict reading of a YAML (or JSON) document for Cairn's spec files: every value is checked for its type and
/// every mapping for unknown keys, and each error names the key path and line, so a typo such as
/// `valueSerialiser` is reported instead of silently ignored.
struct YAMLReader {
    var file: String

    func fail(_ path: String, _ node: Node?, _ message: String) -> JobSpecError {
        JobSpecError(file: file, path: path, line: node?.mark?.line, message)
    }

    /// The document's root node.
    func root(_ text: String) throws(JobSpecError) -> Node {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw JobSpecError(file: file, path: "", "not valid YAML or JSON: \(error)")
        }
        guard let node else { throw JobSpecError(file: file, path: "", "the file is empty") }
        return node
    }

    /// A mapping's entries by key, after checking that every key is one of `allowed`.
    func mapping(_ node: Node, _ path: String, allowed: [String]) throws(JobSpecError) -> [String: Node] {
        guard case .mapping(let m) = node else { throw fail(path, node, "expected a mapping (key: value lines), found \(kind(node))") }
        var out: [String: Node] = [:]
        for (k, v) in m {
            guard case .scalar(let s) = k else { throw fail(path, k, "keys must be plain words") }
            let key = s.string
            let at = path.isEmpty ? key : "\(path).\(key)"
            guard allowed.contains(key) else {
                let hint = Self.suggestion(key, among: allowed).map { "; did you mean \($0)?" } ?? "; known keys: \(allowed.joined(separator: ", "))"
                throw fail(at, k, "unknown key\(hint)")
            }
            guard out[key] == nil else { throw fail(at, k, "key given twice") }
            out[key] = v
        }
        return out
    }

    /// The text of a plan file (at most 16 MiB: anything larger is not a plan).
    static func planText(path: String) throws -> String {
        let file = try FileSource(path: path)
        guard file.size <= 16 << 20 else { throw UsageError("\(path): a migration plan of \(ByteCount.format(Int64(file.size))) is not plausible; is this the right file?") }
        return String(decoding: try file.read(at: 0, count: Int(file.size)), as: UTF8.self)
    }

    /// The entries of a migration plan's `migrations:` list, each a mapping checked against `allowed`: its key path
    /// (`migrations[i]`), node and keys.
    func migrations(_ text: String, allowed: [String]) throws(JobSpecError) -> [(path: String, node: Node, keys: [String: Node])] {
        let top = try mapping(try root(text), "", allowed: ["migrations"])
        guard let list = top["migrations"] else { throw fail("", nil, "a migration plan needs migrations: (a list of states to migrate)") }
        var out: [(path: String, node: Node, keys: [String: Node])] = []
        for (i, item) in try sequence(list, "migrations").enumerated() {
            let p = "migrations[\(i)]"
            out.append((p, item, try mapping(item, p, allowed: allowed)))
        }
        return out
    }

    /// A key each migration must have.
    func required(_ entry: (path: String, node: Node, keys: [String: Node]), _ key: String) throws(JobSpecError) -> Node {
        guard let n = entry.keys[key] else { throw fail(entry.path, entry.node, "each migration needs \(key):") }
        return n
    }

    func sequence(_ node: Node, _ path: String) throws(JobSpecError) -> [Node] {
        guard case .sequence(let s) = node else { throw fail(path, node, "expected a list (lines starting with -), found \(kind(node))") }
        return Array(s)
    }

    func string(_ node: Node, _ path: String) throws(JobSpecError) -> String {
        guard case .scalar(let s) = node, YAMLReader.tagName(node) != .null else { throw fail(path, node, "expected a string, found \(kind(node))") }
        return s.string
    }

    func int(_ node: Node, _ path: String, min: Int = Int.min, max: Int = Int.max) throws(JobSpecError) -> Int {
        guard case .scalar = node, YAMLReader.tagName(node) == .int, let v = node.int else { throw fail(path, node, "expected a whole number, found \(kind(node))") }
        guard v >= min && v <= max else { throw fail(path, node, "\(v) is out of range \(min)…\(max)") }
        return v
    }

    func bool(_ node: Node, _ path: String) throws(JobSpecError) -> Bool {
        guard case .scalar = node, YAMLReader.tagName(node) == .bool, let v = node.bool else { throw fail(path, node, "expected true or false, found \(kind(node))") }
        return v
    }

    /// The node's resolved tag (`int`, `str`, `null`…).
    static func tagName(_ node: Node) -> Tag.Name { Tag.Name(rawValue: node.tag.rawValue) }

    func kind(_ node: Node) -> String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar(let s):
            switch YAMLReader.tagName(node) {
            case .null: return "nothing (null)"
            case .int: return "the number \(s.string)"
            case .float: return "the number \(s.string)"
            case .bool: return "\(s.string) (a boolean)"
            default: return "\"\(s.string)\""
            }
        }
    }

    /// The allowed key closest to a mistyped one: same letters ignoring case, or within two edits.
    static func suggestion(_ key: String, among allowed: [String]) -> String? {
        let lower = key.lowercased()
        if let same = allowed.first(where: { $0.lowercased() == lower }) { return same }
        // A key cut short (`allowNonRestored`) or with a word too many.
        if lower.count >= 4, let prefix = allowed.first(where: { $0.lowercased().hasPrefix(lower) || lower.hasPrefix($0.lowercased()) }) { return prefix }
        let scored = allowed.map { ($0, editDistance(Array(key.lowercased()), Array($0.lowercased()))) }
        guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= max(2, key.count / 4) else { return nil }
        return best.0
    }

    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = Swift.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
