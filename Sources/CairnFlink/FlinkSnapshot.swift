import CairnCore
import CairnRocksDB
import CairnModel

/// A Flink checkpoint or savepoint as a `SnapshotView`: sizes exactly as Flink's own
/// `Checkpoints.loadCheckpointMetadata` reports them, per operator and subtask, from `_metadata` alone.
public struct FlinkSnapshot: SnapshotView {
    public let location: FlinkSnapshotLocation
    public let metadata: FlinkCheckpointMetadata
    public let metadataSize: Int64
    public let resolver: FlinkPathResolver
    let counter: ReadCounter

    public init(source: String) throws {
        try self.init(location: try FlinkSnapshotLocation.locate(source), files: LocalFiles())
    }

    /// A snapshot whose files are read through `files` (for example from a Cairn store).
    public init(location: FlinkSnapshotLocation, files: any SnapshotFiles) throws {
        let file = try files.open(location.metadataPath)
        let bytes = try file.read(at: 0, count: Int(file.size))
        self.location = location
        self.metadata = try FlinkMetadataParser.parse(bytes, file: location.metadataPath)
        self.metadataSize = Int64(file.size)
        self.resolver = FlinkPathResolver(directory: location.directory, files: files)
        self.counter = ReadCounter(initial: file.bytesRead)
    }

    public var bytesRead: UInt64 { counter.value }

    /// Savepoint or checkpoint: from the v4+ trailer, else from the directory name.
    public var kind: SnapshotKind {
        if let p = metadata.properties { return p.isSavepoint ? .savepoint : .checkpoint }
        return FilePaths.lastComponent(location.directory).hasPrefix("savepoint-") ? .savepoint : .checkpoint
    }

    /// The job id, where the path shows it (`…/<job-id>/chk-N`).
    public var jobId: String {
        let dir = FilePaths.lastComponent(location.directory)
        let parent = FilePaths.lastComponent(FilePaths.parent(location.directory))
        return dir.hasPrefix("chk-") && FilePaths.isJobID(parent) ? parent : ""
    }

    public func summary() throws -> SnapshotSummary {
        var props: [String: String] = [
            "flink.metadataVersion": "\(metadata.version)",
            "flink.versions": FlinkCheckpointMetadata.flinkVersions(forMetadataVersion: metadata.version),
            "flink.metadataPath": location.metadataPath,
        ]
        if let p = metadata.properties {
            if let f = p.savepointFormat { props["flink.savepointFormat"] = f }
            if let t = p.typeName { props["flink.snapshotType"] = t }
            if let s = p.sharingFilesStrategy { props["flink.sharingFilesStrategy"] = s }
        }
        if !metadata.masterStates.isEmpty { props["flink.masterStates"] = metadata.masterStates.map(\.name).joined(separator: ",") }
        let unaligned = metadata.operators.contains { $0.subtasks.contains { !$0.inputChannels.isEmpty || !$0.outputChannels.isEmpty } }
        let meta = SnapshotMetadata(
            snapshotId: "\(metadata.checkpointId)", kind: kind, engineName: "flink",
            engineVersion: FlinkCheckpointMetadata.flinkVersions(forMetadataVersion: metadata.version), jobId: jobId, jobName: "",
            createdAt: 0, mode: unaligned ? .unaligned : .aligned, properties: props)
        var ops: [OperatorSummary] = []
        for op in metadata.operators {
            let info = OperatorInfo(id: op.id, uid: op.uid ?? "", name: op.name ?? "", parallelism: op.parallelism, maxParallelism: op.maxParallelism)
            var states: [String: StateSummary] = [:]
            var subtasks: [SubtaskSummary] = []
            subtasks.reserveCapacity(op.subtasks.count)
            for st in op.subtasks {
                let splits = (try? sourceSplits(st)) ?? []
                var sub = SubtaskSummary(
                    index: st.index, keyedSize: st.keyedStateSize, operatorSize: st.operatorStateSize,
                    inputChannelSize: st.inputChannelSize, outputSubpartitionSize: st.outputChannelSize,
                    checkpointedSize: st.checkpointedSize, keyGroups: st.managedKeyedState?.keyGroupRange ?? st.rawKeyedState?.keyGroupRange,
                    splits: splits)
                sub.finished = st.finished
                subtasks.append(sub)
                for handle in [st.managedOperatorState, st.rawOperatorState].compactMap({ $0 }) {
                    for (name, mode, size, count) in Self.operatorStateSizes(handle) {
                        let kind: StateKind = mode == .union ? .operatorUnion : mode == .broadcast ? .broadcast : .operatorList
                        // Updated in place: a copy out and back would copy `sizeBySubtask` on every subtask.
                        states[name, default: StateSummary(
                            descriptor: StateDescriptor(name: name, kind: kind), keySerializer: nil, valueSerializer: nil,
                            size: 0, entryCount: 0, sizeBySubtask: [:], keyGroups: [])].add(size: size, entries: count, subtask: st.index)
                    }
                }
            }
            var summary = OperatorSummary(
                info: info, coordinatorSize: op.coordinator?.stateSize ?? 0, subtasks: subtasks,
                states: states.keys.sorted().map { states[$0]! })
            summary.fullyFinished = op.fullyFinished
            ops.append(summary)
        }
        var summary = SnapshotSummary(metadata: meta, format: "flink _metadata v\(metadata.version)", operators: ops)
        summary.storage = storageSummary()
        return summary
    }

