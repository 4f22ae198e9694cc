// cairn-bench: measurements that the `cairn` command cannot make on its own. Not run by `make test`.
//
//   cairn-bench writer SNAPSHOT RAW_OUT [--compression zstd:1]
//       Loads the keyed entries of SNAPSHOT into memory, then times SnapshotWriter writing them again into a sink
//       that discards bytes (pure CPU: encode, compress, checksum), best of 3. Writes the decoded bytes of all keyed
//       blocks to RAW_OUT so `zstd -b1` and `lz4 -b1` can run on the same bytes. Prints one JSON line.
//
//   cairn-bench flink-dump SNAPSHOT_DIR STATE [STATE...]
//       `dump --state` of each STATE of a Flink snapshot in one process, both ways side by side: a JSONValue tree per
//       entry (forEachStateEntry, what dump did before) and JSON bytes written straight from the decoded values
//       (appendStateEntries, what dump does now), best of 2 each, output discarded. Prints one JSON line with MB/s
//       of the snapshot directory's bytes, per wall second and per CPU second of this thread (the honest figure on a
//       shared machine, where wall time depends on the neighbours).
import CairnCore
import CairnFlink
import CairnFormat
import CairnModel
import CairnRocksDB
import CairnStore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

final class DiscardingSink: ByteSink {
    var count: UInt64 = 0
    func write(_ bytes: UnsafeRawBufferPointer) throws(IOError) { count += UInt64(bytes.count) }
    func commit() throws(IOError) {}
}

struct Entry {
    var key: [UInt8]
    var namespace: [UInt8]?
    var userKey: [UInt8]?
    var value: [UInt8]
    var ttl: Int64?
}

func seconds(_ d: Swift.Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}

func fail(_ message: String) -> Never {
    let text = Array("cairn-bench: \(message)\n".utf8)
    _ = text.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
    exit(2)
}

func writerBenchmark(_ path: String, rawOut: String, compression: CompressionSetting) throws {
    let reader = try SnapshotReader(path: path)
    let idx = reader.index
    // Load: per operator, per subtask, per keyed unit, its entries in order.
    var units: [(op: Int, subtask: Int, state: String, range: KeyGroupRange, entries: [Entry])] = []
    let raw = try AtomicFileSink(path: rawOut)
    var rawBytes: UInt64 = 0
    for (oi, op) in idx.operators.enumerated() {
        for st in op.subtasks {
            for u in st.keyed {
                var entries: [Entry] = []
                for seg in u.segments {
                    for b in seg.blocks.range {
                        let content = try reader.readBlock(b)
                        try raw.write(content)
                        rawBytes += UInt64(content.count)
                        for e in try KeyedEntry.decodeAll(content) {
                            entries.append(Entry(key: Array(e.keyBytes), namespace: e.namespaceBytes.map(Array.init),
                                                 userKey: e.userKeyBytes.map(Array.init), value: Array(e.valueBytes), ttl: e.ttl))
                        }
                    }
                }
                units.append((oi, st.index, op.states[u.stateIndex].name, u.range, entries))
            }
        }
    }
    try raw.commit()
    let clock = ContinuousClock()
    var best = Double.infinity
    var stored: UInt64 = 0
    for _ in 0..<3 {
        let sink = DiscardingSink()
        let start = clock.now
        let w = try SnapshotWriter(sink: sink, metadata: idx.metadata, options: WriterOptions(compression: compression))
        for s in idx.serializers { w.addSerializer(s) }
        var u = 0
        for (oi, op) in idx.operators.enumerated() {
            try w.beginOperator(op.info, states: op.states)
            for st in op.subtasks {
                try w.beginSubtask(st.index)
                while u < units.count && units[u].op == oi && units[u].subtask == st.index {
                    try w.beginKeyedState(units[u].state, range: units[u].range)
                    for e in units[u].entries {
                        try w.append(key: e.key, namespace: e.namespace, userKey: e.userKey, value: e.value, ttl: e.ttl)
                    }
                    try w.endKeyedState()
                    u += 1
                }
                try w.endSubtask()
            }
            try w.endOperator()
        }
        try w.finish()
        best = min(best, seconds(clock.now - start))
        stored = sink.count
    }
    let mbps = Double(rawBytes) / best / 1e6
    print("{\"rawBytes\":\(rawBytes),\"storedBytes\":\(stored),\"seconds\":\(best),\"rawMBps\":\(mbps),\"compression\":\"\(compression)\",\"crc32cHardware\":\(CRC32C.isHardwareAccelerated)}")
}

