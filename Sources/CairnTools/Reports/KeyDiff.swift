import CairnCore
import CairnFormat
import CairnModel

/// A key-level diff of one keyed state: keys added, removed, changed (anything stored under the key differs) and
/// unchanged, with samples of each. Works key group by key group, so memory is bounded by the largest key group
/// when both snapshots have the same max parallelism, and by the state's key count when they do not.
public struct KeyDiff: Sendable {
    public var operatorInfo: OperatorInfo
    public var state: String
    public var keysBefore: Int64 = 0
    public var keysAfter: Int64 = 0
    public var added: Int64 = 0
    public var removed: Int64 = 0
    public var changed: Int64 = 0
    public var unchanged: Int64 = 0
    public var addedSamples: [[UInt8]] = []
    public var removedSamples: [[UInt8]] = []
    public var changedSamples: [[UInt8]] = []

    public var differs: Bool { added + removed + changed > 0 }

    /// Keys held in memory at most when max parallelism differs and the whole state must be compared at once.
    public static let maxKeysInMemory = 20_000_000

    /// Compares keyed state `state` (`STATE` or `OPERATOR/STATE`) of two snapshots, keeping `samples` keys of each kind.
    public static func compute(_ a: any SnapshotView, _ b: any SnapshotView, state ref: String, samples: Int = 5,
                               sourceA: String = "A", sourceB: String = "B") throws -> KeyDiff {
        let summaryB = try b.summary()
        let (info, state) = try KeyedStateCursor.locate(ref, in: KeyedStateCursor.keyedStates(b, summaryB), source: sourceB)
        let summaryA = try a.summary()
        guard let infoA = summaryA.operators.first(where: { $0.info.id == info.id })?.info
                ?? summaryA.operators.first(where: { !info.uid.isEmpty && $0.info.uid == info.uid })?.info else {
            throw UsageError("\(sourceA): has no operator \(info.displayName) (id \(info.id.hex)); a key diff needs the state on both sides")
        }
        let ca = try KeyedStateCursor.open(a, info: infoA, state: state, source: sourceA)
        let cb = try KeyedStateCursor.open(b, info: info, state: state, source: sourceB)
        var d = KeyDiff(operatorInfo: info, state: state)
        func sample(_ list: inout [[UInt8]], _ key: [UInt8]) {
            if list.count < samples { list.append(key) }
        }
        func compare(_ x: [[UInt8]: KeyedStateCursor.KeyDigest], _ y: [[UInt8]: KeyedStateCursor.KeyDigest]) {
            d.keysBefore += Int64(x.count)
            d.keysAfter += Int64(y.count)
            // Sorted so that samples are stable from run to run.
            for key in y.keys.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
                switch x[key] {
                case nil:
                    d.added += 1
                    sample(&d.addedSamples, key)
                case let digest? where digest != y[key]:
                    d.changed += 1
                    sample(&d.changedSamples, key)
                default:
                    d.unchanged += 1
                }
            }
            for key in x.keys.sorted(by: { $0.lexicographicallyPrecedes($1) }) where y[key] == nil {
                d.removed += 1
                sample(&d.removedSamples, key)
            }
        }
        if infoA.maxParallelism == info.maxParallelism {
            for g in Set(ca.keyGroups).union(cb.keyGroups).sorted() {
                let x = ca.keyGroups.contains(g) ? try ca.read(g) : [:]
                let y = cb.keyGroups.contains(g) ? try cb.read(g) : [:]
                compare(x, y)
            }
        } else {
            // Keys live in other key groups on each side: compare the whole state at once, within a bound.
            func all(_ c: KeyedStateCursor, _ source: String) throws -> [[UInt8]: KeyedStateCursor.KeyDigest] {
                var out: [[UInt8]: KeyedStateCursor.KeyDigest] = [:]
                for g in c.keyGroups {
                    out.merge(try c.read(g)) { first, _ in first }
                    guard out.count <= maxKeysInMemory else {
                        throw UsageError("\(source): state \(state) has more than \(maxKeysInMemory) keys and the max parallelism differs (\(infoA.maxParallelism) → \(info.maxParallelism)); rewrite one side with --max-parallelism first")
                    }
                }
                return out
            }
            compare(try all(ca, sourceA), try all(cb, sourceB))
        }
        return d
    }

    /// A key for display: its UTF-8 text when it is printable, and always its hex.
    public static func keyJSON(_ key: [UInt8]) -> JSONValue {
        var o: [(String, JSONValue)] = [("hex", .string(Hex.encode(key)))]
        if let t = printable(key) { o.append(("text", .string(t))) }
        return .object(o)
    }

    static func printable(_ key: [UInt8]) -> String? {
        guard !key.isEmpty, let s = String(validating: key, as: UTF8.self),
              s.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }) else { return nil }
        return s
    }

    public var json: JSONValue {
        .object([
            ("operator", .object([("id", .string(operatorInfo.id.hex)), ("uid", .string(operatorInfo.uid)), ("name", .string(operatorInfo.name))])),
            ("state", .string(state)),
            ("keys", .object([("before", .number(keysBefore)), ("after", .number(keysAfter))])),
            ("added", .number(added)), ("removed", .number(removed)), ("changed", .number(changed)), ("unchanged", .number(unchanged)),
            ("samples", .object([("added", .array(addedSamples.map(Self.keyJSON))), ("removed", .array(removedSamples.map(Self.keyJSON))),
                                 ("changed", .array(changedSamples.map(Self.keyJSON)))])),
        ])
    }

    public func text(style: TextStyle) -> String {
        func show(_ k: [UInt8]) -> String { Self.printable(k).map { "\"\($0)\"" } ?? "0x" + Hex.encode(k) }
        let out = style.bold("Keys of \(operatorInfo.displayName)/\(state)") + ": \(keysBefore) → \(keysAfter)\n"
        var t = TextTable(columns: [.left("CHANGE"), .right("KEYS"), .left("SAMPLES")])
        t.add([style.green("added"), "\(added)", addedSamples.map(show).joined(separator: ", ")])
        t.add([style.red("removed"), "\(removed)", removedSamples.map(show).joined(separator: ", ")])
        t.add([style.yellow("changed"), "\(changed)", changedSamples.map(show).joined(separator: ", ")])
        t.add([style.dim("unchanged"), "\(unchanged)", ""])
        return out + t.render(style)
    }
}
