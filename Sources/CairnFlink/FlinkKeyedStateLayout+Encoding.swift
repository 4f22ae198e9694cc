import CairnCore

extension FlinkKeyedStateLayout {
    /// The stored key of an entry in the RocksDB / canonical form (§3.3), the inverse of `decodeKeyValue`:
    /// key-group prefix of `keyGroup` (width from `maxParallelism`), key, namespace — each followed by its length
    /// when both serializers are variable-length — and the user key of a map entry. Timers are the prefix plus
    /// the `TimerSerializer` bytes of (timestamp, key, namespace).
    public func encodeKey(_ e: FlinkStateEntry, keyGroup: Int) throws -> [UInt8] {
        var w = ByteWriter(capacity: 32)
        if keyGroupPrefixBytes == 2 { w.writeU8(UInt8(truncatingIfNeeded: keyGroup >> 8)) }
        w.writeU8(UInt8(truncatingIfNeeded: keyGroup))
        do {
            if state.backendStateType == .priorityQueue {
                guard case .long(let ts) = e.value else {
                    throw FlinkSerializerError(.invalidInput, "a timer's value must be its timestamp (a long), got \(e.value)", state: state.name)
                }
                try FlinkValueEncoder.write(.timer(timestamp: ts, key: e.key, namespace: e.namespace), try valueSerializer(), to: &w)
                return w.bytes
            }
            try writePart(e.key, keySerializer, to: &w)
            try writePart(e.namespace, namespaceSerializer, to: &w)
            if state.kind == .map, case .map(let uk, _)? = state.valueSerializer {
                guard let userKey = e.userKey else {
                    throw FlinkSerializerError(.invalidInput, "a map state entry without a user key", state: state.name)
                }
                try FlinkValueEncoder.write(userKey, uk, to: &w)
            }
            return w.bytes
        } catch var e as FlinkSerializerError {
            e.state = e.state ?? state.name
            throw e
        }
    }

    /// The stored value of an entry in the RocksDB / canonical form (§3.3): map values as `bool isNull` + value,
    /// lists as elements separated by `,` (0x2C), timers empty, other states the value serializer's bytes.
    public func encodeValue(_ e: FlinkStateEntry) throws -> [UInt8] {
        if state.backendStateType == .priorityQueue { return [] }
        let vs = try valueSerializer()
        var w = ByteWriter(capacity: 32)
        do {
            switch (state.kind, vs) {
            case (.map, .map(_, let uv)):
                if e.value == .null {
                    w.writeBool(true)
                } else {
                    w.writeBool(false)
                    try FlinkValueEncoder.write(e.value, uv, to: &w)
                }
            case (.list, .list(let element)):
                guard case .list(let items) = e.value else {
                    throw FlinkSerializerError(.invalidInput, "a list state value must be a list, got \(e.value)", state: state.name)
                }
                for (i, x) in items.enumerated() {
                    if i > 0 { w.writeU8(0x2C) }
                    try FlinkValueEncoder.write(x, element, to: &w)
                }
            default:
                try FlinkValueEncoder.write(e.value, vs, to: &w)
            }
        } catch var e as FlinkSerializerError {
            e.state = e.state ?? state.name
            throw e
        }
        return w.bytes
    }

    private func writePart(_ v: FlinkValue, _ s: FlinkTypeSerializer, to w: inout ByteWriter) throws {
        let before = w.count
        try FlinkValueEncoder.write(v, s, to: &w)
        guard ambiguousKeyPossible else { return }
        // CompositeKeySerializationUtils.writeVariableIntBytes: the length, little-endian, as few bytes as it needs.
        var n = w.count - before
        repeat {
            w.writeU8(UInt8(truncatingIfNeeded: n))
            n >>= 8
        } while n != 0
    }
}
