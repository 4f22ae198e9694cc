import CairnCore
import CairnFlink
import CairnModel

/// Rewrites the keyed state of Flink operators entry by entry and writes it as a canonical savepoint
/// (`FlinkCanonicalSavepointWriter`, one file per subtask, `KeyGroupsSavepointStateHandle`s), whatever backend wrote
/// the input: canonical or native savepoints, heap checkpoints, RocksDB full or incremental checkpoints.
///
/// Per state, Swift closures see each decoded entry (key, namespace, map user key, value) and return the value to
/// keep, or nil to drop the entry; states can be dropped whole; max parallelism and parallelism can change, which
/// re-hashes every key with Flink's `hashCode` + murmur (`FlinkKeyHashing`) and re-splits the key-group ranges
/// (`KeyGroupRange.forSubtask`). Entries pass through a bounded-memory sort (runs spilled to the staging directory),
/// so memory stays near `sortMemory` whatever the state's size. Stored bytes are copied as they are unless a
/// closure changed the value; serializer snapshots are copied verbatim.
///
/// ```swift
/// var r = FlinkStateRewriter(snapshot: sp)
/// r.transform(operator: op.id, state: "count") { e in
///     guard case .ttl(let ts, _) = e.value else { return e.value }
///     return ts + 3_600_000 <= now ? nil : e.value      // drop expired entries
/// }
/// r.dropState(operator: op.id, state: "last-seen")
/// r.setMaxParallelism(512, operator: op.id)
/// ```
///
/// `FlinkRewriter.rewrite(_:source:to:plan:state:)` runs it together with the metadata edits and writes DEST.
public struct FlinkStateRewriter {
    /// Gets one entry of a state and returns its new value (the same value keeps the stored bytes), or nil to drop it.
    /// Map states call it once per map entry (`entry.userKey` set), timers with the timestamp as the value, list
    /// states with the whole list.
    public typealias EntryTransform = (FlinkStateEntry) throws -> FlinkValue?

    public let snapshot: FlinkSnapshot
    /// Bytes of entries held in memory before a sorted run is spilled to disk.
    public var sortMemory = 64 << 20
    /// Lines for the report, added before the per-operator ones (e.g. what a migration changes in a schema).
    public var notes: [String] = []
    private var transforms: [OperatorID: [String: [EntryTransform]]] = [:]
    private var dropped: [OperatorID: Set<String>] = [:]
    private var maxParallelism: [OperatorID: Int] = [:]
    private var parallelism: [OperatorID: Int] = [:]
    private var valueSerializers: [OperatorID: [String: [UInt8]]] = [:]

    public init(snapshot: FlinkSnapshot) { self.snapshot = snapshot }

    /// Applies `t` to every entry of `state` of the operator (several transforms run in the order added).
    public mutating func transform(operator id: OperatorID, state: String, _ t: @escaping EntryTransform) {
        transforms[id, default: [:]][state, default: []].append(t)
    }

    /// Gives `state` a new value serializer: `snapshot` (versioned form: class, version, payload — e.g.
    /// `FlinkSchemaEvolution.snapshot`) replaces `VALUE_SERIALIZER` in the output's state meta data, and every value,
    /// after the transforms, is written with it. Pair it with a transform that gives values the new serializer's shape.
    public mutating func replaceValueSerializer(operator id: OperatorID, state: String, snapshot: [UInt8]) {
        valueSerializers[id, default: [:]][state] = snapshot
    }

    /// Migrates a state's values: `transform` converts each value to the shape of the serializer `snapshot` describes.
    public mutating func migrate(operator id: OperatorID, state: String, snapshot: [UInt8], _ transform: @escaping EntryTransform) {
        replaceValueSerializer(operator: id, state: state, snapshot: snapshot)
        self.transform(operator: id, state: state, transform)
    }

    /// Removes a keyed state: from the serialization proxy (the job restores as if it never registered it) and its data.
    public mutating func dropState(operator id: OperatorID, state: String) { dropped[id, default: []].insert(state) }

    /// Gives the operator `n` key groups; every key moves to the group Flink computes for it.
    public mutating func setMaxParallelism(_ n: Int, operator id: OperatorID) { maxParallelism[id] = n }