    /// Bytes per operator state name from the handle's offsets: an element runs to the next offset of the stream,
    /// the last one to the end of the stream. Returns (name, mode, bytes, elements).
    static func operatorStateSizes(_ h: FlinkOperatorStateHandle) -> [(String, FlinkOperatorStateHandle.Mode, Int64, Int64)] {
        let spans = OffsetSpans(all: h.states.flatMap(\.offsets), end: h.stateSize)
        return h.states.map { s in (s.name, s.mode, spans.bytes(s.offsets), Int64(s.offsets.count)) }
    }

    /// Reads `[offset, end)` of a stream handle: inline bytes, or a local (possibly relocated) file. Empty when the
    /// file cannot be found (validate names those).
    public func read(_ handle: FlinkStreamHandle, from offset: Int64, to end: Int64) throws -> [UInt8] {
        guard end >= offset, offset >= 0 else { return [] }
        switch handle {
        case .inline(_, let data):
            guard end <= Int64(data.count) else { return [] }
            return Array(data[Int(offset)..<Int(end)])
        case .segment(let start, _, _, _, _):
            guard let ref = handle.fileReference, let path = resolver.resolve(ref).localPath else { return [] }
            let f = try resolver.files.open(path)
            defer { counter.add(f.bytesRead) }
            return try f.read(at: UInt64(start + offset), count: Int(end - offset))
        default:
            guard let ref = handle.fileReference, let path = resolver.resolve(ref).localPath else { return [] }
            let f = try resolver.files.open(path)
            defer { counter.add(f.bytesRead) }
            return try f.read(at: UInt64(offset), count: Int(end - offset))
        }
    }

    /// The source splits of a subtask, from its `SourceReaderState` elements.
    func sourceSplits(_ st: FlinkSubtaskState) throws -> [SourceSplit] {
        guard let h = st.managedOperatorState, let state = h.states.first(where: { $0.name == "SourceReaderState" }),
              let delegate = h.delegate, !state.offsets.isEmpty
        else { return [] }
        let spans = OffsetSpans(all: h.states.flatMap(\.offsets), end: h.stateSize)
        var out: [SourceSplit] = []
        for (i, o) in state.offsets.enumerated() {
            let end = spans.end(of: o)
            guard end - o < 1 << 20 else { continue }
            let element = try read(delegate, from: o, to: end)
            if let s = FlinkSourceSplits.decode(element: element, index: i) { out.append(s) }
        }
        return out.sorted { Array($0.splitId.utf8).lexicographicallyPrecedes(Array($1.splitId.utf8)) }
    }

