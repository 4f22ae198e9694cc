import CairnCore
import CairnModel

extension FlinkSnapshot {
    /// Per-state entries and bytes of one subtask's heap (hashmap) checkpoint. Heap entries carry no lengths, so
    /// every entry is decoded with the serializers the proxy records; a state block's bytes are the span it decoded
    /// from. Map states count one entry per map key, as the other backends store them.
    func heapStatistics(
        operator op: FlinkOperatorState, subtask: Int, range: KeyGroupRange, offsets: [Int64], delegate: FlinkStreamHandle
    ) throws -> [String: (stats: EntryStatistics, keyGroups: [KeyGroupSize])] {
        let starts = offsets.enumerated().filter { $0.element > 0 }
        let header = try read(delegate, from: 0, to: starts.first?.element ?? delegate.stateSize)
        let proxy = try FlinkKeyedBackendProxy(parsing: header)
        let keySerializer = proxy.keySerializer.serializer ?? .opaque(className: proxy.keySerializer.className, version: proxy.keySerializer.version)
        let layouts = proxy.states.map { FlinkKeyedStateLayout(keySerializer: keySerializer, state: $0, maxParallelism: op.maxParallelism) }
        var out: [String: (stats: EntryStatistics, keyGroups: [KeyGroupSize])] = [:]
        for (n, (i, offset)) in starts.enumerated() {
            let keyGroup = range.start + i
            let end = n + 1 < starts.count ? starts[n + 1].element : delegate.stateSize
            guard end >= offset, end - offset <= 1 << 30 else {
                throw DecodeError(.lengthOutOfBounds, "key group \(keyGroup) spans \(end - offset) bytes; Cairn decodes key groups up to 1 GiB", at: Int(offset))
            }
            var r = JavaDataInput(try read(delegate, from: offset, to: end))
            let id = Int(try r.readI32("key group id"))
            guard id == keyGroup else {
                throw FlinkSerializerError(.malformed, "key group \(keyGroup) starts with key group id \(id)", at: Int(offset))
            }
            // Uncompressed: state blocks follow each other. Compressed: one Snappy-framed stream per state, whose
            // stored (compressed) size is what the state takes on disk.
            let compressedStreams = proxy.compressed ? try SnappyFrameDecoder.streams(r.bytes, from: r.position) : []
            var streamIndex = 0
            while proxy.compressed ? streamIndex < compressedStreams.count : !r.isAtEnd {
                var block = r
                var at = r.position
                var bytes: Int64
                if proxy.compressed {
                    let range = compressedStreams[streamIndex]
                    streamIndex += 1
                    var snappy = try SnappyFrameDecoder(Array(r.bytes[range]), at: 0)
                    block = JavaDataInput(try snappy.readToEnd())
                    at = 0
                    bytes = Int64(range.count)
                } else {
                    bytes = 0
                }
                let s = Int(try block.readU16("state id"))
                guard s < layouts.count else {
                    throw FlinkSerializerError(.malformed, "state id \(s) in key group \(keyGroup); the proxy has \(layouts.count) states", at: Int(offset) + at)
                }
                let layout = layouts[s]
                let entries = try layout.decodeHeapBlock(&block, keyGroup: keyGroup)
                if !proxy.compressed {
                    bytes = Int64(block.position - at)
                    r = block
                }
                var current = out[proxy.states[s].name] ?? (EntryStatistics(), [])
                // Sizes of the parts, re-encoded with the same serializers (heap entries record no lengths).
                let valueSerializer = try layout.valueSerializer()
                var (keyAs, namespaceAs) = (layout.keySerializer, layout.namespaceSerializer)
                if case .timer(let k, let n) = valueSerializer { (keyAs, namespaceAs) = (k, n) }
                for e in entries {
                    let key = Int64(try FlinkValueEncoder.encode(e.key, as: keyAs).count)
                    let namespace = Int64(try FlinkValueEncoder.encode(e.namespace, as: namespaceAs).count)
                    var userKey: Int64 = 0, value: Int64
                    if let u = e.userKey, case .map(let k, let v) = valueSerializer {
                        userKey = Int64(try FlinkValueEncoder.encode(u, as: k).count)
                        value = 1 + (e.value == .null ? 0 : Int64(try FlinkValueEncoder.encode(e.value, as: v).count))
                    } else if layout.state.backendStateType == .priorityQueue {
                        value = 8
                    } else {
                        value = Int64(try FlinkValueEncoder.encode(e.value, as: valueSerializer).count)
                    }
                    current.stats.keyBytes += key
                    current.stats.namespaceBytes += namespace
                    current.stats.userKeyBytes += userKey
                    current.stats.valueBytes += value
                    current.stats.largestEntry = max(current.stats.largestEntry, key + namespace + userKey + value)
                }
                current.stats.entries += Int64(entries.count)
                current.stats.rawSize += bytes
                current.stats.entriesWithTTL += Int64(entries.filter { if case .ttl = $0.value { true } else { false } }.count)
                current.stats.distinctKeys += Int64(Set(entries.map { $0.key.json.rendered(indent: 0) }).count)
                current.keyGroups.append(KeyGroupSize(keyGroup: keyGroup, size: bytes, entries: Int64(entries.count)))
                out[proxy.states[s].name] = current
            }
        }
        return out
    }
}