    /// Splits the operator's key groups over `n` subtasks.
    public mutating func setParallelism(_ n: Int, operator id: OperatorID) { parallelism[id] = n }

    /// Nothing to do.
    public var isEmpty: Bool { transforms.isEmpty && dropped.isEmpty && maxParallelism.isEmpty && parallelism.isEmpty && valueSerializers.isEmpty }

    /// The operators the rewrite changes, in the order of `_metadata`.
    public var operatorIDs: [OperatorID] {
        let touched = Set(transforms.keys).union(dropped.keys).union(maxParallelism.keys).union(parallelism.keys).union(valueSerializers.keys)
        return snapshot.metadata.operators.map(\.id).filter(touched.contains)
    }

    /// What `write` produced: the operators to put into `_metadata`, the state files (name in DEST → staged path),
    /// and a line per change.
    public struct Output {
        /// The rewritten operators (same ids), to replace the input's in `_metadata`.
        public var operators: [FlinkOperatorState]
        /// New state files: the relative name in DEST → where the file was staged.
        public var files: [String: String]
        /// One line per change, for the report.
        public var changes: [String]
    }

    /// Reads, transforms and writes the state of every operator the rewrite touches; files go to `staging`.
    public func write(staging: String) throws(FlinkRewriteError) -> Output {
        var out = Output(operators: [], files: [:], changes: notes)
        do { try FilePaths.makeDirectories(staging) } catch { throw .io(error) }
        for id in operatorIDs {
            guard let op = snapshot.metadata.operators.first(where: { $0.id == id }) else { continue }
            let result = try rewrite(op, staging: staging)
            out.operators.append(result.op)
            out.files.merge(result.files) { a, _ in a }
            out.changes += result.changes
        }
        return out
    }

    static func prefix(_ keyGroup: Int, bytes: Int) -> [UInt8] {
        bytes == 2 ? [UInt8(truncatingIfNeeded: keyGroup >> 8), UInt8(truncatingIfNeeded: keyGroup)] : [UInt8(truncatingIfNeeded: keyGroup)]
    }

    static func label(_ op: FlinkOperatorState) -> String { (op.uid ?? op.name).map { "\($0) (\(op.id.hex.prefix(8))…)" } ?? op.id.hex }

    private struct Counts {
        var read = 0, dropped = 0, changed = 0, moved = 0
    }