    /// What attributing a RocksDB snapshot's files to states needs from its files: the MANIFEST replayed and the
    /// state kinds from the meta-data stream. Reads; safe to run for many subtasks at once.
    func rocksDBInputs(_ h: FlinkKeyedHandle.IncrementalHandle, subtask: Int, operator op: FlinkOperatorState) throws
        -> (manifest: RocksDBManifest, kinds: [String: StateKind])
    {
        let location = SnapshotLocation(file: self.location.metadataPath, operatorID: op.id.hex, operatorName: op.name ?? op.uid, subtask: subtask)
        guard let manifestHandle = h.privateFiles.first(where: { $0.localPath.hasPrefix("MANIFEST-") })?.handle else {
            throw SnapshotError(.invalidValue, "the RocksDB snapshot has no MANIFEST among its private files", at: location)
        }
        let manifest: RocksDBManifest
        do {
            manifest = try RocksDBManifest(try read(manifestHandle, from: 0, to: manifestHandle.stateSize))
        } catch let e as DecodeError {
            throw SnapshotError(e.code, "RocksDB MANIFEST: \(e.message)", at: location)
        }
        var kinds: [String: StateKind] = [:]
        if let meta = h.metadata, let names = FlinkKeyedStateScanner.stateNames(header: try read(meta, from: 0, to: meta.stateSize)) {
            for n in names { kinds[n.name] = n.kind }
        }
        return (manifest, kinds)
    }

    /// Attributes the files of a RocksDB snapshot (incremental, full since 1.16, native savepoints) to state names by
    /// replaying its MANIFEST: each SST's file number gives its column family, named after the Flink state.
    func rocksDBStates(_ h: FlinkKeyedHandle.IncrementalHandle, subtask: Int, manifest: RocksDBManifest, kinds: [String: StateKind],
                       into byName: inout [String: StateSummary]) {
        func add(_ name: String, _ kind: StateKind, _ size: Int64) {
            var s = byName[name] ?? StateSummary(
                descriptor: StateDescriptor(name: name, kind: kind), keySerializer: nil, valueSerializer: nil,
                size: 0, entryCount: nil, sizeBySubtask: [:], keyGroups: [])
            s.size += size
            s.sizeBySubtask[subtask, default: 0] += size
            byName[name] = s
        }
        var other: Int64 = h.metadata?.stateSize ?? 0
        for (localPath, handle) in h.shared + h.privateFiles {
            guard let handle else { continue }
            if localPath.hasSuffix(".sst"), let number = UInt64(localPath.dropLast(4)) {
                if let live = manifest.liveFiles[number], let cf = manifest.columnFamilies[live.columnFamily] {
                    add(cf, kinds[cf] ?? (cf.hasPrefix("_timer_state/") ? .timers : .value), handle.stateSize)
                } else {
                    add("(SST files not in the MANIFEST)", .value, handle.stateSize)
                }
            } else {
                other += handle.stateSize
            }
        }
        add("(RocksDB MANIFEST, OPTIONS, CURRENT, meta)", .value, other)
    }

    /// Every file reference with its owner, for validation and storage facts.
    public var fileReferences: [(operator: FlinkOperatorState, subtask: Int?, role: String, reference: FlinkFileReference)] {
        var out: [(FlinkOperatorState, Int?, String, FlinkFileReference)] = []
        forEachFileReference { op, subtask, role, r in out.append((metadata.operators[op], subtask, role, r)) }
        return out
    }

    /// Visits every file reference with its owner (an index into `metadata.operators`) without collecting them:
    /// a 1,000 × 256 snapshot has half a million.
    public func forEachFileReference(_ body: (_ op: Int, _ subtask: Int?, _ role: String, _ reference: FlinkFileReference) throws -> Void) rethrows {
        for (o, op) in metadata.operators.enumerated() {
            if let r = op.coordinator?.fileReference { try body(o, nil, "coordinator state", r) }
            for st in op.subtasks {
                try st.forEachStreamHandle { role, h in if let r = h.fileReference { try body(o, st.index, role, r) } }
            }
        }
    }

