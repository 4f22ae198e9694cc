import CairnCore
import CairnModel

extension FlinkSnapshot {
    /// The key groups of one keyed state that can be read entry by entry: those in Flink's full-snapshot format
    /// (canonical savepoints of every backend, and 1.15's full RocksDB checkpoints). Throws when the operator's
    /// keyed state is in another format (heap checkpoints, RocksDB native, changelog), naming it.
    public func canonicalKeyGroups(operator id: OperatorID, state: String) throws -> [Int] {
        try canonicalParts(operator: id, state: state).flatMap { part in
            part.offsets.enumerated().filter { $0.element > 0 }.map { part.range.start + $0.offset }
        }
    }

    /// Calls `body(key, value)` for every entry of `state` in `keyGroup`. The key is the serialized key and
    /// namespace (and user key for RocksDB map state) without the key-group prefix; memory is bounded by the key group.
    public func forEachCanonicalEntry(
        operator id: OperatorID, state: String, keyGroup: Int, _ body: ([UInt8], [UInt8]) throws -> Void
    ) throws {
        guard let op = metadata.operators.first(where: { $0.id == id }) else { return }
        let prefix = op.maxParallelism > 128 ? 2 : 1
        for part in try canonicalParts(operator: id, state: state) where part.range.contains(keyGroup) {
            let i = keyGroup - part.range.start
            let offset = part.offsets[i]
            guard offset > 0 else { return }
            let end = part.offsets[(i + 1)...].first { $0 > 0 } ?? part.length
            guard end >= offset, end - offset <= 1 << 30 else {
                throw SnapshotError(.lengthOutOfBounds, "key group \(keyGroup) spans \(end - offset) bytes; Cairn reads key groups up to 1 GiB",
                                    at: SnapshotLocation(file: location.metadataPath, operatorID: id.hex, operatorName: op.name ?? op.uid, subtask: part.subtask))
            }
            let bytes = try read(part.delegate, from: offset, to: end)
            guard Int64(bytes.count) == end - offset else {
                throw SnapshotError(.truncated, "key group \(keyGroup) of state \(state) could not be read (file missing or short)",
                                    at: SnapshotLocation(file: location.metadataPath, operatorID: id.hex, operatorName: op.name ?? op.uid, subtask: part.subtask),
                                    hint: "run cairn validate on the snapshot")
            }
            do {
                try FlinkKeyedStateScanner.forEachEntry(keyGroupBytes: bytes, compressed: part.compressed, keyGroup: keyGroup, at: offset) { s, key, value in
                    guard s == part.stateID else { return }
                    try body(Array(key.dropFirst(prefix)), value)
                }
            } catch let e as DecodeError {
                throw SnapshotError(e.code, "keyed state \(state), key group \(keyGroup): \(e.message)",
                                    at: SnapshotLocation(file: location.metadataPath, offset: UInt64(offset) + UInt64(max(0, e.offset)), operatorID: id.hex,
                                                         operatorName: op.name ?? op.uid, subtask: part.subtask))
            }
        }
    }

    struct CanonicalPart {
        var subtask: Int
        var range: KeyGroupRange
        var offsets: [Int64]
        var length: Int64
        var delegate: FlinkStreamHandle
        var compressed: Bool
        var stateID: Int
    }

    func canonicalParts(operator id: OperatorID, state: String) throws -> [CanonicalPart] {
        guard let op = metadata.operators.first(where: { $0.id == id }) else { return [] }
        let at = SnapshotLocation(file: location.metadataPath, operatorID: id.hex, operatorName: op.name ?? op.uid)
        var parts: [CanonicalPart] = []
        var known = Set<String>()
        for st in op.subtasks where !st.finished {
            guard let handle = st.managedKeyedState else { continue }
            guard case .keyGroups(_, let range, let offsets, let delegate?, _) = handle else {
                throw SnapshotError(.unsupportedVersion, "keyed state of subtask \(st.index) is a \(handle.kind), not Flink's full-snapshot format", at: at,
                                    hint: "key-level reads need a canonical savepoint (flink savepoint --type canonical) or a native .cairn")
            }
            let first = offsets.filter { $0 > 0 }.min() ?? delegate.stateSize
            let header = try read(delegate, from: 0, to: first)
            guard let names = FlinkKeyedStateScanner.stateNames(header: header) else {
                throw SnapshotError(.unsupportedVersion, "keyed state of subtask \(st.index) has no state table Cairn recognizes (a heap checkpoint's entries carry no lengths)",
                                    at: at, hint: "key-level reads need a canonical savepoint or a native .cairn")
            }
            names.forEach { known.insert($0.name) }
            guard let stateID = names.firstIndex(where: { $0.name == state }) else { continue }
            parts.append(CanonicalPart(subtask: st.index, range: range, offsets: offsets, length: delegate.stateSize, delegate: delegate,
                                       compressed: header.count > 4 && header[4] == 1, stateID: stateID))
        }
        if parts.isEmpty && !known.contains(state) {
            throw SnapshotError(.invalidValue, "operator has no keyed state \"\(state)\"; it has \(known.sorted().joined(separator: ", "))", at: at)
        }
        return parts
    }
}

extension FlinkSnapshot {
    /// The keyed state names of an operator as its state table lists them (read from one subtask's header), or
    /// nil when its keyed state is not in the full-snapshot format.
    public func canonicalStateNames(operator id: OperatorID) -> [String]? {
        guard let op = metadata.operators.first(where: { $0.id == id }) else { return nil }
        for st in op.subtasks where !st.finished {
            guard case .keyGroups(_, _, let offsets, let delegate?, _)? = st.managedKeyedState else { continue }
            let first = offsets.filter { $0 > 0 }.min() ?? delegate.stateSize
            guard let header = try? read(delegate, from: 0, to: first) else { return nil }
            return FlinkKeyedStateScanner.stateNames(header: header)?.map(\.name)
        }
        return nil
    }
}