    private func rewrite(_ input: FlinkOperatorState, staging: String) throws(FlinkRewriteError) -> (op: FlinkOperatorState, files: [String: String], changes: [String]) {
        var op = input
        let name = Self.label(op)
        let newMaxP = maxParallelism[op.id] ?? op.maxParallelism
        let newP = parallelism[op.id] ?? op.parallelism
        let rescale = newMaxP != op.maxParallelism
        let resplit = rescale || newP != op.parallelism
        func refuse(_ reason: String, _ hint: String) -> FlinkRewriteError { .cannotRewriteState(operator: name, reason: reason, hint: hint) }
        guard (1...KeyGroupRange.upperBound).contains(newMaxP), newP >= 1, newP <= newMaxP else {
            throw refuse("parallelism \(newP) with max parallelism \(newMaxP)", "The parallelism must be 1 … max parallelism, and max parallelism 1 … 32768.")
        }
        var changes: [String] = []
        let live = op.subtasks.filter { !$0.finished }
        // The subtasks' proxies; the output's is their union by state name (Flink registers states lazily).
        var images: [(FlinkSubtaskState, FlinkKeyedProxyImage)] = []
        do {
            for st in live { if let image = try snapshot.keyedProxyImage(operator: op, subtask: st) { images.append((st, image)) } }
        } catch { throw .unreadableState("\(error)") }
        guard let first = images.first?.1 else {
            let named = Set(dropped[op.id] ?? []).union((transforms[op.id] ?? [:]).keys).union((valueSerializers[op.id] ?? [:]).keys)
            if let state = named.sorted().first {
                throw .unknownState(option: "--drop-state/--ttl", name: "\(op.uid ?? op.id.hex)/\(state)", available: [])
            }
            guard resplit else { return (op, [:], []) }
            if newP != op.parallelism, op.subtasks.contains(where: { $0.stateSize > 0 }) {
                throw refuse("it has operator state but no keyed state", "Flink redistributes operator state itself when the job runs at another parallelism; leave out --parallelism for it.")
            }
            op.maxParallelism = newMaxP
            if newP != op.parallelism {
                op.subtasks = []
                op.parallelism = newP
            }
            changes.append("\(name): max parallelism \(input.maxParallelism) → \(newMaxP), parallelism \(input.parallelism) → \(newP) (no keyed state)")
            return (op, [:], changes)
        }
        if op.fullyFinished || live.count < op.subtasks.count {
            throw refuse("\(op.fullyFinished ? "all" : "some") of its subtasks finished", "Flink restores no keyed state into finished subtasks; rewrite a snapshot taken before they finished.")
        }
        var unionNames: [String] = []
        var unionRecords: [FlinkStateMetaRecord] = []
        var unionBytes: [[UInt8]] = []
        for (_, image) in images {
            for (i, record) in image.proxy.states.enumerated() where !unionNames.contains(record.name) {
                unionNames.append(record.name)
                unionRecords.append(record)
                unionBytes.append(image.stateRecordBytes[i])
            }
        }
        for state in (dropped[op.id] ?? []).sorted() where !unionNames.contains(state) {
            throw .unknownState(option: "--drop-state", name: "\(op.uid ?? op.id.hex)/\(state)", available: unionNames.map { "\(op.uid ?? op.id.hex)/\($0)" })
        }
        for state in (transforms[op.id] ?? [:]).keys.sorted() where !unionNames.contains(state) {
            throw .unknownState(option: "a transform", name: "\(op.uid ?? op.id.hex)/\(state)", available: unionNames.map { "\(op.uid ?? op.id.hex)/\($0)" })
        }
        let replaced = valueSerializers[op.id] ?? [:]
        for (state, snapshot) in replaced.sorted(by: { $0.key < $1.key }) {
            guard let i = unionNames.firstIndex(of: state) else {
                throw .unknownState(option: "a value serializer replacement", name: "\(op.uid ?? op.id.hex)/\(state)", available: unionNames.map { "\(op.uid ?? op.id.hex)/\($0)" })
            }
            do {
                unionBytes[i] = try FlinkSnapshotBytes.replacingSerializer(FlinkStateMetaRecord.SerializerKey.value, in: unionBytes[i], with: snapshot)
                var r = JavaDataInput(unionBytes[i])
                unionRecords[i] = try FlinkStateMetaRecord.read(&r)
            } catch {
                throw refuse("the new value serializer of state \(state) cannot be written into its meta data: \(error)", "Give a versioned serializer snapshot (class, version, payload) Cairn can parse.")
            }
        }
        let kept = unionNames.indices.filter { !(dropped[op.id]?.contains(unionNames[$0]) ?? false) }
        let outImage = FlinkKeyedProxyImage(
            proxy: FlinkKeyedBackendProxy(version: 6, compressed: false, keySerializer: first.proxy.keySerializer, states: kept.map { unionRecords[$0] }, end: 0),
            keySerializerBytes: first.keySerializerBytes, stateRecordBytes: kept.map { unionBytes[$0] })
        let outIndex = Dictionary(uniqueKeysWithValues: kept.enumerated().map { (unionNames[$0.element], $0.offset) })
        let keySerializer = first.keySerializer
        let outLayouts = outImage.proxy.states.map { FlinkKeyedStateLayout(keySerializer: keySerializer, state: $0, maxParallelism: newMaxP) }
        let newPrefix = newMaxP > 128 ? 2 : 1
        let oldPrefix = op.maxParallelism > 128 ? 2 : 1

        if resplit {
            for st in live {
                if st.rawKeyedState != nil {
                    throw refuse("subtask \(st.index) has raw keyed state (written by the operator itself, e.g. legacy timers)", "Cairn cannot move raw keyed state between key groups; rewrite without --parallelism/--max-parallelism for it.")
                }
            }
        }
        if newP != op.parallelism {
            for st in live {
                if st.managedOperatorState != nil || st.rawOperatorState != nil {
                    throw refuse("subtask \(st.index) also has operator state", "Flink redistributes operator state itself at another parallelism: restore the job at parallelism \(newP) without --parallelism.")
                }
                if !st.inputChannels.isEmpty || !st.outputChannels.isEmpty {
                    throw refuse("subtask \(st.index) has in-flight data (unaligned checkpoint)", "Take a savepoint (it holds no in-flight data) and rewrite that.")
                }
            }
        }

        // Read every entry, transform, place it in its (new) key group, and sort by (key group, state, key).
        let sorter = KeyedEntrySorter(directory: staging + "/sort", name: "op-\(op.id.hex)", memoryLimit: sortMemory)
        var counts = Counts()
        var perState: [Int: Counts] = [:]
        let opTransforms = transforms[op.id] ?? [:]
        do {
            for (st, image) in images {
                let map = image.proxy.states.map { outIndex[$0.name] }
                let needsDecoding = { (s: Int) in
                    rescale || !(opTransforms[image.proxy.states[s].name]?.isEmpty ?? true) || replaced[image.proxy.states[s].name] != nil
                }
                try snapshot.forEachKeyedEntry(operator: op, subtask: st, proxy: image, decode: needsDecoding) { s, decoded, raw in
                    counts.read += 1
                    guard let o = map[s] else {
                        counts.dropped += 1
                        return
                    }
                    let key: [UInt8], value: [UInt8], keyGroup: Int
                    if let decoded {
                        var entry = decoded
                        for t in opTransforms[image.proxy.states[s].name] ?? [] {
                            guard let v = try t(entry) else {
                                counts.dropped += 1
                                perState[o, default: Counts()].dropped += 1
                                return
                            }
                            entry.value = v
                        }
                        // A new value serializer re-encodes every value, changed or not.
                        let changed = entry.value != decoded.value || replaced[image.proxy.states[s].name] != nil
                        if changed { perState[o, default: Counts()].changed += 1 }
                        var kg = decoded.keyGroup
                        if rescale {
                            do {
                                kg = try FlinkKeyHashing.keyGroup(for: entry.key, serializer: keySerializer, maxParallelism: newMaxP)
                            } catch let e as FlinkSerializerError {
                                throw refuse("its keys cannot be re-hashed: \(e.message)", "Flink computes key groups from the key's Java hashCode; Cairn recomputes it for primitives, strings, tuples, rows and SQL rows only. Keep the max parallelism for this operator.")
                            }
                            if kg != decoded.keyGroup { counts.moved += 1 }
                        }
                        keyGroup = kg
                        if let raw, raw.key.count > oldPrefix {
                            key = rescale ? Self.prefix(kg, bytes: newPrefix) + raw.key.dropFirst(oldPrefix) : raw.key
                        } else {
                            key = try outLayouts[o].encodeKey(entry, keyGroup: kg)
                        }
                        do {
                            value = try raw.map { changed ? try outLayouts[o].encodeValue(entry) : $0.value } ?? outLayouts[o].encodeValue(entry)
                        } catch var e as FlinkSerializerError {
                            // Name the state and key: a transform's value that the state's serializer cannot write.
                            e.message = "state \(image.proxy.states[s].name), key \(entry.key.json.rendered(indent: 0)): " + e.message
                            throw e
                        }
                    } else if let raw, raw.key.count > oldPrefix {
                        // Not decoded: neither key group nor value changes, the stored bytes pass through.
                        keyGroup = oldPrefix == 2 ? Int(raw.key[0]) << 8 | Int(raw.key[1]) : Int(raw.key[0])
                        (key, value) = (raw.key, raw.value)
                    } else {
                        throw refuse("an entry of state \(image.proxy.states[s].name) has neither stored bytes nor a decoded form", "The input is damaged; run cairn validate --deep on it.")
                    }
                    try sorter.add(SortableEntry(keyGroup: keyGroup, key: [UInt8(o >> 8), UInt8(o & 0xFF)] + key, namespace: nil, userKey: nil, value: value, ttl: nil))
                }
            }
        } catch let e as FlinkRewriteError {
            throw e
        } catch let e as IOError {
            throw .io(e)
        } catch {
            throw .unreadableState("\(name): \(error)")
        }

        // Write one canonical state file per subtask of the new split.
        var files: [String: String] = [:]
        var subtasks: [FlinkSubtaskState] = []
        do {
            let stream = try sorter.finish(keepInMemoryBelow: sortMemory)
            let proxyBytes = outImage.serialized(states: Array(outImage.stateRecordBytes.indices))
            for i in 0..<newP {
                let range = KeyGroupRange.forSubtask(i, parallelism: newP, maxParallelism: newMaxP)
                let file = FileOperations.randomUUID()
                let sink = try AtomicFileSink(path: staging + "/" + file)
                let writer = try FlinkCanonicalSavepointWriter(sink: sink, proxy: proxyBytes, stateCount: kept.count, range: range, maxParallelism: newMaxP)
                while let e = try stream.next(below: range.end) {
                    guard e.key.count > 2 else { continue }
                    let state = Int(e.key[0]) << 8 | Int(e.key[1])
                    try writer.add(keyGroup: e.keyGroup, state: state, key: Array(e.key.dropFirst(2)), value: e.value)
                }
                let (offsets, size) = try writer.finish()
                files[file] = staging + "/" + file
                let old = !resplit ? op.subtasks.first(where: { $0.index == i }) : nil
                subtasks.append(FlinkSubtaskState(
                    index: i, finished: false,
                    managedOperatorState: newP == op.parallelism ? op.subtasks.first(where: { $0.index == i })?.managedOperatorState : nil,
                    rawOperatorState: newP == op.parallelism ? op.subtasks.first(where: { $0.index == i })?.rawOperatorState : nil,
                    managedKeyedState: .keyGroups(tag: 7, range: range, offsets: offsets, delegate: .relativeFile(path: file, size: size), stateHandleId: nil),
                    rawKeyedState: old?.rawKeyedState,
                    inputChannels: newP == op.parallelism ? op.subtasks.first(where: { $0.index == i })?.inputChannels ?? [] : [],
                    outputChannels: newP == op.parallelism ? op.subtasks.first(where: { $0.index == i })?.outputChannels ?? [] : []))
            }
            if let left = try stream.next(below: Int.max) {
                throw refuse("an entry of key group \(left.keyGroup) lies outside 0…\(newMaxP - 1)", "The input holds keys of another max parallelism; validate it with cairn validate --deep.")
            }
        } catch let e as FlinkRewriteError {
            throw e
        } catch let e as IOError {
            throw .io(e)
        } catch {
            throw .unreadableState("\(name): \(error)")
        }
        op.subtasks = subtasks
        op.parallelism = newP
        op.maxParallelism = newMaxP

        let total = subtasks.reduce(Int64(0)) { $0 + ($1.managedKeyedState?.stateSize ?? 0) }
        let kinds = Set(input.subtasks.compactMap { $0.managedKeyedState?.kind }).sorted().joined(separator: ", ")
        changes.append("\(name): keyed state read from \(kinds) and written as a canonical savepoint, \(newP) file(s), \(ByteCount.format(total)), \(counts.read - counts.dropped) of \(counts.read) entries kept")
        for state in (dropped[op.id] ?? []).sorted() { changes.append("\(name): dropped state \(state)") }
        for (o, c) in perState.sorted(by: { $0.key < $1.key }) where c.dropped > 0 || c.changed > 0 {
            var parts: [String] = []
            if c.dropped > 0 { parts.append("\(c.dropped) entries dropped") }
            if c.changed > 0 { parts.append("\(c.changed) values changed") }
            changes.append("\(name)/\(outImage.proxy.states[o].name): " + parts.joined(separator: ", "))
        }
        if rescale { changes.append("\(name): max parallelism \(input.maxParallelism) → \(newMaxP); \(counts.moved) entries moved to another key group") }
        if newP != input.parallelism { changes.append("\(name): parallelism \(input.parallelism) → \(newP), key groups re-split") }
        return (op, files, changes)
    }
}