    func storageSummary() -> StorageSummary {
        var inline: Int64 = 0
        for op in metadata.operators {
            inline += op.coordinator?.inlineSize ?? 0
            for st in op.subtasks { st.forEachStreamHandle { _, h in inline += h.inlineSize } }
        }
        var seen: [String: Int64] = [:]
        var relocated = 0, missing = 0, remote = 0
        // In object storage every existence check is a request: a summary reads `_metadata` alone and says so.
        let checkFiles = resolver.files.answersExistenceLocally
        forEachFileReference { _, _, _, ref in
            // Relative names cannot start with "/", absolute ones always have a scheme or "/": no clash.
            let size = ref.segmentStart == nil ? ref.recordedSize : ref.requiredSize
            if seen[ref.path] != nil { return }
            seen[ref.path] = size
            guard checkFiles else { return }
            switch resolver.resolve(ref) {
            case .relocated: relocated += 1
            case .missing: missing += 1
            case .remote: remote += 1
            case .local: break
            }
        }
        // Files this checkpoint shares with the other checkpoints of its job directory (not in object storage, where
        // each other `_metadata` would be a download a summary does not make).
        var sharedBytes: Int64? = nil
        if !location.otherCheckpoints.isEmpty && checkFiles {
            var others = Set<String>()
            for dir in location.otherCheckpoints {
                let location = FlinkSnapshotLocation(metadataPath: dir + "/_metadata", directory: dir)
                guard let other = try? FlinkSnapshot(location: location, files: resolver.files) else { continue }
                other.forEachFileReference { _, _, _, ref in if !ref.relative { others.insert(ref.path) } }
            }
            sharedBytes = seen.filter { others.contains($0.key) }.values.reduce(0, +)
        }
        let fileBytes = seen.values.reduce(0, +)
        return StorageSummary(
            metadataSize: metadataSize, inlineSize: inline, files: seen.count, fileBytes: fileBytes,
            sharedWithOtherCheckpoints: sharedBytes, relocatedPaths: relocated, missingFiles: missing, remoteFiles: remote,
            otherCheckpoints: location.otherCheckpoints, filesChecked: checkFiles)
    }

    public func largestKeys(limit: Int) throws -> [KeySize] {
        try scan(topLimit: limit).largest
    }

    public func scanStates() throws -> [OperatorID: [StateSummary]] {
        try scan(topLimit: 0).states
    }

    /// What one subtask's scan found, before it is added to the operator's states.
    enum SubtaskScan: Sendable {
        case nothing
        case rocksDB(FlinkKeyedHandle.IncrementalHandle, manifest: RocksDBManifest, kinds: [String: StateKind])
        /// The full-snapshot format, delimited and decoded.
        case canonical(names: [FlinkKeyedStateScanner.StateInfo], result: FlinkKeyedStateScanner.Result)
        /// A heap checkpoint: decoded with its serializers, or (`decoded` nil) only its offsets, with the reason.
        case heap(names: [FlinkKeyedStateScanner.StateInfo]?, decoded: [String: (stats: EntryStatistics, keyGroups: [KeyGroupSize])]?,
                  undecoded: ValidationProblem?)
    }

