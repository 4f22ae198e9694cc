import CairnCore
import CairnModel
import CairnRocksDB

extension FlinkSnapshot {
    /// `dump --state`: the entries of one keyed state, decoded with the serializers the snapshot records, one JSON
    /// object per logical entry (docs/flink-values.md). Reads canonical and native savepoints, heap checkpoints and
    /// RocksDB full and incremental checkpoints; only the key groups the query needs are read (RocksDB: the column
    /// family's SST files, scanned in key order).
    public func forEachStateEntry(_ query: StateEntryQuery, _ body: (JSONValue) throws -> Bool) throws {
        try forEachStateEntryPart(query, operatorState: body) { line in
            var fields: [(String, JSONValue)] = [("operator", .string(line.display)), ("state", .string(line.state))]
            if let raw = line.raw {
                fields += [("keyGroup", .number(line.rawKeyGroup)), ("keyBytes", .string(Hex.encode(raw.key.dropFirst(line.keyGroupPrefixBytes)))),
                           ("valueBytes", .string(Hex.encode(raw.value)))]
            } else if let entry = line.entry {
                fields += [("keyGroup", .number(entry.keyGroup)), ("key", entry.key.json), ("namespace", entry.namespace.json)]
                if let u = entry.userKey { fields.append(("userKey", u.json)) }
                fields.append(("value", entry.value.json))
            }
            return try body(.object(fields))
        }
    }

    /// `dump --state` without a `JSONValue` per entry: appends each entry's compact JSON line (no line feed) to `out`
    /// and calls `body`, which may drain `out`. The bytes are those of `forEachStateEntry` rendered compactly.
    public func appendStateEntries(_ query: StateEntryQuery, to out: inout [UInt8], _ body: (inout [UInt8]) throws -> Bool) throws {
        try forEachStateEntryPart(query, operatorState: { line in
            line.append(to: &out)
            return try body(&out)
        }) { line in
            out.append(contentsOf: Self.operatorKey)
            FlinkValueJSONWriter.string(line.display, into: &out)
            out.append(contentsOf: Self.stateKey)
            FlinkValueJSONWriter.string(line.state, into: &out)
            if let raw = line.raw {
                out.append(contentsOf: Self.keyGroupKey)
                FlinkValueJSONWriter.decimal(Int64(line.rawKeyGroup), into: &out)
                out.append(contentsOf: Self.keyBytesKey)
                FlinkValueJSONWriter.hex(Array(raw.key.dropFirst(line.keyGroupPrefixBytes)), into: &out)
                out.append(contentsOf: Self.valueBytesKey)
                FlinkValueJSONWriter.hex(raw.value, into: &out)
            } else if let entry = line.entry {
                out.append(contentsOf: Self.keyGroupKey)
                FlinkValueJSONWriter.decimal(Int64(entry.keyGroup), into: &out)
                out.append(contentsOf: Self.keyKey)
                FlinkValueJSONWriter.append(entry.key, to: &out)
                out.append(contentsOf: Self.namespaceKey)
                FlinkValueJSONWriter.append(entry.namespace, to: &out)
                if let u = entry.userKey {
                    out.append(contentsOf: Self.userKeyKey)
                    FlinkValueJSONWriter.append(u, to: &out)
                }
                out.append(contentsOf: Self.valueKey)
                FlinkValueJSONWriter.append(entry.value, to: &out)
            }
            out.append(0x7D)
            return try body(&out)
        }
    }

    private static let operatorKey: [UInt8] = Array("{\"operator\":".utf8)
    private static let stateKey: [UInt8] = Array(",\"state\":".utf8)
    private static let keyGroupKey: [UInt8] = Array(",\"keyGroup\":".utf8)
    private static let keyBytesKey: [UInt8] = Array(",\"keyBytes\":".utf8)
    private static let valueBytesKey: [UInt8] = Array(",\"valueBytes\":".utf8)
    private static let keyKey: [UInt8] = Array(",\"key\":".utf8)
    private static let namespaceKey: [UInt8] = Array(",\"namespace\":".utf8)
    private static let userKeyKey: [UInt8] = Array(",\"userKey\":".utf8)
    private static let valueKey: [UInt8] = Array(",\"value\":".utf8)

