/// The ranged reads that restore a snapshot, planned across files and packs at once.
///
/// Per-file reads of back-to-back neighbours cost one GET per little run: a push packs chunks in the order its
/// workers finish them, so a file's chunks lie in its packs nearly, not exactly, in order, and a Flink
/// checkpoint's many small files share packs. The plan walks every chunk reference in output order and gives the
/// first one not yet covered one read of its pack that also covers every other reference to that pack within the
/// next `window` output bytes: the whole span when most of it is needed (whole packs, typically), otherwise the run
/// around the reference whose holes are at most `gap` bytes. Reads come in the order of their first reference, so
/// output is written in order with at most `window` bytes (plus the reads in flight) held in memory.
struct PullPlan: Sendable {
    /// One chunk reference in output order: the `index`-th chunk of file `file`.
    struct Ref: Sendable {
        var file: Int
        var id: ChunkID
        var location: ChunkLocation
    }

    /// One ranged GET and the references it serves, each with its chunk's place in the read.
    struct Read: Sendable {
        var packKey: String
        var offset: UInt64
        var length: Int
        var parts: [(ref: Int, id: ChunkID, location: ChunkLocation)]
    }

    var refs: [Ref] = []
    var reads: [Read] = []
    /// Stored bytes of all references (each counted where it is written).
    var neededBytes: UInt64 = 0
    /// Bytes the reads fetch, holes and whole packs included.
    var fetchedBytes: UInt64 = 0

    /// Plans `files` (each a list of chunk ids; ids the index lacks are skipped — the caller checks them first).
    init(files: [[ChunkID]], index: ChunkIndex, window: UInt64 = 64 << 20, gap: UInt64 = 4 << 20, maxRequest: UInt64 = 64 << 20) {
        var outputStart: [UInt64] = []
        var position: UInt64 = 0
        for (f, ids) in files.enumerated() {
            for id in ids {
                guard let loc = index.chunks[id] else { continue }
                refs.append(Ref(file: f, id: id, location: loc))
                outputStart.append(position)
                position += UInt64(loc.storedLength)
            }
        }
        neededBytes = position

        // Each pack's references in output order, and a cursor past the ones already covered.
        var byPack: [Int32: [Int]] = [:]
        for (r, ref) in refs.enumerated() { byPack[ref.location.pack, default: []].append(r) }
        var packCursor: [Int32: Int] = [:]
        var covered = [Bool](repeating: false, count: refs.count)

        for r in refs.indices where !covered[r] {
            let pack = refs[r].location.pack
            let list = byPack[pack] ?? []
            var cursor = packCursor[pack] ?? 0
            while cursor < list.count && covered[list[cursor]] { cursor += 1 }
            packCursor[pack] = cursor
            // Uncovered references to this pack within the window, in output order.
            var candidates: [Int] = []
            var i = cursor
            while i < list.count, outputStart[list[i]] - outputStart[r] <= window {
                if !covered[list[i]] { candidates.append(list[i]) }
                i += 1
            }
            let chosen = Self.choose(candidates, anchor: r, refs: refs, gap: gap, maxRequest: maxRequest)
            var parts: [(ref: Int, id: ChunkID, location: ChunkLocation)] = []
            var low = UInt64.max, high: UInt64 = 0
            for c in chosen {
                covered[c] = true
                let loc = refs[c].location
                parts.append((c, refs[c].id, loc))
                low = min(low, loc.offset)
                high = max(high, loc.offset + UInt64(loc.storedLength))
            }
            let key = PackTable.key(for: index.pack(of: refs[r].location).packID)
            reads.append(Read(packKey: key, offset: low, length: Int(high - low), parts: parts))
            fetchedBytes += high - low
        }
    }

    /// Which candidates (all in one pack, `anchor` among them) one read covers: the whole span when at least half
    /// of it is needed and it fits one request, else the gap-bounded run around the anchor.
    private static func choose(_ candidates: [Int], anchor: Int, refs: [Ref], gap: UInt64, maxRequest: UInt64) -> [Int] {
        // Distinct stored ranges, by offset; a chunk referenced twice is fetched once.
        let sorted = candidates.sorted { (refs[$0].location.offset, $0) < (refs[$1].location.offset, $1) }
        var needed: UInt64 = 0
        var lastOffset: UInt64? = nil
        for c in sorted where refs[c].location.offset != lastOffset {
            needed += UInt64(refs[c].location.storedLength)
            lastOffset = refs[c].location.offset
        }
        let low = refs[sorted[0]].location.offset
        let high = sorted.map { refs[$0].location.offset + UInt64(refs[$0].location.storedLength) }.max() ?? low
        if high - low <= maxRequest && needed * 2 >= high - low { return sorted }

        // Runs separated by holes over `gap` (or cut at `maxRequest`); keep the anchor's.
        var runs: [[Int]] = [[]]
        var runStart = low, runEnd = low
        for c in sorted {
            let loc = refs[c].location
            let end = loc.offset + UInt64(loc.storedLength)
            if !runs[runs.count - 1].isEmpty && (loc.offset > runEnd + gap || max(runEnd, end) - runStart > maxRequest) {
                runs.append([])
                runStart = loc.offset
                runEnd = loc.offset
            }
            runs[runs.count - 1].append(c)
            runEnd = max(runEnd, end)
        }
        return runs.first { $0.contains(anchor) } ?? [anchor]
    }
}