    /// Reads and decodes one subtask's keyed state; touches nothing shared, so subtasks scan side by side.
    func scanSubtask(_ op: FlinkOperatorState, _ st: FlinkSubtaskState, topLimit: Int) throws -> SubtaskScan {
        if case .incremental(let h)? = st.managedKeyedState {
            let inputs = try rocksDBInputs(h, subtask: st.index, operator: op)
            return .rocksDB(h, manifest: inputs.manifest, kinds: inputs.kinds)
        }
        guard case .keyGroups(let tag, let range, let offsets, let delegate?, _)? = st.managedKeyedState else { return .nothing }
        let end = delegate.stateSize
        let firstOffset = offsets.filter { $0 > 0 }.min() ?? end
        let header = try read(delegate, from: 0, to: firstOffset)
        // Canonical savepoints (tag 7) and RocksDB full checkpoints of 1.15 (tag 12) use the self-delimiting
        // full-snapshot format; heap checkpoints (also tag 12) do not, so for those the scan fails and
        // bytes per key group come from the offsets.
        let names = FlinkKeyedStateScanner.stateNames(header: header)
        if let names, !names.isEmpty {
            var result = FlinkKeyedStateScanner.Result()
            do {
                // KeyedBackendSerializationProxy: int version, bool compression, …
                let compressed = header.count > 4 && header[4] == 1
                try FlinkKeyedStateScanner.scan(length: end, compressed: compressed, range: range, offsets: offsets, topLimit: topLimit,
                                                into: &result) { try read(delegate, from: $0, to: $1) }
                return .canonical(names: names, result: result)
            } catch let error as DecodeError {
                if tag == 7 {
                    throw SnapshotError(error.code, "keyed state of a canonical savepoint: \(error.message)",
                                        at: SnapshotLocation(file: location.metadataPath, offset: UInt64(error.offset), operatorID: op.id.hex,
                                                             operatorName: op.name ?? op.uid, subtask: st.index))
                }
            }
        }
        var undecoded: [ValidationProblem] = []
        let decoded = heapDecoded(op: op, subtask: st.index, range: range, offsets: offsets, delegate: delegate, into: &undecoded)
        return .heap(names: names, decoded: decoded, undecoded: undecoded.first)
    }