    /// One keyed entry as the traversal finds it, before it is written: decoded, or stored bytes for `--raw`.
    struct KeyedEntryLine {
        var display: String
        var state: String
        var entry: FlinkStateEntry?
        var raw: (key: ArraySlice<UInt8>, value: [UInt8])?
        var keyGroupPrefixBytes: Int

        /// The key group a raw key starts with.
        var rawKeyGroup: Int { raw.map { FlinkSnapshot.keyGroup(prefix: $0.key, bytes: keyGroupPrefixBytes) } ?? 0 }
    }

    /// The traversal both entry writers share: resolves the state, then calls `operatorState` with each operator-state
    /// line or `keyed` with each keyed entry, in storage order, until one returns false or the limit is reached.
    private func forEachStateEntryPart(
        _ query: StateEntryQuery, operatorState: (JSONValue) throws -> Bool, keyed body: (KeyedEntryLine) throws -> Bool
    ) throws {
        var keyedNames: [OperatorID: [String]] = [:]
        let candidates = metadata.operators.compactMap { op -> StateSelector.Candidate? in
            let keyed = stateMetaInfo(of: op).keyedStates.map(\.name)
            keyedNames[op.id] = keyed
            let names = keyed + operatorStateNames(op).filter { !keyed.contains($0) }
            guard !names.isEmpty else { return nil }
            return StateSelector.Candidate(id: op.id, names: [op.uid, op.name].compactMap { $0 }.filter { !$0.isEmpty }, states: names)
        }
        let (id, state) = try StateSelector(candidates).resolve(query.state)
        guard let op = metadata.operators.first(where: { $0.id == id }) else { return }
        let display = op.uid ?? op.name ?? op.id.hex
        if !(keyedNames[id] ?? []).contains(state) {
            try forEachOperatorStateEntry(op, state: state, display: display, query: query, operatorState)
            return
        }
        var emitted = 0
        var wantedKey: FlinkValue?
        var wantedGroup = query.keyGroup
        for st in op.subtasks where !st.finished {
            guard let handle = st.managedKeyedState else { continue }
            if let g = wantedGroup, !handle.keyGroupRange.contains(g) { continue }
            let at = SnapshotLocation(file: location.metadataPath, operatorID: op.id.hex, operatorName: display, subtask: st.index, state: state)
            guard let proxy = try located(at, { try keyedBackendProxy(operator: id, subtask: st.index) }),
                  let record = proxy.states.first(where: { $0.name == state }) else { continue }
            let keySerializer = proxy.keySerializer.serializer ?? .opaque(className: proxy.keySerializer.className, version: proxy.keySerializer.version)
            let layout = FlinkKeyedStateLayout(keySerializer: keySerializer, state: record, maxParallelism: op.maxParallelism)
            if let text = query.key, wantedKey == nil {
                let key: FlinkValue, group: Int
                do {
                    key = try FlinkKeyParser.parse(text, for: keySerializer)
                    group = try FlinkKeyHashing.keyGroup(for: key, serializer: keySerializer, maxParallelism: op.maxParallelism)
                } catch let e as FlinkSerializerError {
                    throw UsageError("--key \(text): the keys of \(display) are \(keySerializer.name): \(e.message)")
                }
                if let g = query.keyGroup, g != group {
                    throw UsageError("--key \(text) lives in key group \(group), not in --key-group \(g)")
                }
                (wantedKey, wantedGroup) = (key, group)
                if !handle.keyGroupRange.contains(group) { continue }
            }
            var stop = false
            func emit(_ entry: FlinkStateEntry?, raw: (key: ArraySlice<UInt8>, value: [UInt8])?) throws {
                guard !stop else { return }
                if let wantedKey, let entry, entry.key != wantedKey { return }
                let line = KeyedEntryLine(display: display, state: state, entry: query.raw ? nil : entry, raw: query.raw ? raw : nil,
                                          keyGroupPrefixBytes: layout.keyGroupPrefixBytes)
                emitted += 1
                if !(try body(line)) || (query.limit.map { emitted >= $0 } ?? false) { stop = true }
            }
            switch handle {
            case .keyGroups:
                guard let stateID = proxy.states.firstIndex(where: { $0.name == state }) else { continue }
                try located(at) {
                    try forEachKeyGroupFileEntry(operator: op, subtask: st, proxy: proxy, keySerializer: keySerializer, keyGroup: wantedGroup,
                                                 only: stateID, decode: { _ in !query.raw }, requireStoredBytes: query.raw) { _, entry, raw in
                        try emit(entry, raw: raw.map { ($0.key[...], $0.value) })
                        return !stop
                    }
                }
            case .incremental(let h):
                try located(at) {
                    try forEachRocksDBEntry(h, state: state, layout: layout, keyGroup: wantedGroup, decode: !query.raw || wantedKey != nil) { entry, key, value in
                        try emit(entry, raw: (key[...], value))
                        return !stop
                    }
                }
            case .changelog, .changelogInMemory, .changelogFiles:
                throw SnapshotError(.unsupportedVersion, "keyed state of subtask \(st.index) is a changelog (\(handle.kind)); Cairn does not replay changelog records, so a dump would miss the newest changes", at: at,
                                    hint: "dump a savepoint of the job, or a checkpoint taken without the changelog backend")
            }
            if stop { return }
        }
    }

