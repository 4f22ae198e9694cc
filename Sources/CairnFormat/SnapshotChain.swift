import CairnCore
import CairnModel

/// A snapshot with the bases it was written on: a delta, its base, that base's base, … down to a full snapshot
/// (format spec §13). Opening checks every link — the base is found by name next to the delta and must be the very
/// file the delta was written against — and reading merges the chain, so callers see full keyed state.
public final class SnapshotChain: Sendable {
    /// The snapshot asked for first, then each base in turn; the last one is full.
    public let links: [SnapshotReader]

    /// The snapshot asked for.
    public var top: SnapshotReader { links[0] }
    public var isDelta: Bool { links.count > 1 }

    /// Opens `path` and, if it is a delta, every base below it from the same directory.
    public convenience init(path: String) throws {
        let directory = FilePaths.parent(path)
        try self.init(top: try SnapshotReader(path: path)) { name in
            let basePath = directory == "/" ? "/" + name : directory + "/" + name
            guard FilePaths.kind(basePath) == .file else { return nil }
            return try SnapshotReader(path: basePath)
        }
    }

    /// Follows the chain from `top`, asking `openBase` for each base by its file name (nil when it is not there).
    public init(top: SnapshotReader, openBase: (String) throws -> SnapshotReader?) throws {
        var links = [top]
        var current = top
        while let base = current.index.base {
            guard links.count <= FileLayout.maxChainDepth else {
                throw SnapshotError(.invalidValue, "the chain of deltas is longer than \(FileLayout.maxChainDepth)", at: SnapshotLocation(file: current.source.name))
            }
            let delta = current.source.name
            guard let opened = try openBase(base.file) else {
                throw SnapshotError(
                    .invalidValue, "the delta's base \(base.file) (snapshot \(base.snapshotId)) is missing",
                    at: SnapshotLocation(file: delta),
                    hint: "A delta is read together with its base: put \(base.file) next to \(delta) (cairn pull the base's snapshot too), or compact the chain while both are present (cairn rewrite --compact).")
            }
            try Self.check(link: base, of: delta, against: opened)
            links.append(opened)
            current = opened
        }
        self.links = links
    }

    /// The base found must be the one the delta recorded: same snapshot id, size, index checksum and depth.
    static func check(link base: DeltaBase, of delta: String, against opened: SnapshotReader) throws {
        var differences: [String] = []
        let id = opened.index.metadata.snapshotId
        if id != base.snapshotId { differences.append("snapshot id \(id), the delta expects \(base.snapshotId)") }
        if opened.source.size != base.fileSize { differences.append("\(opened.source.size) bytes, the delta expects \(base.fileSize)") }
        if opened.indexCRC != base.indexCRC { differences.append("index checksum \(hex32(opened.indexCRC)), the delta expects \(hex32(base.indexCRC))") }
        let depth = (opened.index.base?.depth ?? 0) + 1
        if depth != base.depth { differences.append("it makes the chain \(depth) deep, the delta records \(base.depth)") }
        guard differences.isEmpty else {
            throw SnapshotError(
                .invalidValue, "\(opened.source.name) is not the base \(delta) was written on: \(differences.joined(separator: "; "))",
                at: SnapshotLocation(file: delta),
                hint: "Restore the base the delta was written against (same checkpoint, unchanged file), or use a full snapshot.")
        }
    }

    // MARK: Merged keyed state

    /// Where each key group's entries of each keyed state sit in one link: (operator id, state name) → key group → segment.
    private struct SegmentMap: Sendable {
        var maxParallelism: [OperatorID: Int] = [:]
        var segments: [StateKey: [Int: KeyGroupSegment]] = [:]
    }

    struct StateKey: Hashable, Sendable {
        var operatorID: OperatorID
        var state: String
    }

    private let maps: Locked<[Int: SegmentMap]> = Locked([:])

    private func map(_ link: Int) -> SegmentMap {
        if let m = maps.withLock({ $0[link] }) { return m }
        var m = SegmentMap()
        for op in links[link].index.operators {
            m.maxParallelism[op.info.id] = op.info.maxParallelism
            for st in op.subtasks {
                for u in st.keyed {
                    let key = StateKey(operatorID: op.info.id, state: op.states[u.stateIndex].name)
                    for seg in u.segments { m.segments[key, default: [:]][seg.keyGroup] = seg }
                }
            }
        }
        maps.withLock { $0[link] = m }
        return m
    }

    /// The merged entries of one key group of one keyed state, in key order, tombstones applied (none remain).
    /// Memory holds one key group per link.
    public func mergedEntries(operator id: OperatorID, state: String, keyGroup: Int) throws -> [KeyedEntry] {
        try entries(link: 0, StateKey(operatorID: id, state: state), keyGroup: keyGroup)
    }

    private func entries(link: Int, _ key: StateKey, keyGroup: Int) throws -> [KeyedEntry] {
        let reader = links[link]
        let m = map(link)
        var own: [KeyedEntry] = []
        if let seg = m.segments[key]?[keyGroup] {
            let oi = reader.index.operators.firstIndex { $0.info.id == key.operatorID }
            try reader.forEachEntry(of: seg, at: reader.location(operator: oi, state: key.state, keyGroup: keyGroup)) { own.append($0) }
        }
        guard link + 1 < links.count else { return own }
        if own.first?.isReset == true { return own.dropFirst().filter { !$0.isTombstone } }
        let baseMap = map(link + 1)
        guard let baseMax = baseMap.maxParallelism[key.operatorID], baseMap.segments[key] != nil else {
            return own.filter { !$0.isTombstone }
        }
        if let mine = m.maxParallelism[key.operatorID], mine != baseMax {
            throw SnapshotError(
                .invalidValue,
                "operator \(key.operatorID) has max parallelism \(mine) here but \(baseMax) in the base \(links[link + 1].source.name); key groups of a delta must be the base's",
                at: reader.location(state: key.state))
        }
        let below = try entries(link: link + 1, key, keyGroup: keyGroup)
        return Self.merge(base: below, delta: own)
    }

    /// Applies a delta's sorted entries to the base's: an entry replaces the base's at the same position, a
    /// tombstone removes it.
    static func merge(base: [KeyedEntry], delta: [KeyedEntry]) -> [KeyedEntry] {
        guard !delta.isEmpty else { return base }
        var out: [KeyedEntry] = []
        out.reserveCapacity(base.count + delta.count)
        var i = 0, j = 0
        while i < base.count || j < delta.count {
            if j == delta.count || (i < base.count && base[i].precedes(delta[j])) {
                out.append(base[i])
                i += 1
            } else {
                if i < base.count && base[i].samePosition(as: delta[j]) { i += 1 }
                if !delta[j].isTombstone { out.append(delta[j]) }
                j += 1
            }
        }
        return out
    }

    // MARK: Sizes

    /// Bytes of keyed state a link stores (format spec §8).
    private static func keyedSize(_ reader: SnapshotReader) -> Int64 {
        var total: Int64 = 0
        for op in reader.index.operators {
            for st in op.subtasks {
                for u in st.keyed {
                    for seg in u.segments { for b in seg.blocks.range { total += reader.index.blocks[b].size } }
                }
            }
        }
        return total
    }

    /// Keyed bytes of the bases below the top: what a restore reads besides the top file. Added to the top's own
    /// state size this gives the chain's `stateSize`, as Flink counts the shared files an incremental checkpoint
    /// references in its state size (§13.4).
    public var baseKeyedSize: Int64 { links.dropFirst().reduce(Int64(0)) { $0 + Self.keyedSize($1) } }
}
