import CairnCore
import CairnModel
import Dispatch

/// Reads every block of a native snapshot and checks what only the data can show: checksums, decoding, entry
/// counts, ordering, the key group of every key and typed values against their schemas.
///
/// Units are checked in parallel on all cores, each with memory for one block; the verifier keeps going after a
/// problem so that one run names every damaged block, and reports problems in the snapshot's order.
public struct SnapshotVerifier: Sendable {
    public let reader: SnapshotReader
    /// Stops listing after this many problems.
    public var limit: Int
    public var threads: Int

    public init(reader: SnapshotReader, limit: Int = 1000, threads: Int = WriterOptions.availableCores) {
        self.reader = reader
        self.limit = limit
        self.threads = max(1, threads)
    }

    /// One independently checkable unit of work.
    enum Task: Sendable {
        case blocks(operator: Int, subtask: Int?, state: String?, BlockSpan)
        case keyed(operator: Int, subtask: Int, state: Int, KeyGroupSegment)
        case operatorState(operator: Int, subtask: Int, OperatorStateUnit)
        case channel(operator: Int, subtask: Int, ChannelUnit)
        case loose(block: Int)
    }

    func tasks() -> [Task] {
        let idx = reader.index
        var tasks: [Task] = []
        var covered = Set<Int>()
        for (oi, op) in idx.operators.enumerated() {
            if op.coordinator.count > 0 { tasks.append(.blocks(operator: oi, subtask: nil, state: nil, op.coordinator)) }
            covered.formUnion(op.coordinator.range)
            for st in op.subtasks {
                for u in st.keyed {
                    for seg in u.segments {
                        tasks.append(.keyed(operator: oi, subtask: st.index, state: u.stateIndex, seg))
                        covered.formUnion(seg.blocks.range)
                    }
                }
                for u in st.operatorState {
                    tasks.append(.operatorState(operator: oi, subtask: st.index, u))
                    covered.formUnion(u.blocks.range)
                }
                for c in st.channels {
                    tasks.append(.channel(operator: oi, subtask: st.index, c))
                    covered.formUnion(c.blocks.range)
                }
                for u in st.opaque {
                    tasks.append(.blocks(operator: oi, subtask: st.index, state: u.origin, u.blocks))
                    covered.formUnion(u.blocks.range)
                }
            }
        }
        // Optional extension blocks belong to no unit; their frames and checksums are still checked.
        for b in idx.blocks.indices where !covered.contains(b) { tasks.append(.loose(block: b)) }
        return tasks
    }

