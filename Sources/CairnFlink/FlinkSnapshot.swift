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
                        var s = states[name] ?? StateSummary(
                            descriptor: StateDescriptor(name: name, kind: kind), keySerializer: nil, valueSerializer: nil,
                            size: 0, entryCount: 0, sizeBySubtask: [:], keyGroups: [])
                        s.size += size
                        s.entryCount = (s.entryCount ?? 0) + count
                        s.sizeBySubtask[st.index, default: 0] += size
                        states[name] = s
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

    /// Attributes the files of a RocksDB snapshot (incremental, full since 1.16, native savepoints) to state names by
    /// replaying its MANIFEST: each SST's file number gives its column family, named after the Flink state.
    func rocksDBStates(_ h: FlinkKeyedHandle.IncrementalHandle, subtask: Int, operator op: FlinkOperatorState,
                       into byName: inout [String: StateSummary]) throws {
        func add(_ name: String, _ kind: StateKind, _ size: Int64, files: Int64) {
            var s = byName[name] ?? StateSummary(
                descriptor: StateDescriptor(name: name, kind: kind), keySerializer: nil, valueSerializer: nil,
                size: 0, entryCount: nil, sizeBySubtask: [:], keyGroups: [])
            s.size += size
            s.sizeBySubtask[subtask, default: 0] += size
            byName[name] = s
            _ = files
        }
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
        var other: Int64 = h.metadata?.stateSize ?? 0
        for (localPath, handle) in h.shared + h.privateFiles {
            guard let handle else { continue }
            if localPath.hasSuffix(".sst"), let number = UInt64(localPath.dropLast(4)) {
                if let live = manifest.liveFiles[number], let cf = manifest.columnFamilies[live.columnFamily] {
                    add(cf, kinds[cf] ?? (cf.hasPrefix("_timer_state/") ? .timers : .value), handle.stateSize, files: 1)
                } else {
                    add("(SST files not in the MANIFEST)", .value, handle.stateSize, files: 1)
                }
            } else {
                other += handle.stateSize
            }
        }
        add("(RocksDB MANIFEST, OPTIONS, CURRENT, meta)", .value, other, files: 0)
    }

    /// Every file reference with its owner, for validation and storage facts.
    public var fileReferences: [(operator: FlinkOperatorState, subtask: Int?, role: String, reference: FlinkFileReference)] {
        var out: [(FlinkOperatorState, Int?, String, FlinkFileReference)] = []
        for op in metadata.operators {
            if let r = op.coordinator?.fileReference { out.append((op, nil, "coordinator state", r)) }
            for st in op.subtasks {
                for (role, h) in st.streamHandles { if let r = h.fileReference { out.append((op, st.index, role, r)) } }
            }
        }
        return out
    }

    func storageSummary() -> StorageSummary {
        var inline: Int64 = 0
        for op in metadata.operators {
            inline += op.coordinator?.inlineSize ?? 0
            for st in op.subtasks { inline += st.streamHandles.reduce(0) { $0 + $1.handle.inlineSize } }
        }
        var seen: [String: Int64] = [:]
        var relocated = 0, missing = 0, remote = 0
        // In object storage every existence check is a request: a summary reads `_metadata` alone and says so.
        let checkFiles = resolver.files.answersExistenceLocally
        for (_, _, _, ref) in fileReferences {
            // Relative names cannot start with "/", absolute ones always have a scheme or "/": no clash.
            let key = ref.path
            if seen[key] != nil { continue }
            seen[key] = ref.segmentStart == nil ? ref.recordedSize : ref.requiredSize
            guard checkFiles else { continue }
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
                for (_, _, _, ref) in other.fileReferences where !ref.relative { others.insert(ref.path) }
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

    /// Scans the keyed state that the full-snapshot format delimits (canonical savepoints), reading each key group
    /// from its offset; heap checkpoints get bytes per key group from their offsets.
    func scan(topLimit: Int) throws -> (states: [OperatorID: [StateSummary]], largest: [KeySize], undecoded: [ValidationProblem]) {
        var out: [OperatorID: [StateSummary]] = [:]
        var largest: [KeySize] = []
        var undecoded: [ValidationProblem] = []
        for op in metadata.operators {
            var byName: [String: StateSummary] = [:]
            for st in op.subtasks {
                if case .incremental(let h)? = st.managedKeyedState {
                    try rocksDBStates(h, subtask: st.index, operator: op, into: &byName)
                    continue
                }
                guard case .keyGroups(let tag, let range, let offsets, let delegate?, _)? = st.managedKeyedState else { continue }
                let end = delegate.stateSize
                let firstOffset = offsets.filter { $0 > 0 }.min() ?? end
                let header = try read(delegate, from: 0, to: firstOffset)
                // Canonical savepoints (tag 7) and RocksDB full checkpoints of 1.15 (tag 12) use the self-delimiting
                // full-snapshot format; heap checkpoints (also tag 12) do not, so for those the scan fails and
                // bytes per key group come from the offsets.
                var canonical: FlinkKeyedStateScanner.Result?
                let names = FlinkKeyedStateScanner.stateNames(header: header)
                if let names, !names.isEmpty {
                    var result = FlinkKeyedStateScanner.Result()
                    do {
                        // KeyedBackendSerializationProxy: int version, bool compression, …
                        let compressed = header.count > 4 && header[4] == 1
                        try FlinkKeyedStateScanner.scan(length: end, compressed: compressed, range: range, offsets: offsets, topLimit: topLimit,
                                                        into: &result) { try read(delegate, from: $0, to: $1) }
                        canonical = result
                    } catch let error as DecodeError {
                        if tag == 7 {
                            throw SnapshotError(error.code, "keyed state of a canonical savepoint: \(error.message)",
                                                at: SnapshotLocation(file: location.metadataPath, offset: UInt64(error.offset), operatorID: op.id.hex,
                                                                     operatorName: op.name ?? op.uid, subtask: st.index))
                        }
                    }
                }
                if let result = canonical, let names {
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
                } else if let decoded = heapDecoded(op: op, subtask: st.index, range: range, offsets: offsets, delegate: delegate, into: &undecoded) {
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
                } else {
                    // Heap entries that could not be decoded: offsets still give bytes per key group.
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
