import CairnCore

/// Resynchronises the exact parse of a serialization proxy past serializer snapshots Cairn cannot read.
///
/// A snapshot has no length, so where an unreadable one ends can only be told by what must follow it. The driver
/// parses the whole proxy; when a snapshot fails (an unknown class, a version or payload Cairn cannot read), it
/// tries every later offset as that snapshot's end and parses the rest of the proxy from there. A candidate is
/// accepted only if everything after it parses exactly and ends exactly at the proxy's known end (the first key
/// group's offset, or the end of a RocksDB meta file) — which also checks the state count; the earliest such end
/// wins. Several unreadable snapshots are handled one after another (innermost first), each verified the same way.
final class FlinkSnapshotResync {
    /// A snapshot the parser could not read, reported to the driver in place of the parse error.
    struct Stop: Error {
        /// Offset of the snapshot's class name (its `UTF` length prefix).
        var start: Int
        /// Offset just after its `int version`: the earliest it can end.
        var bodyStart: Int
        var className: String
        var version: Int32
        var underlying: FlinkSerializerError
    }

    /// Bytes read as a snapshot that do not look like one (no Java class name, an absurd version): never skipped,
    /// and the snapshots around it are not blamed for it either.
    struct Noise: Error {
        var underlying: FlinkSerializerError
    }

    /// At most this many unreadable snapshots are skipped in one proxy.
    static let maxSkipped = 8
    /// Bounds the work on damaged input: parse attempts per proxy.
    static let maxAttempts = 20_000

    /// Assumed ends of unreadable snapshots, by start offset, for the current attempt.
    private(set) var ends: [Int: Int] = [:]
    /// What the current attempt skipped.
    var skipped: [FlinkSkippedSnapshot] = []
    /// Where the parser is, for `skipped`: the state and serializer key being read.
    var state: String?
    var serializerKey: String?
    private var reasons: [Int: String] = [:]
    private var attempts = 0

    private init() {}

    /// The assumed end of an unreadable snapshot starting at `start`, if this attempt assumes one.
    func end(ofSnapshotAt start: Int) -> Int? { ends[start] }

    /// Records that the snapshot at `span` was skipped.
    func noteSkipped(_ className: String, _ version: Int32, span: Range<Int>) {
        skipped.append(FlinkSkippedSnapshot(className: className, version: version, span: span, state: state,
                                            serializerKey: serializerKey, reason: reasons[span.lowerBound] ?? "not readable"))
    }

    /// Runs `body` over `bytes` from `offset`. Without unreadable snapshots this is one exact parse (that need not
    /// reach the end of `bytes`); with them, the resynchronised parse must end exactly at `bytes.count`.
    static func parse<T>(_ bytes: [UInt8], from offset: Int, _ body: (inout JavaDataInput, FlinkSnapshotResync) throws -> T) throws -> (T, [FlinkSkippedSnapshot]) {
        let ctx = FlinkSnapshotResync()
        do {
            return try ctx.search(bytes, offset, body)
        } catch let noise as Noise {
            throw noise.underlying
        }
    }

    /// Whether a class name and version can be those of a real snapshot: a binary Java class name with a package
    /// whose simple name says `Snapshot` (as every `TypeSerializerSnapshot` in Flink and its connectors does, e.g.
    /// `a.b.FooSerializer$FooSerializerSnapshot`), and a small non-negative version (Flink's are below 10). Class
    /// names inside Java-serialized payloads (`…logical.IntType`) are thereby not mistaken for snapshots.
    static func isPlausibleSnapshot(_ className: String, _ version: Int32) -> Bool {
        guard (0...1_000).contains(version), className.utf8.count <= 512, className.contains("."),
              className.split(separator: ".").last?.contains("Snapshot") == true else { return false }
        return className.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { part in
            guard let first = part.unicodeScalars.first, first == "_" || first == "$" || first.properties.isAlphabetic else { return false }
            return part.unicodeScalars.allSatisfy { $0 == "_" || $0 == "$" || $0.properties.isAlphabetic || ("0"..."9").contains($0) }
        }
    }

    /// What can stand right after a serializer snapshot in a proxy: the proxy's end, or a `UTF` string (the next
    /// nested snapshot's class, the next serializer key, the next state's name), possibly after one `bool` (the
    /// field-names flag of a RowData snapshot v4). Cheap, so that only plausible ends are parsed from.
    static func mayFollowSnapshot(_ bytes: [UInt8], _ at: Int) -> Bool {
        func utf(_ p: Int) -> Bool {
            guard p + 2 <= bytes.count else { return false }
            let n = Int(bytes[p]) << 8 | Int(bytes[p + 1])
            guard n >= 1, n <= 1024, p + 2 + n <= bytes.count else { return false }
            return bytes[(p + 2)..<(p + 2 + n)].allSatisfy { $0 >= 0x20 && $0 != 0x7F }
        }
        if at == bytes.count || utf(at) { return true }
        return at < bytes.count && bytes[at] <= 1 && (at + 1 == bytes.count || utf(at + 1))
    }

    private func attempt<T>(_ bytes: [UInt8], _ offset: Int, _ body: (inout JavaDataInput, FlinkSnapshotResync) throws -> T) throws -> (T, [FlinkSkippedSnapshot]) {
        attempts += 1
        skipped = []
        state = nil
        serializerKey = nil
        var r = JavaDataInput(bytes, from: offset)
        let value = try body(&r, self)
        if !ends.isEmpty && r.position != bytes.count {
            throw FlinkSerializerError(.malformed, "resynchronised parse ends at \(r.position), not at the proxy's end \(bytes.count)", at: r.position)
        }
        return (value, skipped)
    }

    private func search<T>(_ bytes: [UInt8], _ offset: Int, _ body: (inout JavaDataInput, FlinkSnapshotResync) throws -> T) throws -> (T, [FlinkSkippedSnapshot]) {
        let stop: Stop
        do {
            return try attempt(bytes, offset, body)
        } catch let s as Stop {
            stop = s
        }
        // Only a new snapshot, at a plausible place, within bounds, starts a search.
        guard ends[stop.start] == nil, ends.count < Self.maxSkipped, attempts < Self.maxAttempts else { throw stop.underlying }
        var found: (T, [FlinkSkippedSnapshot])?
        let saved = ends
        reasons[stop.start] = stop.underlying.message
        // The earliest end that lets the rest parse wins: a later one would swallow snapshots that follow (two
        // unknown snapshots of the same shape in a row converge on the same continuation).
        for end in stop.bodyStart...bytes.count where Self.mayFollowSnapshot(bytes, end) {
            guard attempts < Self.maxAttempts else { break }
            ends = saved
            ends[stop.start] = end
            if let result = try? search(bytes, offset, body) {
                found = result
                break
            }
        }
        ends = saved
        guard let found else {
            var e = stop.underlying
            e.message += attempts >= Self.maxAttempts
                ? "; Cairn gave up looking for its end after \(Self.maxAttempts) attempts, so the rest of the proxy cannot be read"
                : "; no end for it lets the rest of the proxy parse exactly, so the rest of the proxy cannot be read"
            throw e
        }
        return found
    }
}