    /// Scans the keyed state that the full-snapshot format delimits (canonical savepoints), reading each key group
    /// from its offset; heap checkpoints get bytes per key group from their offsets. Subtasks are read and decoded
    /// on all cores, a bounded number at once; their results are added in operator and subtask order, so the
    /// outcome, and the first error, are those of reading them one after the other.
    func scan(topLimit: Int) throws -> (states: [OperatorID: [StateSummary]], largest: [KeySize], undecoded: [ValidationProblem]) {
        var tasks: [(op: Int, subtask: Int)] = []
        for (o, op) in metadata.operators.enumerated() {
            for s in op.subtasks.indices { tasks.append((o, s)) }
        }
        let all = tasks
        let firstFailure = Locked(Int.max)
        let scans = ParallelMap.run(tasks.count, threads: FlinkSnapshot.scanThreads) { i -> Result<SubtaskScan, any Error> in
            // Past a failure nothing more is needed: the first error in order is what the scan reports.
            if firstFailure.withLock({ $0 < i }) { return .success(.nothing) }
            let op = metadata.operators[all[i].op]
            let result = Result { try scanSubtask(op, op.subtasks[all[i].subtask], topLimit: topLimit) }
            if case .failure = result { firstFailure.withLock { $0 = min($0, i) } }
            return result
        }
        var out: [OperatorID: [StateSummary]] = [:]
        var largest: [KeySize] = []
        var undecoded: [ValidationProblem] = []
        var next = 0
        for op in metadata.operators {
            var byName: [String: StateSummary] = [:]
            for st in op.subtasks {
                let scanned = try scans[next].get()
                next += 1
                switch scanned {
                case .nothing: continue
                case .rocksDB(let h, let manifest, let kinds):
                    rocksDBStates(h, subtask: st.index, manifest: manifest, kinds: kinds, into: &byName)
                case .canonical(let names, let result):
                    for (id, stats) in result.states.sorted(by: { $0.key < $1.key }) {
                        let info = id < names.count ? names[id] : FlinkKeyedStateScanner.StateInfo(name: "state #\(id)", kind: .value)
                        var s = byName[info.name] ?? StateSummary(
                            descriptor: StateDescriptor(name: info.name, kind: info.kind), keySerializer: nil, valueSerializer: nil,
                            size: 0, entryCount: 0, sizeBySubtask: [:], keyGroups: [], statistics: EntryStatistics())
                        s.size += stats.rawSize
                        s.entryCount = (s.entryCount ?? 0) + stats.entries
                        s.sizeBySubtask[st.index, default: 0] += stats.rawSize
                        s.keyGroups += (result.keyGroups[id] ?? [:]).values.sorted { $0.keyGroup < $1.keyGroup }
                        var total = s.statistics ?? EntryStatistics()
                        total.entries += stats.entries
                        total.rawSize += stats.rawSize
                        total.keyBytes += stats.keyBytes
                        total.valueBytes += stats.valueBytes
                        total.largestEntry = max(total.largestEntry, stats.largestEntry)
                        s.statistics = total
                        byName[info.name] = s
                    }
                    largest += result.largest.map { e in
                        KeySize(operatorID: op.id, state: e.state < names.count ? names[e.state].name : "state #\(e.state)",
                                keyGroup: e.keyGroup, key: e.key, size: e.size, entries: 1)
                    }
                case .heap(let names, let decoded?, _):
                    for (name, d) in decoded {
                        let kind = names?.first { $0.name == name }?.kind ?? .value
                        var s = byName[name] ?? StateSummary(
                            descriptor: StateDescriptor(name: name, kind: kind), keySerializer: nil, valueSerializer: nil,
                            size: 0, entryCount: 0, sizeBySubtask: [:], keyGroups: [], statistics: EntryStatistics())
                        s.size += d.stats.rawSize
                        s.entryCount = (s.entryCount ?? 0) + d.stats.entries
                        s.sizeBySubtask[st.index, default: 0] += d.stats.rawSize
                        s.keyGroups += d.keyGroups
                        var total = s.statistics ?? EntryStatistics()
                        total.entries += d.stats.entries
                        total.rawSize += d.stats.rawSize
                        total.entriesWithTTL += d.stats.entriesWithTTL
                        total.distinctKeys += d.stats.distinctKeys
                        total.keyBytes += d.stats.keyBytes
                        total.namespaceBytes += d.stats.namespaceBytes
                        total.userKeyBytes += d.stats.userKeyBytes
                        total.valueBytes += d.stats.valueBytes
                        total.largestEntry = max(total.largestEntry, d.stats.largestEntry)
                        s.statistics = total
                        byName[name] = s
                    }
                case .heap(_, nil, let problem):
                    if let problem { undecoded.append(problem) }
                    // Heap entries that could not be decoded: offsets still give bytes per key group.
                    guard case .keyGroups(_, let range, let offsets, let delegate?, _)? = st.managedKeyedState else { continue }
                    let end = delegate.stateSize
                    let name = "(keyed state)"
                    var s = byName[name] ?? StateSummary(
                        descriptor: StateDescriptor(name: name, kind: .value), keySerializer: nil, valueSerializer: nil,
                        size: 0, entryCount: nil, sizeBySubtask: [:], keyGroups: [])
                    let starts = offsets.enumerated().filter { $0.element > 0 }
                    for (n, (i, o)) in starts.enumerated() {
                        let next = n + 1 < starts.count ? starts[n + 1].element : end
                        s.keyGroups.append(KeyGroupSize(keyGroup: range.start + i, size: max(0, next - o), entries: 0))
                    }
                    s.size += end
                    s.sizeBySubtask[st.index, default: 0] += end
                    byName[name] = s
                }
            }
            if !byName.isEmpty { out[op.id] = byName.keys.sorted().map { byName[$0]! } }
        }
        largest.sort { $0.size > $1.size }
        return (out, Array(largest.prefix(topLimit)), undecoded)
    }

    /// Subtasks read at once by a deep scan: every core, each with one subtask's key groups in memory at a time.
    static let scanThreads = ParallelMap.cores

    /// Heap statistics of one subtask, or nil with a warning naming why its entries could not be decoded.
    func heapDecoded(
        op: FlinkOperatorState, subtask: Int, range: KeyGroupRange, offsets: [Int64], delegate: FlinkStreamHandle,
        into undecoded: inout [ValidationProblem]
    ) -> [String: (stats: EntryStatistics, keyGroups: [KeyGroupSize])]? {
        do {
            return try heapStatistics(operator: op, subtask: subtask, range: range, offsets: offsets, delegate: delegate)
        } catch {
            undecoded.append(ValidationProblem(
                .warning, code: "heapEntriesNotDecoded", "the entries of this heap checkpoint could not be decoded, so only their key-group offsets were checked: \(error)",
                at: SnapshotLocation(file: location.metadataPath, operatorID: op.id.hex, operatorName: op.name ?? op.uid, subtask: subtask)))
            return nil
        }
    }