    public func verify() -> [ValidationProblem] {
        let tasks = tasks()
        let slots = ProblemSlots(count: tasks.count)
        let workers = min(threads, max(1, tasks.count))
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            for i in stride(from: w, to: tasks.count, by: workers) {
                slots.set(i, check(tasks[i]))
            }
        }
        return Array(slots.all().joined().prefix(limit))
    }

    func check(_ task: Task) -> [ValidationProblem] {
        var problems: [ValidationProblem] = []
        let idx = reader.index
        func read(_ b: Int, _ loc: SnapshotLocation) -> [UInt8]? {
            do { return try reader.readBlock(b, at: loc) } catch {
                problems.append(ValidationProblem(error))
                return nil
            }
        }
        func at(_ loc: SnapshotLocation, block b: Int) -> SnapshotLocation {
            var l = loc
            l.block = b
            l.offset = idx.blocks[b].offset
            return l
        }
        func problem(_ code: DecodeError.Code, _ message: String, _ loc: SnapshotLocation) {
            problems.append(ValidationProblem(code: code.rawValue, message, at: loc))
        }
        switch task {
        case .loose(let b):
            _ = read(b, SnapshotLocation(file: reader.source.name))
        case .blocks(let oi, let subtask, let state, let span):
            for b in span.range { _ = read(b, reader.location(operator: oi, subtask: subtask, state: state)) }
        case .keyed(let oi, let subtask, let si, let seg):
            let op = idx.operators[oi]
            let d = op.states[si]
            let validator = d.valueSerializer.flatMap { idx.serializers[$0].schema }.map(SchemaValidator.init)
            let loc = reader.location(operator: oi, subtask: subtask, state: d.name, keyGroup: seg.keyGroup)
            var scan = KeyedSegmentCheck(keyGroup: seg.keyGroup, maxParallelism: op.info.maxParallelism, validator: validator)
            scan.tombstones = reader.isDelta
            var intact = true
            for b in seg.blocks.range {
                guard let raw = read(b, loc) else { intact = false; continue }
                if let e = raw.withUnsafeBytes({ scan.check(block: $0) }) {
                    problem(e.code, e.message, at(loc, block: b))
                    if e.code != .invalidValue && e.code != .outOfOrder { intact = false }
                }
            }
            if intact && scan.entries != seg.entryCount {
                problem(.invalidValue, "index records \(seg.entryCount) entries, blocks hold \(scan.entries)", loc)
            }
        case .operatorState(let oi, let subtask, let u):
            let d = idx.operators[oi].states[u.stateIndex]
            let loc = reader.location(operator: oi, subtask: subtask, state: d.name)
            var count = 0
            var intact = true
            var lastKey: [UInt8]?
            for b in u.blocks.range {
                guard let raw = read(b, loc) else { intact = false; continue }
                do {
                    if d.kind == .broadcast {
                        let entries = try BlockContent.broadcastEntries(raw)
                        if let lk = lastKey, let first = entries.first, !lk.lexicographicallyPrecedes(first.key) {
                            problem(.outOfOrder, "broadcast keys are not strictly ascending across blocks", at(loc, block: b))
                        }
                        lastKey = entries.last?.key ?? lastKey
                        count += entries.count
                    } else {
                        count += try BlockContent.elements(raw).count
                    }
                } catch {
                    problem(error.code, "at decoded byte \(error.offset): \(error.message)", at(loc, block: b))
                    intact = false
                }
            }
            if intact && count != u.elementCount {
                problem(.invalidValue, "index records \(u.elementCount) elements, blocks hold \(count)", loc)
            }
        case .channel(let oi, let subtask, let c):
            var loc = reader.location(operator: oi, subtask: subtask)
            loc.state = "\(c.channel)"
            var count = 0
            var intact = true
            var lastSeq: UInt64?
            for b in c.blocks.range {
                guard let raw = read(b, loc) else { intact = false; continue }
                do {
                    let buffers = try BlockContent.buffers(raw)
                    if let ls = lastSeq, let first = buffers.first, ls >= first.sequence {
                        problem(.outOfOrder, "buffer sequence numbers are not strictly ascending across blocks", at(loc, block: b))
                    }
                    lastSeq = buffers.last?.sequence ?? lastSeq
                    count += buffers.count
                } catch {
                    problem(error.code, "at decoded byte \(error.offset): \(error.message)", at(loc, block: b))
                    intact = false
                }
            }
            if intact && count != c.bufferCount {
                problem(.invalidValue, "index records \(c.bufferCount) buffers, blocks hold \(count)", loc)
            }
        }
        return problems
    }
}

/// Checks the entries of one key-group segment, block after block, over raw memory.
struct KeyedSegmentCheck {
    let keyGroup: Int
    let maxParallelism: Int
    let validator: SchemaValidator?
    /// Deltas may hold tombstones (flag bit 3, format spec §13.2).
    var tombstones = false
    var entries = 0
    /// The previous entry's (key, namespace, userKey), kept across blocks.
    private var previous: ([UInt8], [UInt8], [UInt8])?
    private var reportedSchema = false

    init(keyGroup: Int, maxParallelism: Int, validator: SchemaValidator?) {
        self.keyGroup = keyGroup
        self.maxParallelism = maxParallelism
        self.validator = validator
    }