    /// The key group a RocksDB / canonical key starts with.
    static func keyGroup(prefix key: ArraySlice<UInt8>, bytes: Int) -> Int {
        let k = Array(key.prefix(bytes))
        return k.count == 2 ? Int(k[0]) << 8 | Int(k[1]) : Int(k.first ?? 0)
    }

    /// Runs `body`, turning decoder errors into a `SnapshotError` at `at`.
    func located<T>(_ at: SnapshotLocation, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let e as FlinkSerializerError {
            var loc = at
            loc.offset = e.offset.map { UInt64(max(0, $0)) }
            throw SnapshotError(.invalidValue, e.message + (e.serializerClass.map { " (serializer \($0))" } ?? ""), at: loc,
                                hint: "Cairn decodes Flink's built-in serializers, POJOs, Avro and SQL rows; Kryo and custom serializers stay opaque")
        } catch let e as RocksDBError {
            var loc = at
            loc.offset = e.offset
            throw SnapshotError(.invalidValue, "RocksDB file \(e.file): \(e.message)", at: loc, hint: "the checkpoint is damaged; run cairn validate --deep on it")
        } catch let e as DecodeError {
            var loc = at
            loc.offset = UInt64(max(0, e.offset))
            throw SnapshotError(e.code, e.message, at: loc, hint: "the checkpoint is damaged; run cairn validate --deep on it")
        }
    }

