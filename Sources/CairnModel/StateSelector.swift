import CairnCore

/// Resolves `[OP/]STATE` against the operators and states of a snapshot.
///
/// State names may contain `/` (Flink's timer states are `_timer_state/processing_<name>`), so a selector is first
/// tried as a whole state name and only then split at each `/` whose prefix names an operator.
public struct StateSelector: Sendable {
    /// One operator as a selector can name it.
    public struct Candidate: Sendable {
        public var id: OperatorID
        /// uid, name and other spellings users type; the hex id is always accepted.
        public var names: [String]
        public var states: [String]

        public init(id: OperatorID, names: [String], states: [String]) {
            self.id = id
            self.names = names
            self.states = states
        }

        func isNamed(_ s: String) -> Bool { s == id.hex || names.contains(s) }
    }

    public var candidates: [Candidate]

    public init(_ candidates: [Candidate]) { self.candidates = candidates }

    /// The operator and state `text` names, or a usage error that lists what exists.
    public func resolve(_ text: String) throws(UsageError) -> (operator: OperatorID, state: String) {
        var matches: [(OperatorID, String)] = []
        for c in candidates where c.states.contains(text) { matches.append((c.id, text)) }
        var slash = text.startIndex
        while let i = text[slash...].firstIndex(of: "/") {
            let op = String(text[..<i]), state = String(text[text.index(after: i)...])
            for c in candidates where c.isNamed(op) && c.states.contains(state) { matches.append((c.id, state)) }
            slash = text.index(after: i)
        }
        if matches.count == 1 { return matches[0] }
        let all = candidates.flatMap { c in c.states.map { "\(c.names.first ?? c.id.hex)/\($0)" } }.sorted()
        if matches.isEmpty {
            throw UsageError("no state \"\(text)\" in this snapshot; it has: " + (all.isEmpty ? "no states" : all.joined(separator: ", ")))
        }
        let which = matches.map { m in "\(candidates.first { $0.id == m.0 }?.names.first ?? m.0.hex)/\(m.1)" }
        throw UsageError("\"\(text)\" names more than one state (\(which.joined(separator: ", "))); write OP/STATE with the operator's uid or id")
    }
}