func flinkMetadata(_ dir: String, operators: Int, subtasks: Int, trailerFrom: String?) throws {
    // Flink needs the v4+ properties trailer to load the file; take a real one.
    var trailer: [UInt8] = []
    if let trailerFrom {
        let f = try FileSource(path: trailerFrom)
        trailer = try FlinkMetadataParser.parse(try f.read(at: 0, count: Int(f.size))).trailer
    }
    let maxP = 4096
    var ops: [FlinkOperatorState] = []
    for o in 0..<operators {
        var sts: [FlinkSubtaskState] = []
        for i in 0..<subtasks {
            let range = KeyGroupRange.forSubtask(i, parallelism: subtasks, maxParallelism: maxP)
            let offsets = (0..<range.count).map { Int64(100 + $0 * 64) }
            let keyed = FlinkKeyedHandle.keyGroups(tag: 12, range: range, offsets: offsets,
                                                   delegate: .relativeFile(path: "keyed-\(o)-\(i)", size: Int64(100 + range.count * 64)), stateHandleId: "k-\(o)-\(i)")
            let opState = FlinkOperatorStateHandle(tag: 4, states: [.init(name: "buffer", mode: .splitDistribute, offsets: [24, 48])],
                                                   delegate: .relativeFile(path: "op-\(o)-\(i)", size: 96))
            sts.append(FlinkSubtaskState(index: i, finished: false, managedOperatorState: opState, managedKeyedState: keyed, inputChannels: [], outputChannels: []))
        }
        ops.append(FlinkOperatorState(id: OperatorID(derivedFrom: "op-\(o)"), name: "Operator \(o)", uid: "op-\(o)", parallelism: subtasks,
                                      maxParallelism: maxP, coordinator: nil, fullyFinished: false, subtasks: sts))
    }
    let m = FlinkCheckpointMetadata(version: 6, checkpointId: 1, masterStates: [], operators: ops, properties: nil, trailer: trailer)
    let sink = try AtomicFileSink(path: dir + "/_metadata")
    try sink.write(try FlinkMetadataWriter.write(m))
    try sink.commit()
}

