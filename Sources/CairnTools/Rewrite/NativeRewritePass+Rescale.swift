import CairnCore
import CairnFormat
import CairnModel

/// Rescaling: a new parallelism moves whole key groups (format spec §3.1: a block never spans two), list operator
/// state and source splits are split as Flink splits them on restore, union state goes to every subtask and
/// broadcast state is copied; a new max parallelism re-hashes every key and re-sorts each state's entries.
extension NativeRewritePass {
    mutating func writeRescaled(_ o: OutputOperator, _ counts: inout Counts) throws {
        let input = reader.index.operators[o.input]
        let oldP = input.info.parallelism
        let newP = o.info.parallelism
        let newM = o.info.maxParallelism
        let keyedStates = Set(input.subtasks.flatMap { $0.keyed.map(\.stateIndex) }).sorted()
        let operatorStates = Set(input.subtasks.flatMap { $0.operatorState.map(\.stateIndex) }).sorted()

        // Keyed state: where each key group's entries are, or (new max parallelism) every entry re-sorted.
        var streams: [Int: SortedEntryStream] = [:]
        var segments: [Int: [Int: (subtask: Int, segment: KeyGroupSegment)]] = [:]
        if o.newMaxParallelism != nil {
            for si in keyedStates { streams[si] = try rehash(o, si, newMaxParallelism: newM, &counts) }
        } else {
            for st in input.subtasks {
                for u in st.keyed {
                    for seg in u.segments { segments[u.stateIndex, default: [:]][seg.keyGroup] = (st.index, seg) }
                }
            }
        }

        // Operator state and splits: the new subtask's share of each.
        var listSlices: [Int: [Range<Int>]] = [:]
        var distribution = SplitDistribution(parallelism: newP)
        for si in operatorStates where o.states[si].kind == .operatorList && newP != oldP {
            let total = input.subtasks.flatMap(\.operatorState).filter { $0.stateIndex == si }.reduce(0) { $0 + $1.elementCount }
            listSlices[si] = distribution.slices(total: total)
        }
        let allSplits = input.subtasks.flatMap(\.splits)
        var splitDistribution = SplitDistribution(parallelism: newP)
        let splitSlices = splitDistribution.slices(total: allSplits.count)
        if newP != oldP {
            counts.droppedChannels = input.subtasks.reduce(0) { $0 + $1.channels.count }
            counts.droppedBuffers = input.subtasks.reduce(0) { $0 + $1.channels.reduce(0) { $0 + $1.bufferCount } }
        }

        for s in 0..<newP {
            try writer.beginSubtask(s)
            let range = KeyGroupRange.forSubtask(s, parallelism: newP, maxParallelism: newM)
            for si in keyedStates {
                try writer.beginKeyedState(o.states[si].name, range: range)
                if let stream = streams[si] {
                    while let e = try stream.next(below: range.end) {
                        try writer.append(key: e.key, namespace: e.namespace, userKey: e.userKey, value: e.value, ttl: e.ttl)
                    }
                } else {
                    for kg in range.start..<range.end {
                        guard let (from, seg) = segments[si]?[kg] else { continue }
                        try forEachTransformed(o, si, subtask: from, seg, &counts) { e, value in
                            try writer.append(key: Array(e.keyBytes), namespace: e.namespaceBytes.map(Array.init),
                                              userKey: e.userKeyBytes.map(Array.init), value: value, ttl: e.ttl)
                        }
                    }
                }
                try writer.endKeyedState()
            }
            let same = newP == oldP ? input.subtasks.first { $0.index == s } : nil
            for si in operatorStates {
                let units = input.subtasks.compactMap { st in st.operatorState.first { $0.stateIndex == si }.map { (subtask: st.index, unit: $0) } }
                if newP == oldP {
                    // Only the number of key groups changes: operator state stays with its subtask.
                    guard let same, let u = same.operatorState.first(where: { $0.stateIndex == si }) else { continue }
                    try writeOperatorState(o, si, subtask: s, from: [(s, u)], &counts)
                    continue
                }
                switch o.states[si].kind {
                case .operatorUnion:
                    try writeOperatorState(o, si, subtask: s, from: units, &counts)
                case .broadcast:
                    // Every subtask holds the same broadcast state; Flink gives new subtask i old subtask i mod p.
                    guard !units.isEmpty else { continue }
                    try writeOperatorState(o, si, subtask: s, from: [units[s % units.count]], &counts)
                default:
                    try writeOperatorState(o, si, subtask: s, from: units, &counts, slice: listSlices[si]?[s] ?? 0..<0)
                }
            }
            if let same, !o.dropChannels {
                for c in same.channels { try writer.writeChannel(c.channel, buffers: try buffers(o.input, s, c)) }
            }
            let splits = same.map(\.splits) ?? Array(allSplits[splitSlices[s]])
            for split in splits { try writer.addSplit(SourceSplit(splitId: split.splitId, position: o.offsets[split.splitId] ?? split.position)) }
            try writer.endSubtask()
        }
    }

    /// Every entry of one state, transformed, with its key group under the new max parallelism, in output order.
    private func rehash(_ o: OutputOperator, _ si: Int, newMaxParallelism m: Int, _ counts: inout Counts) throws -> SortedEntryStream {
        let input = reader.index.operators[o.input]
        let sorter = KeyedEntrySorter(directory: sortDirectory, name: "op\(o.input)-state\(si)", memoryLimit: sortMemory)
        for st in input.subtasks {
            for u in st.keyed where u.stateIndex == si {
                for seg in u.segments {
                    try forEachTransformed(o, si, subtask: st.index, seg, &counts) { e, value in
                        let key = Array(e.keyBytes)
                        try sorter.add(SortableEntry(
                            keyGroup: KeyGroupRange.keyGroup(ofKey: key, maxParallelism: m), key: key, namespace: e.namespaceBytes.map(Array.init),
                            userKey: e.userKeyBytes.map(Array.init), value: value, ttl: e.ttl))
                    }
                }
            }
        }
        counts.rehashed += sorter.count
        return try sorter.finish(keepInMemoryBelow: sortMemory / 8)
    }
}