    /// The one reader of a subtask's key-group file (canonical savepoint, full RocksDB checkpoint of 1.15, heap
    /// checkpoint compressed or not): `dump --state`, `forEachDecodedEntry` and the state-level rewrite all read
    /// through it. Key group by key group (only `keyGroup` when given), entries of state `only` (or all). `body` gets
    /// the state's index in `proxy`, the entry decoded when `decode(state)` says so, and the stored key and value —
    /// nil for heap checkpoints, which store whole objects; `requireStoredBytes` refuses those. `body` returns false
    /// to stop.
    func forEachKeyGroupFileEntry(
        operator op: FlinkOperatorState, subtask st: FlinkSubtaskState, proxy: FlinkKeyedBackendProxy, keySerializer: FlinkTypeSerializer,
        keyGroup wanted: Int? = nil, only: Int? = nil, decode: (Int) -> Bool = { _ in true }, requireStoredBytes: Bool = false,
        _ body: (Int, FlinkStateEntry?, (key: [UInt8], value: [UInt8])?) throws -> Bool
    ) throws {
        guard case .keyGroups(let tag, let range, let offsets, let delegate?, _)? = st.managedKeyedState else { return }
        let layouts = proxy.states.map { FlinkKeyedStateLayout(keySerializer: keySerializer, state: $0, maxParallelism: op.maxParallelism) }
        let full = tag == 7 || isFullSnapshot(offsets: offsets, delegate: delegate)
        if requireStoredBytes && !full {
            throw UsageError("--raw needs stored entries; a heap checkpoint writes whole objects without lengths. Dump it decoded, or dump a canonical savepoint")
        }
        let starts = offsets.enumerated().filter { $0.element > 0 }
        for (n, (i, offset)) in starts.enumerated() {
            let keyGroup = range.start + i
            if let wanted, wanted != keyGroup { continue }
            let end = n + 1 < starts.count ? starts[n + 1].element : delegate.stateSize
            guard end >= offset, end - offset <= 1 << 30 else {
                throw DecodeError(.lengthOutOfBounds, "key group \(keyGroup) spans \(end - offset) bytes; Cairn decodes key groups up to 1 GiB", at: Int(offset))
            }
            let bytes = try read(delegate, from: offset, to: end)
            if full {
                var go = true
                try FlinkKeyedStateScanner.forEachEntry(keyGroupBytes: bytes, compressed: proxy.compressed, keyGroup: keyGroup, at: offset, only: only) { s, key, value in
                    guard go else { return }
                    guard s < layouts.count else {
                        throw FlinkSerializerError(.malformed, "state id \(s) in key group \(keyGroup), the proxy has \(layouts.count) states", at: Int(offset))
                    }
                    go = try body(s, decode(s) ? try layouts[s].decodeKeyValue(key: key, value: value) : nil, (key, value))
                }
                if !go { return }
            } else {
                for e in try FlinkKeyedStateLayout.decodeHeapKeyGroup(bytes, layouts: layouts, compressed: proxy.compressed, only: only) {
                    guard e.entry.keyGroup == keyGroup else {
                        throw FlinkSerializerError(.malformed, "key group \(keyGroup) of a heap checkpoint holds key group id \(e.entry.keyGroup)", at: Int(offset))
                    }
                    guard try body(e.state, e.entry, nil) else { return }
                }
            }
        }
    }

    /// Entries of one state of a RocksDB snapshot (incremental or full checkpoint, native savepoint): the live keys of
    /// its column family over the snapshot's SST files, as RocksDB would restore them. `decode` false skips decoding.
    func forEachRocksDBEntry(
        _ h: FlinkKeyedHandle.IncrementalHandle, state: String, layout: FlinkKeyedStateLayout, keyGroup wanted: Int?, decode: Bool,
        _ body: (FlinkStateEntry?, [UInt8], [UInt8]) throws -> Bool
    ) throws {
        guard let manifestHandle = h.privateFiles.first(where: { $0.localPath.hasPrefix("MANIFEST-") })?.handle else {
            throw DecodeError(.invalidValue, "the RocksDB snapshot has no MANIFEST among its private files", at: 0)
        }
        let manifest = try RocksDBManifest(try read(manifestHandle, from: 0, to: manifestHandle.stateSize))
        guard let family = manifest.columnFamilies.first(where: { $0.value == state })?.key else { return }
        var files: [SSTFile] = []
        var sources: [any RandomAccessSource] = []
        defer { sources.forEach(account) }
        for (localPath, handle) in sstFiles(h) {
            guard let number = UInt64(localPath.dropLast(4)), manifest.liveFiles[number]?.columnFamily == family else { continue }
            guard let source = try randomAccess(handle) else {
                throw DecodeError(.truncated, "RocksDB file \(localPath) of state \(state) is missing", at: 0)
            }
            sources.append(source)
            files.append(try SSTFile(source: source))
        }
        var scan = try RocksDBColumnFamilyScan(files: files, mergeOperator: .flink)
        while let e = try scan.next() {
            if let wanted, Self.keyGroup(prefix: e.key[...], bytes: layout.keyGroupPrefixBytes) != wanted { continue }
            let entry = decode ? try layout.decodeKeyValue(key: e.key, value: e.value) : nil
            guard try body(entry, e.key, e.value) else { return }
        }
    }
}