/// A canonical savepoint (Flink's full-snapshot format) of one operator with `subtasks` subtasks and about `megabytes`
/// of keyed state, written as Flink lays it out and with Flink's own serializer snapshots, so that `dump --state`
/// decodes it: String keys (`user-N`), a `count` value state (Long) and a `profile` value state (String). The proxy,
/// then per key group `short stateId` and `int klen, key, int vlen, value` pairs, the last pair of a state flagged.
func flinkCanonical(_ dir: String, megabytes: Int, subtasks: Int, trailerFrom: String?) throws {
    let maxP = 128
    var trailer: [UInt8] = []
    if let trailerFrom {
        let f = try FileSource(path: trailerFrom)
        trailer = try FlinkMetadataParser.parse(try f.read(at: 0, count: Int(f.size))).trailer
    }
    func snapshot(_ w: inout JavaDataOutput, _ serializerClass: String) {
        w.writeI32(2); w.writeUTF(serializerClass + "Snapshot"); w.writeI32(3)  // SimpleTypeSerializerSnapshot v3, no payload
    }
    let base = "org.apache.flink.api.common.typeutils.base."
    var header = JavaDataOutput()
    header.writeI32(6); header.writeU8(0)                          // proxy version 6, no compression
    snapshot(&header, base + "StringSerializer$StringSerializer")  // key serializer
    header.writeBytes([0, 2])                                      // two states
    for (name, value) in [("count", "LongSerializer$LongSerializer"), ("profile", "StringSerializer$StringSerializer")] {
        header.writeUTF(name); header.writeI32(0)                   // backend state type KEY_VALUE
        header.writeI32(1); header.writeUTF("KEYED_STATE_TYPE"); header.writeUTF("VALUE")
        header.writeI32(2)
        header.writeUTF("NAMESPACE_SERIALIZER"); snapshot(&header, "org.apache.flink.runtime.state.VoidNamespaceSerializer$VoidNamespaceSerializer")
        header.writeUTF("VALUE_SERIALIZER"); snapshot(&header, base + value)
    }
    // Keys bucketed by the key group Flink assigns them (Java hashCode, murmur), about 120 bytes per key.
    let keys = megabytes * 1_000_000 / 120
    var byGroup = [[Int32]](repeating: [], count: maxP)
    for n in 0..<keys {
        byGroup[FlinkKeyHashing.keyGroup(forHash: FlinkKeyHashing.stringHash("user-\(n)"), maxParallelism: maxP)].append(Int32(n))
    }
    var subs: [FlinkSubtaskState] = []
    for s in 0..<subtasks {
        let range = KeyGroupRange.forSubtask(s, parallelism: subtasks, maxParallelism: maxP)
        var file = JavaDataOutput()
        file.writeBytes(header.bytes)
        var offsets: [Int64] = []
        for kg in range.start..<range.end {
            let members = byGroup[kg]
            guard !members.isEmpty else { offsets.append(0); continue }
            offsets.append(Int64(file.bytes.count))
            file.writeBytes([0, 0])  // the key group's first state id; the second follows the first's flagged last pair
            for state in 0..<2 {
                for (i, n) in members.enumerated() {
                    var key = [UInt8(kg)] + (try FlinkValueEncoder.encode(.string("user-\(n)"), as: .string)) + [0]  // prefix, key, VoidNamespace
                    if i == members.count - 1 { key[0] |= 0x80 }
                    let value = state == 0 ? try FlinkValueEncoder.encode(.long(Int64(n) * 7), as: .long)
                        : try FlinkValueEncoder.encode(.string("profile of user \(n): " + String(repeating: "abcdefgh", count: 8)), as: .string)
                    file.writeI32(Int32(key.count)); file.writeBytes(key); file.writeI32(Int32(value.count)); file.writeBytes(value)
                }
                file.writeBytes(state == 0 ? [0, 1] : [0xFF, 0xFF])
            }
        }
        let name = "keyed-\(s)"
        let sink = try AtomicFileSink(path: dir + "/" + name)
        try sink.write(file.bytes)
        try sink.commit()
        subs.append(FlinkSubtaskState(index: s, finished: false, managedKeyedState: .keyGroups(
            tag: 7, range: range, offsets: offsets, delegate: .relativeFile(path: name, size: Int64(file.bytes.count)), stateHandleId: nil),
            inputChannels: [], outputChannels: []))
    }
    let op = FlinkOperatorState(id: OperatorID(derivedFrom: "keyed"), name: "keyed", uid: "keyed", parallelism: subtasks, maxParallelism: maxP,
                                coordinator: nil, fullyFinished: false, subtasks: subs)
    let m = FlinkCheckpointMetadata(version: 6, checkpointId: 1, masterStates: [], operators: [op], properties: nil, trailer: trailer)
    let sink = try AtomicFileSink(path: dir + "/_metadata")
    try sink.write(try FlinkMetadataWriter.write(m))
    try sink.commit()
}