    public func formatChecks(deep: Bool) -> [String] {
        let base = ["metadataStructure", "checkpointProperties", "filesExist", "fileSizes", "keyGroupOffsets", "operatorStateOffsets", "channelOffsets"]
        guard deep else { return base }
        let formats = keyedFormats()
        return base + (formats.contains(.fullSnapshot) ? ["keyedStateScan"] : []) + (formats.contains(.heap) ? ["heapEntriesDecoded"] : [])
            + (formats.contains(.rocksDB) ? ["rocksDBManifest", "sstBlockChecksums"] : [])
    }

    public func uncheckedParts(deep: Bool) -> [String] {
        guard deep else { return [] }
        var out: [String] = []
        let formats = keyedFormats()
        if formats.contains(.changelog) {
            out.append("changelog records: Cairn does not decode them")
        }
        return out
    }

    /// Whether a `KeyGroupsStateHandle` holds Flink's self-delimiting full-snapshot format (canonical savepoints,
    /// 1.15's full RocksDB checkpoints) rather than a heap checkpoint: its first key group must parse as one.
    func isFullSnapshot(offsets: [Int64], delegate: FlinkStreamHandle) -> Bool {
        let starts = offsets.filter { $0 > 0 }
        guard let first = starts.min() else { return false }
        let header = (try? read(delegate, from: 0, to: min(first, 1 << 20))) ?? []
        guard FlinkKeyedStateScanner.stateNames(header: header) != nil else { return false }
        let end = starts.filter { $0 > first }.min() ?? delegate.stateSize
        guard end - first <= 1 << 26, let bytes = try? read(delegate, from: first, to: end) else { return false }
        let compressed = header.count > 4 && header[4] == 1
        return (try? FlinkKeyedStateScanner.forEachEntry(keyGroupBytes: bytes, compressed: compressed, keyGroup: 0, at: first) { _, _, _ in }) != nil
    }

    /// The layouts the keyed state of this snapshot is written in, which decides what a deep check can read.
    enum KeyedFormat: Hashable { case fullSnapshot, heap, rocksDB, changelog }

    func keyedFormats() -> Set<KeyedFormat> {
        var out = Set<KeyedFormat>()
        for op in metadata.operators {
            for st in op.subtasks {
                switch st.managedKeyedState {
                case .keyGroups(let tag, _, let offsets, let delegate?, _)?:
                    if tag == 7 { out.insert(.fullSnapshot); continue }
                    out.insert(isFullSnapshot(offsets: offsets, delegate: delegate) ? .fullSnapshot : .heap)
                case .incremental?: out.insert(.rocksDB)
                case .changelog?, .changelogInMemory?, .changelogFiles?: out.insert(.changelog)
                case .keyGroups?, nil: break
                }
            }
        }
        return out
    }

    public func formatProblems(deep: Bool) -> [ValidationProblem] {
        var problems = FlinkValidator(snapshot: self).problems()
        if deep {
            // The scans decode every key group of canonical snapshots and every RocksDB MANIFEST.
            do { problems += try scan(topLimit: 0).undecoded } catch let e as SnapshotError {
                problems.append(ValidationProblem(e))
            } catch {
                problems.append(ValidationProblem(code: "unreadable", "\(error)", at: SnapshotLocation(file: location.metadataPath)))
            }
            problems += sstChecksumProblems().problems
        }
        return problems
    }
}

extension StateSummary {
    /// Adds one subtask's share of an operator state.
    fileprivate mutating func add(size: Int64, entries: Int64, subtask: Int) {
        self.size += size
        entryCount = (entryCount ?? 0) + entries
        sizeBySubtask[subtask, default: 0] += size
    }
}

/// Counts bytes read across copies of a value type.
final class ReadCounter: Sendable {
    private let total: Locked<UInt64>
    init(initial: UInt64) { total = Locked(initial) }
    func add(_ n: UInt64) { total.withLock { $0 += n } }
    var value: UInt64 { total.withLock { $0 } }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
