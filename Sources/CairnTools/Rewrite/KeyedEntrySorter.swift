import CairnCore
import CairnFormat
import CairnModel

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One keyed entry with its (new) key group, owning its bytes.
struct SortableEntry: Sendable {
    var keyGroup: Int
    var key: [UInt8]
    var namespace: [UInt8]?
    var userKey: [UInt8]?
    var value: [UInt8]
    var ttl: Int64?

    /// Format spec §5.1 order within a key group, key groups first.
    static func < (a: SortableEntry, b: SortableEntry) -> Bool {
        if a.keyGroup != b.keyGroup { return a.keyGroup < b.keyGroup }
        if a.key != b.key { return a.key.lexicographicallyPrecedes(b.key) }
        let an = a.namespace ?? [], bn = b.namespace ?? []
        if an != bn { return an.lexicographicallyPrecedes(bn) }
        return (a.userKey ?? []).lexicographicallyPrecedes(b.userKey ?? [])
    }

    /// Bytes of memory the entry holds, with a fixed allowance for the arrays' headers.
    var footprint: Int { key.count + (namespace?.count ?? 0) + (userKey?.count ?? 0) + value.count + 128 }
}

/// Sorts the entries of one keyed state by (key group, key, namespace, user key) in bounded memory.
///
/// A change of max parallelism moves every key to a new key group, so a state's entries must be re-sorted as a
/// whole. Entries are collected up to `memoryLimit` bytes, sorted and spilled as a run file into `directory`;
/// `finish` merges the runs (and whatever is still in memory) into one sorted stream. Memory stays at the limit
/// plus a read buffer per run, whatever the state's size.
final class KeyedEntrySorter {
    private let directory: String
    private let name: String
    private let memoryLimit: Int
    private var buffer: [SortableEntry] = []
    private var buffered = 0
    private var runs: [String] = []
    private(set) var count = 0

    init(directory: String, name: String, memoryLimit: Int) {
        self.directory = directory
        self.name = name
        self.memoryLimit = max(1, memoryLimit)
    }

    func add(_ e: SortableEntry) throws(IOError) {
        buffer.append(e)
        buffered += e.footprint
        count += 1
        if buffered >= memoryLimit { try spill() }
    }

    /// Writes the buffer as one sorted run.
    func spill() throws(IOError) {
        guard !buffer.isEmpty else { return }
        buffer.sort(by: <)
        if runs.isEmpty { try FilePaths.makeDirectories(directory) }
        let path = "\(directory)/\(name)-\(runs.count).run"
        let file = try RunWriter(path: path)
        var w = ByteWriter(capacity: 1 << 20)
        for e in buffer {
            w.writeVarint(e.keyGroup)
            w.writeU8((e.ttl != nil ? 1 : 0) | (e.namespace != nil ? 2 : 0) | (e.userKey != nil ? 4 : 0))
            w.writeBytes(e.key)
            if let n = e.namespace { w.writeBytes(n) }
            if let u = e.userKey { w.writeBytes(u) }
            w.writeBytes(e.value)
            if let t = e.ttl { w.writeI64(t) }
            if w.count >= 1 << 20 {
                try file.write(w.bytes)
                w.removeAll()
            }
        }
        try file.write(w.bytes)
        try file.close()
        runs.append(path)
        buffer.removeAll()
        buffered = 0
    }

    /// Bytes held in memory now.
    var memoryUsed: Int { buffered }

    /// Ends input: the entries in order. Keeps a small remainder in memory rather than writing a run for it.
    func finish(keepInMemoryBelow limit: Int) throws(IOError) -> SortedEntryStream {
        if !runs.isEmpty || buffered > limit { try spill() }
        buffer.sort(by: <)
        var sources: [SortedEntryStream.Source] = [.memory(buffer, 0)]
        for r in runs { sources.append(.run(try RunReader(path: r))) }
        buffer = []
        buffered = 0
        return try SortedEntryStream(sources: sources)
    }
}

/// A k-way merge of sorted runs; entries come out in (key group, key, namespace, user key) order.
final class SortedEntryStream {
    enum Source {
        case memory([SortableEntry], Int)
        case run(RunReader)
    }