let args = CommandLine.arguments
func option(_ name: String, _ fallback: Int) -> Int {
    guard let i = args.firstIndex(of: name), i + 1 < args.count, let v = Int(args[i + 1]) else { return fallback }
    return v
}
if args.count >= 2, args[1] == "fastcdc" {
    // FastCDC throughput with the store's default parameters on 512 MiB of pseudo-random bytes, best of 3.
    var x: UInt64 = 7
    let data = (0..<(512 << 20)).map { _ -> UInt8 in x ^= x << 13; x ^= x >> 7; x ^= x << 17; return UInt8(truncatingIfNeeded: x >> 24) }
    do {
        let cdc = try FastCDC()
        let clock = ContinuousClock()
        var best = Double.infinity
        var chunks = 0
        for _ in 0..<3 {
            let start = clock.now
            chunks = data.withUnsafeBytes { cdc.chunkLengths($0) }.count
            best = min(best, seconds(clock.now - start))
        }
        print("{\"bytes\":\(data.count),\"chunks\":\(chunks),\"seconds\":\(best),\"MBps\":\(Double(data.count) / best / 1e6)}")
    } catch { fail("\(error)") }
    exit(0)
}
if args.count >= 3, args[1] == "sst" {
    // SST scan throughput (compressed input bytes per second), best of 3: every entry, then every checksum.
    // A table to scan: bash Fixtures/rocksdb/generate.sh big /tmp/big.sst 50
    do {
        let clock = ContinuousClock()
        var bestScan = Double.infinity, bestVerify = Double.infinity
        var entries = 0
        let size = try FileSource(path: args[2]).size
        for _ in 0..<3 {
            let file = try SSTFile(source: try FileSource(path: args[2]))
            var start = clock.now
            var it = file.entries()
            entries = 0
            while try it.next() != nil { entries += 1 }
            bestScan = min(bestScan, seconds(clock.now - start))
            start = clock.now
            _ = try file.verifyChecksums()
            bestVerify = min(bestVerify, seconds(clock.now - start))
        }
        print("{\"bytes\":\(size),\"entries\":\(entries),\"scanMBps\":\(Double(size) / bestScan / 1e6),\"verifyMBps\":\(Double(size) / bestVerify / 1e6)}")
    } catch { fail("\(error)") }
    exit(0)
}
if args.count >= 4, args[1] == "flink-dump" {
    do {
        let dir = args[2]
        let snapshot = try FlinkSnapshot(source: dir)
        var inputBytes: Int64 = 0
        for name in try FilePaths.entries(dir) { inputBytes += FilePaths.size(dir + "/" + name) ?? 0 }
        let clock = ContinuousClock()
        func cpuSeconds() -> Double {
            var t = timespec()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
            return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
        }
        var tree = Double.infinity, direct = Double.infinity, treeCPU = Double.infinity, directCPU = Double.infinity
        var treeBytes = 0, directBytes = 0
        for _ in 0..<2 {
            var start = clock.now
            var cpu = cpuSeconds()
            treeBytes = 0
            for state in args[3...] {
                var buffer: [UInt8] = []
                buffer.reserveCapacity(1 << 17)
                try snapshot.forEachStateEntry(StateEntryQuery(state: state)) { line in
                    line.append(to: &buffer)
                    buffer.append(0x0A)
                    if buffer.count >= 1 << 16 { treeBytes += buffer.count; buffer.removeAll(keepingCapacity: true) }
                    return true
                }
                treeBytes += buffer.count
            }
            tree = min(tree, seconds(clock.now - start))
            treeCPU = min(treeCPU, cpuSeconds() - cpu)
            start = clock.now
            cpu = cpuSeconds()
            directBytes = 0
            for state in args[3...] {
                var buffer: [UInt8] = []
                buffer.reserveCapacity(1 << 17)
                try snapshot.appendStateEntries(StateEntryQuery(state: state), to: &buffer) { out in
                    out.append(0x0A)
                    if out.count >= 1 << 16 { directBytes += out.count; out.removeAll(keepingCapacity: true) }
                    return true
                }
                directBytes += buffer.count
            }
            direct = min(direct, seconds(clock.now - start))
            directCPU = min(directCPU, cpuSeconds() - cpu)
        }
        guard treeBytes == directBytes else { fail("the two ways printed \(treeBytes) and \(directBytes) bytes") }
        let mb = Double(inputBytes) / 1e6
        print("{\"inputBytes\":\(inputBytes),\"outputBytes\":\(directBytes),\"treeSeconds\":\(tree),\"directSeconds\":\(direct),"
              + "\"treeCPUSeconds\":\(treeCPU),\"directCPUSeconds\":\(directCPU),\"treeMBps\":\(mb / tree),\"directMBps\":\(mb / direct),"
              + "\"treeMBpsCPU\":\(mb / treeCPU),\"directMBpsCPU\":\(mb / directCPU)}")
    } catch { fail("\(error)") }
    exit(0)
}
if args.count >= 3, args[1] == "flink-canonical" {
    let trailer = args.firstIndex(of: "--trailer-from").flatMap { $0 + 1 < args.count ? args[$0 + 1] : nil }
    do { try flinkCanonical(args[2], megabytes: option("--mb", 500), subtasks: option("--subtasks", 4), trailerFrom: trailer) } catch { fail("\(error)") }
    exit(0)
}
if args.count >= 3, args[1] == "flink-metadata" {
    let trailer = args.firstIndex(of: "--trailer-from").flatMap { $0 + 1 < args.count ? args[$0 + 1] : nil }
    do { try flinkMetadata(args[2], operators: option("--operators", 1000), subtasks: option("--subtasks", 256), trailerFrom: trailer) } catch { fail("\(error)") }
    exit(0)
}
guard args.count >= 4, args[1] == "writer" else { fail("usage: cairn-bench writer SNAPSHOT RAW_OUT [--compression zstd:1] | flink-metadata DIR [--operators N] [--subtasks N]") }
var compression = CompressionSetting.default
if let i = args.firstIndex(of: "--compression"), i + 1 < args.count {
    guard let c = CompressionSetting(parsing: args[i + 1]) else { fail("bad --compression \(args[i + 1])") }
    compression = c
}
do {
    try writerBenchmark(args[2], rawOut: args[3], compression: compression)
} catch {
    fail("\(error)")
}