    /// Returns the first problem in the block, or nil.
    mutating func check(block: UnsafeRawBufferPointer) -> DecodeError? {
        var c = RawCursor(bytes: block, position: 0, end: block.count)
        var firstProblem: DecodeError?
        var prev: (Range<Int>, Range<Int>, Range<Int>)? = nil
        let empty = 0..<0
        func slice(_ r: Range<Int>) -> UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: block[r]) }
        do throws(DecodeError) {
            while c.position < c.end {
                let start = c.position
                let flags = try c.byte()
                guard flags & (tombstones ? 0xE0 : 0xF8) == 0 else {
                    throw DecodeError(.unknownFlags, "entry flags 0x\(String(flags, radix: 16)) set unknown bits", at: start)
                }
                if flags & 0x10 != 0 {
                    guard flags == 0x10, entries == 0 else {
                        throw DecodeError(.invalidValue, "a reset mark must be alone and first in its key group", at: start)
                    }
                    entries += 1
                    continue
                }
                let tombstone = flags & 8 != 0
                guard !tombstone || flags & 1 == 0 else {
                    throw DecodeError(.invalidValue, "a tombstone (flag bit 3) must not carry a TTL (flag bit 0)", at: start)
                }
                func field() throws(DecodeError) -> Range<Int> {
                    let n = try c.length()
                    defer { c.position += n }
                    return c.position..<(c.position + n)
                }
                let key = try field()
                let ns = flags & 2 != 0 ? try field() : empty
                let uk = flags & 4 != 0 ? try field() : empty
                let value = tombstone ? empty : try field()
                if flags & 1 != 0 { try c.skip(8) }
                entries += 1
                if firstProblem == nil {
                    let kg = Int(Murmur3.hash32(slice(key)) % UInt32(maxParallelism))
                    if kg != keyGroup {
                        firstProblem = DecodeError(.invalidValue, "key 0x\(Hex.encode(slice(key).prefix(32))) hashes to key group \(kg), but is stored in key group \(keyGroup)", at: start)
                    }
                    let ordered: Bool
                    if let p = prev {
                        ordered = Self.less(slice(p.0), slice(p.1), slice(p.2), slice(key), slice(ns), slice(uk))
                    } else if let p = previous {
                        ordered = p.0.withUnsafeBytes { a in p.1.withUnsafeBytes { b in p.2.withUnsafeBytes { u in
                            Self.less(a, b, u, slice(key), slice(ns), slice(uk))
                        } } }
                    } else {
                        ordered = true
                    }
                    if !ordered && firstProblem == nil {
                        firstProblem = DecodeError(.outOfOrder, "entries are not in strictly ascending (key, namespace, userKey) order at key 0x\(Hex.encode(slice(key).prefix(32)))", at: start)
                    }
                    if let validator, !tombstone, !reportedSchema, firstProblem == nil {
                        do { try validator.validate(block, value) } catch {
                            reportedSchema = true
                            firstProblem = DecodeError(error.code, "value of key 0x\(Hex.encode(slice(key).prefix(32))) does not match its schema: \(error.message)", at: start)
                        }
                    }
                }
                prev = (key, ns, uk)
            }
        } catch {
            return firstProblem ?? error
        }
        if let p = prev { previous = (Array(slice(p.0)), Array(slice(p.1)), Array(slice(p.2))) }
        return firstProblem
    }

    private static func less(
        _ pk: UnsafeRawBufferPointer, _ pn: UnsafeRawBufferPointer, _ pu: UnsafeRawBufferPointer,
        _ k: UnsafeRawBufferPointer, _ n: UnsafeRawBufferPointer, _ u: UnsafeRawBufferPointer
    ) -> Bool {
        if !pk.elementsEqual(k) { return pk.lexicographicallyPrecedes(k) }
        if !pn.elementsEqual(n) { return pn.lexicographicallyPrecedes(n) }
        return !pu.elementsEqual(u) && pu.lexicographicallyPrecedes(u)
    }
}

/// Results of parallel tasks, each written once by one worker.
final class ProblemSlots: Sendable {
    private let slots: Locked<[[ValidationProblem]]>
    init(count: Int) { slots = Locked(Array(repeating: [], count: count)) }
    func set(_ i: Int, _ problems: [ValidationProblem]) { slots.withLock { $0[i] = problems } }
    func all() -> [[ValidationProblem]] { slots.withLock { $0 } }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
