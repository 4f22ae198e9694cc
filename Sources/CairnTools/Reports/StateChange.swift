import CairnFormat
import CairnModel

/// One state of an operator in either snapshot, matched by name: its kind, size, entries and serializers before
/// and after.
public struct StateChange: Sendable {
    public var name: String
    public var status: SnapshotDiff.Status
    public var before: StateSummary?
    public var after: StateSummary?

    public var size: (Int64, Int64) { (before?.size ?? 0, after?.size ?? 0) }
    public var entries: (Int64?, Int64?) { (before?.entryCount, after?.entryCount) }
    public var kindChanged: Bool {
        guard let a = before, let b = after else { return false }
        return a.descriptor.kind != b.descriptor.kind
    }
    /// The key or value serializer has another name or version.
    public var serializerChanged: Bool {
        guard let a = before, let b = after else { return false }
        func id(_ s: SerializerInfo?) -> String? { s.map { "\($0.name) v\($0.version)" } }
        return id(a.keySerializer) != id(b.keySerializer) || id(a.valueSerializer) != id(b.valueSerializer)
    }
    /// A typed value schema differs (with or without a version change).
    public var schemaChanged: Bool {
        guard let a = before, let b = after else { return false }
        return a.valueSerializer?.schema != b.valueSerializer?.schema || a.keySerializer?.schema != b.keySerializer?.schema
    }
    public var ttlChanged: Bool {
        guard let a = before, let b = after else { return false }
        return a.descriptor.ttl != b.descriptor.ttl
    }

    static func compare(_ a: StateSummary?, _ b: StateSummary?) -> StateChange {
        var c = StateChange(name: (b ?? a)?.descriptor.name ?? "", status: .unchanged, before: a, after: b)
        if a == nil {
            c.status = .added
        } else if b == nil {
            c.status = .removed
        } else if c.kindChanged || c.serializerChanged || c.schemaChanged || c.ttlChanged || c.size.0 != c.size.1 || c.entries.0 != c.entries.1 {
            c.status = .changed
        }
        return c
    }

    /// Pairs the states of two operators by name, in the later snapshot's order, then the removed ones.
    static func compare(_ a: [StateSummary], _ b: [StateSummary]) -> [StateChange] {
        var before: [String: StateSummary] = [:]
        for s in a { before[s.descriptor.name] = s }
        var out = b.map { compare(before[$0.descriptor.name], $0) }
        let after = Set(b.map(\.descriptor.name))
        out += a.filter { !after.contains($0.descriptor.name) }.map { compare($0, nil) }
        return out
    }
}