    private var sources: [Source]
    private var heads: [SortableEntry?]

    init(sources: [Source]) throws(IOError) {
        self.sources = sources
        self.heads = Array(repeating: nil, count: sources.count)
        for i in sources.indices { heads[i] = try advance(i) }
    }

    private func advance(_ i: Int) throws(IOError) -> SortableEntry? {
        switch sources[i] {
        case .memory(let items, let at):
            guard at < items.count else { return nil }
            sources[i] = .memory(items, at + 1)
            return items[at]
        case .run(let r):
            return try r.next()
        }
    }

    /// The next entry if its key group is below `end`, else nil (and the entry stays for a later call).
    func next(below end: Int) throws(IOError) -> SortableEntry? {
        var best: Int?
        for i in heads.indices {
            guard let h = heads[i] else { continue }
            if let b = best, let hb = heads[b], !(h < hb) { continue }
            best = i
        }
        guard let b = best, let e = heads[b], e.keyGroup < end else { return nil }
        heads[b] = try advance(b)
        return e
    }
}

/// Appends to a new file.
final class RunWriter {
    let path: String
    private var fd: Int32

    init(path: String) throws(IOError) {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw IOError(path: path, operation: "create a sort run", errno: errno) }
    }

    deinit { if fd >= 0 { POSIX.close(fd) } }

    func write(_ bytes: [UInt8]) throws(IOError) {
        if let failure = bytes.withUnsafeBytes({ POSIX.writeAll(fd, $0) }) {
            throw IOError(path: path, operation: "write a sort run", errno: failure)
        }
    }

    func close() throws(IOError) {
        let r = POSIX.close(fd)
        fd = -1
        guard r == 0 else { throw IOError(path: path, operation: "close a sort run", errno: errno) }
    }
}

/// Reads a run written by `KeyedEntrySorter`, a chunk at a time.
final class RunReader {
    private let file: FileSource
    private var offset: UInt64 = 0
    private var chunk: [UInt8] = []
    private var position = 0
    private static let chunkSize = 256 << 10

    init(path: String) throws(IOError) { file = try FileSource(path: path) }

    /// Makes at least `n` bytes available from `position`, or as many as the file has left.
    private func ensure(_ n: Int) throws(IOError) {
        let available = chunk.count - position
        guard available < n, offset < file.size else { return }
        let want = min(Int(file.size - offset), max(Self.chunkSize, n - available))
        let more = try file.read(at: offset, count: want)
        offset += UInt64(more.count)
        chunk = Array(chunk[position...]) + more
        position = 0
    }

    func next() throws(IOError) -> SortableEntry? {
        try ensure(32)
        guard position < chunk.count else { return nil }
        do throws(DecodeError) {
            var r = ByteReader(chunk, from: position)
            let kg = try r.readVarint("key group")
            let flags = try r.readU8("flags")
            position = r.position
            func bytes() throws(DecodeError) -> [UInt8] {
                do { try ensure(10) } catch { throw DecodeError(.truncated, "\(error)", at: position) }
                var lr = ByteReader(chunk, from: position)
                let n = try lr.readCount("length")
                position = lr.position
                do { try ensure(n) } catch { throw DecodeError(.truncated, "\(error)", at: position) }
                var br = ByteReader(chunk, from: position)
                let out = try br.readRaw(n, "entry bytes")
                position = br.position
                return out
            }
            let key = try bytes()
            let ns = flags & 2 != 0 ? try bytes() : nil
            let uk = flags & 4 != 0 ? try bytes() : nil
            let value = try bytes()
            var ttl: Int64?
            if flags & 1 != 0 {
                do { try ensure(8) } catch { throw DecodeError(.truncated, "\(error)", at: position) }
                var tr = ByteReader(chunk, from: position)
                ttl = try tr.readI64("ttl")
                position = tr.position
            }
            return SortableEntry(keyGroup: Int(kg), key: key, namespace: ns, userKey: uk, value: value, ttl: ttl)
        } catch {
            throw IOError(path: file.name, operation: "read a sort run", message: error.message)
        }
    }
}
