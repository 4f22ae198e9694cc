import CairnCore
import CairnModel

extension SnapshotIndex {
    /// Decodes and checks an index (format spec §6): every rule the spec states as MUST is enforced here, so a
    /// decoded index is safe to navigate. `dataEnd` is the index block's offset, where the data blocks end.
    /// `delta` says the header carries the delta flag: the index then ends with a BASE section (§13), else it must not.
    public static func decode(_ bytes: [UInt8], dataEnd: UInt64, file: String? = nil, delta: Bool = false) throws(SnapshotError) -> SnapshotIndex {
        var decoder = IndexDecoder(reader: ByteReader(bytes), dataEnd: dataEnd)
        decoder.delta = delta
        decoder.location.file = file
        do {
            return try decoder.decode()
        } catch let e {
            var loc = decoder.location
            loc.indexOffset = e.offset
            throw SnapshotError(e.code, "index: " + e.message, at: loc, hint: SnapshotError.damagedHint)
        }
    }
}

private struct IndexDecoder {
    var reader: ByteReader
    let dataEnd: UInt64
    var location = SnapshotLocation()
    var blocks: [BlockEntry] = []
    var referenced: [Bool] = []
    var serializerCount = 0
    var delta = false

    init(reader: ByteReader, dataEnd: UInt64) {
        self.reader = reader
        self.dataEnd = dataEnd
    }

    mutating func decode() throws(DecodeError) -> SnapshotIndex {
        var metadata: SnapshotMetadata?
        var serializers: [SerializerInfo]?
        var operators: [OperatorIndex]?
        var base: DeltaBase?
        let lastRequired: UInt8 = delta ? 5 : 4
        var nextRequired: UInt8 = 1
        while !reader.isAtEnd {
            let tagAt = reader.position
            let tag = try reader.readU8("section tag")
            let body = try reader.readBytesRange("section body")
            if tag & 0x80 != 0 {  // optional extension section
                guard nextRequired > 1 else {
                    throw DecodeError(.outOfOrder, "optional section 0x\(String(tag, radix: 16)) appears before METADATA", at: tagAt)
                }
                continue
            }
            if tag == 5 && !delta {
                throw DecodeError(.invalidValue, "a BASE section (0x05) in a snapshot whose header lacks the delta flag", at: tagAt)
            }
            guard tag == nextRequired else {
                if (1...lastRequired).contains(tag) {
                    throw DecodeError(.outOfOrder, "section 0x0\(tag) appears out of order or twice", at: tagAt)
                }
                throw DecodeError(.unknownTag, "unknown required index section 0x\(String(tag, radix: 16))", at: tagAt)
            }
            nextRequired += 1
            var sub = ByteReader(reader.buffer, from: body.lowerBound, to: body.upperBound)
            swap(&sub, &reader)
            defer { swap(&sub, &reader) }
            switch tag {
            case 1: metadata = try decodeMetadata()
            case 2: serializers = try decodeSerializers()
            case 3: try decodeBlocks()
            case 4: operators = try decodeOperators()
            default: base = try decodeBase()
            }
            try reader.expectEnd("index section 0x0\(tag)")
        }
        guard let metadata, let serializers, let operators, nextRequired == lastRequired + 1 else {
            throw DecodeError(.truncated, "index lacks required section \(nextRequired)", at: reader.position)
        }
        location = SnapshotLocation(file: location.file)
        if let unreferenced = referenced.firstIndex(of: false) {
            location.block = unreferenced
            throw DecodeError(.invalidValue, "block \(unreferenced) is not referenced by any unit", at: reader.position)
        }
        return SnapshotIndex(metadata: metadata, serializers: serializers, blocks: blocks, operators: operators, base: base)
    }

    mutating func decodeBase() throws(DecodeError) -> DeltaBase {
        let fileAt = reader.position
        let file = try reader.readString("base file name")
        guard DeltaBase.isValidFileName(file) else {
            throw DecodeError(.invalidValue, "base file name '\(file)' is not a plain file name in the delta's directory", at: fileAt)
        }
        let id = try reader.readString("base snapshotId")
        let size = try reader.readVarint("base file size")
        let crc = try reader.readU32("base index CRC")
        let depthAt = reader.position
        let depth = try reader.readVarint("chain depth")
        guard depth >= 1, depth <= UInt64(FileLayout.maxChainDepth) else {
            throw DecodeError(.invalidValue, "chain depth \(depth) is outside 1…\(FileLayout.maxChainDepth)", at: depthAt)
        }
        return DeltaBase(file: file, snapshotId: id, fileSize: size, indexCRC: crc, depth: Int(depth))
    }

    private static func utf8Precedes(_ a: String, _ b: String) -> Bool {
        Array(a.utf8).lexicographicallyPrecedes(Array(b.utf8))
    }

    mutating func decodeMetadata() throws(DecodeError) -> SnapshotMetadata {
        let id = try reader.readString("snapshotId")
        let kindAt = reader.position
        let kindRaw = try reader.readU8("snapshot kind")
        guard let kind = SnapshotKind(rawValue: kindRaw) else {
            throw DecodeError(.invalidValue, "unknown snapshot kind \(kindRaw)", at: kindAt)
        }
        let engine = try reader.readString("engineName")
        let version = try reader.readString("engineVersion")
        let jobId = try reader.readString("jobId")
        let jobName = try reader.readString("jobName")
        let createdAt = try reader.readSVarint("createdAt")
        let modeAt = reader.position
        let modeRaw = try reader.readU8("mode")
        guard let mode = CheckpointMode(rawValue: modeRaw) else {
            throw DecodeError(.invalidValue, "unknown checkpoint mode \(modeRaw)", at: modeAt)
        }
        let n = try reader.readCount("property count", max: reader.remaining)
        var props: [String: String] = [:]
        var previous: String?
        for _ in 0..<n {
            let at = reader.position
            let k = try reader.readString("property key")
            if let p = previous, !Self.utf8Precedes(p, k) {
                throw DecodeError(.outOfOrder, "property keys are not strictly ascending at '\(k)'", at: at)
            }
            previous = k
            props[k] = try reader.readString("property value")
        }
        return SnapshotMetadata(
            snapshotId: id, kind: kind, engineName: engine, engineVersion: version, jobId: jobId, jobName: jobName,
            createdAt: createdAt, mode: mode, properties: props)
    }

    mutating func decodeSerializers() throws(DecodeError) -> [SerializerInfo] {
        let n = try reader.readCount("serializer count", max: reader.remaining)
        var out: [SerializerInfo] = []
        for _ in 0..<n {
            let name = try reader.readString("serializer name")
            let version = try reader.readVarint("serializer version")
            var schema: Schema?
            if try reader.readBool("hasSchema") { schema = try Schema.decode(from: &reader) }
            let config = try reader.readBytes("serializer configuration")
            out.append(SerializerInfo(name: name, version: version, schema: schema, configuration: config))
        }
        serializerCount = out.count
        return out
    }

    mutating func decodeBlocks() throws(DecodeError) {
        // Each entry takes at least 9 bytes.
        let n = try reader.readCount("block count", max: reader.remaining)
        var expected = UInt64(FileLayout.headerSize)
        for i in 0..<n {
            let at = reader.position
            location.block = i
            let offset = try reader.readVarint("block offset")
            guard offset == expected else {
                throw DecodeError(.invalidValue, "block \(i) is recorded at offset \(offset), blocks are contiguous so it must be at \(expected)", at: at)
            }
            let kindAt = reader.position
            let kind = BlockKind(rawValue: try reader.readU8("block kind"))
            guard kind.isKnownData || kind.isOptionalExtension else {
                throw DecodeError(.unknownKind, "block \(i) has unknown kind 0x\(String(kind.rawValue, radix: 16))", at: kindAt)
            }
            let codecAt = reader.position
            let codec = try reader.readU8("block codec")
            guard BlockCodec(rawValue: codec) != nil else {
                throw DecodeError(.unknownKind, "block \(i) has unknown codec \(codec)", at: codecAt)
            }
            let raw = try reader.readCount("rawLength", max: FileLayout.maxDataBlockRawLength)
            let stored = try reader.readCount("storedLength", max: Int(UInt32.max))
            if codec == BlockCodec.none.rawValue && raw != stored {
                throw DecodeError(.invalidValue, "uncompressed block \(i) has rawLength \(raw) ≠ storedLength \(stored)", at: at)
            }
            let crc = try reader.readU32("block crc")
            expected = offset + UInt64(FileLayout.blockHeaderSize + stored)
            guard expected <= dataEnd else {
                throw DecodeError(.lengthOutOfBounds, "block \(i) ends at \(expected), past the index at \(dataEnd)", at: at)
            }
            blocks.append(BlockEntry(offset: offset, kind: kind, codec: codec, rawLength: raw, storedLength: stored, crc: crc))
        }
        location.block = nil
        guard expected == dataEnd else {
            throw DecodeError(.invalidValue, "data blocks end at \(expected) but the index starts at \(dataEnd)", at: reader.position)
        }
        referenced = blocks.map { $0.kind.isOptionalExtension }
    }

    mutating func decodeSpan(_ what: String, kinds: [BlockKind], allowEmpty: Bool = true) throws(DecodeError) -> BlockSpan {
        let at = reader.position
        let count = try reader.readCount("block count of \(what)", max: blocks.count, code: .invalidValue)
        if count == 0 {
            guard allowEmpty else { throw DecodeError(.invalidValue, "\(what) has no blocks", at: at) }
            return .empty
        }
        let first = try reader.readCount("first block of \(what)", max: blocks.count - count, code: .invalidValue)
        for b in first..<(first + count) {
            location.block = b
            guard !referenced[b] else {
                throw DecodeError(.invalidValue, "block \(b) is referenced twice", at: at)
            }
            guard kinds.contains(blocks[b].kind) else {
                throw DecodeError(.invalidValue, "block \(b) of \(what) has kind \(blocks[b].kind), expected \(kinds.map(\.description).joined(separator: " or "))", at: at)
            }
            referenced[b] = true
        }
        location.block = nil
        return BlockSpan(first: first, count: count)
    }

    mutating func decodeOperators() throws(DecodeError) -> [OperatorIndex] {
        let n = try reader.readCount("operator count", max: reader.remaining)
        var out: [OperatorIndex] = []
        var previous: OperatorID?
        for _ in 0..<n {
            location = SnapshotLocation(file: location.file)
            let at = reader.position
            guard let id = OperatorID(bytes: try reader.readRaw(16, "operator id")) else {
                throw DecodeError(.truncated, "operator id", at: at)
            }
            location.operatorID = id.hex
            if let p = previous, !(p < id) {
                throw DecodeError(.outOfOrder, "operator ids are not strictly ascending at \(id.hex)", at: at)
            }
            previous = id
            let uid = try reader.readString("operator uid")
            let name = try reader.readString("operator name")
            location.operatorName = name.isEmpty ? (uid.isEmpty ? nil : uid) : name
            let pAt = reader.position
            let parallelism = try reader.readCount("parallelism", max: KeyGroupRange.upperBound, code: .invalidValue)
            let maxP = try reader.readCount("maxParallelism", max: KeyGroupRange.upperBound, code: .invalidValue)
            guard parallelism >= 1, maxP >= 1, parallelism <= maxP else {
                throw DecodeError(.invalidValue, "parallelism \(parallelism) and maxParallelism \(maxP) must satisfy 1 ≤ parallelism ≤ maxParallelism ≤ 32768", at: pAt)
            }
            let info = OperatorInfo(id: id, uid: uid, name: name, parallelism: parallelism, maxParallelism: maxP)
            let coordinator = try decodeSpan("coordinator state", kinds: [.coordinatorState])
            let states = try decodeDescriptors()
            let sc = try reader.readCount("subtask count", max: parallelism, code: .invalidValue)
            var subtasks: [SubtaskIndex] = []
            for _ in 0..<sc {
                subtasks.append(try decodeSubtask(info: info, states: states, previous: subtasks.last?.index))
            }
            location.subtask = nil
            out.append(OperatorIndex(info: info, coordinator: coordinator, states: states, subtasks: subtasks))
        }
        location = SnapshotLocation(file: location.file)
        return out
    }

    mutating func readSerializerRef(_ what: String) throws(DecodeError) -> Int? {
        let at = reader.position
        let v = try reader.readVarint(what)
        if v == 0 { return nil }
        guard v <= UInt64(serializerCount) else {
            throw DecodeError(.invalidValue, "\(what) refers to serializer \(v - 1), but only \(serializerCount) exist", at: at)
        }
        return Int(v - 1)
    }

    mutating func decodeDescriptors() throws(DecodeError) -> [StateDescriptor] {
        let n = try reader.readCount("state count", max: reader.remaining)
        var out: [StateDescriptor] = []
        for _ in 0..<n {
            let at = reader.position
            let name = try reader.readString("state name")
            location.state = name
            if let p = out.last, !Self.utf8Precedes(p.name, name) {
                throw DecodeError(.outOfOrder, "state names are not strictly ascending at '\(name)'", at: at)
            }
            let kindAt = reader.position
            let kr = try reader.readU8("state kind")
            guard let kind = StateKind(rawValue: kr) else {
                throw DecodeError(.unknownKind, "unknown state kind \(kr)", at: kindAt)
            }
            let ks = try readSerializerRef("key serializer")
            let ns = try readSerializerRef("namespace serializer")
            let vs = try readSerializerRef("value serializer")
            var ttl: StateTTL?
            if try reader.readBool("hasTTL") {
                let tAt = reader.position
                let millis = try reader.readVarint("ttl millis")
                guard millis > 0 else { throw DecodeError(.invalidValue, "ttl must be > 0", at: tAt) }
                let uAt = reader.position
                guard let u = StateTTL.UpdateType(rawValue: try reader.readU8("ttl update")) else {
                    throw DecodeError(.invalidValue, "unknown ttl update type", at: uAt)
                }
                let vAt = reader.position
                guard let v = StateTTL.Visibility(rawValue: try reader.readU8("ttl visibility")) else {
                    throw DecodeError(.invalidValue, "unknown ttl visibility", at: vAt)
                }
                ttl = StateTTL(millis: millis, update: u, visibility: v)
            }
            out.append(StateDescriptor(name: name, kind: kind, keySerializer: ks, namespaceSerializer: ns, valueSerializer: vs, ttl: ttl))
        }
        location.state = nil
        return out
    }

    mutating func readStateIndex(_ states: [StateDescriptor], previous: Int?, keyed: Bool) throws(DecodeError) -> Int {
        let at = reader.position
        let i = try reader.readCount("state index", max: Int(UInt32.max), code: .invalidValue)
        guard i < states.count else {
            throw DecodeError(.invalidValue, "state index \(i) is out of range (\(states.count) states)", at: at)
        }
        location.state = states[i].name
        if let p = previous, p >= i {
            throw DecodeError(.outOfOrder, "state units are not in ascending state order", at: at)
        }
        guard states[i].kind.isKeyed == keyed else {
            throw DecodeError(.invalidValue, "state '\(states[i].name)' of kind \(states[i].kind.name) is used as \(keyed ? "keyed" : "operator") state", at: at)
        }
        return i
    }

    mutating func decodeSubtask(info: OperatorInfo, states: [StateDescriptor], previous: Int?) throws(DecodeError) -> SubtaskIndex {
        let at = reader.position
        let index = try reader.readCount("subtask index", max: info.parallelism - 1, code: .invalidValue)
        location.subtask = index
        if let p = previous, p >= index {
            throw DecodeError(.outOfOrder, "subtask indexes are not strictly ascending", at: at)
        }
        var st = SubtaskIndex(index: index)
        let kc = try reader.readCount("keyed unit count", max: states.count, code: .invalidValue)
        for _ in 0..<kc {
            let si = try readStateIndex(states, previous: st.keyed.last?.stateIndex, keyed: true)
            let rAt = reader.position
            let start = try reader.readCount("keyGroupStart", max: info.maxParallelism, code: .invalidValue)
            let count = try reader.readCount("keyGroupCount", max: info.maxParallelism - start, code: .invalidValue)
            let range = KeyGroupRange(start: start, count: count)
            let expected = KeyGroupRange.forSubtask(index, parallelism: info.parallelism, maxParallelism: info.maxParallelism)
            guard range == expected else {
                throw DecodeError(.invalidValue, "keyed state holds key groups \(range), but subtask \(index) of \(info.parallelism) owns \(expected)", at: rAt)
            }
            let nseg = try reader.readCount("segment count", max: count, code: .invalidValue)
            var segments: [KeyGroupSegment] = []
            for _ in 0..<nseg {
                let sAt = reader.position
                let kg = try reader.readCount("key group", max: Int(UInt32.max), code: .invalidValue)
                location.keyGroup = kg
                guard range.contains(kg) else {
                    throw DecodeError(.invalidValue, "key group \(kg) lies outside the unit's range \(range)", at: sAt)
                }
                if let p = segments.last, p.keyGroup >= kg {
                    throw DecodeError(.outOfOrder, "key groups are not strictly ascending", at: sAt)
                }
                let eAt = reader.position
                let entries = try reader.readCount("entry count", max: Int(UInt32.max) << 8, code: .invalidValue)
                guard entries >= 1 else { throw DecodeError(.invalidValue, "a key-group segment must hold at least one entry", at: eAt) }
                let span = try decodeSpan("key group \(kg)", kinds: [.keyedEntries], allowEmpty: false)
                segments.append(KeyGroupSegment(keyGroup: kg, entryCount: entries, blocks: span))
            }
            location.keyGroup = nil
            st.keyed.append(KeyedStateUnit(stateIndex: si, range: range, segments: segments))
        }
        location.state = nil
        let oc = try reader.readCount("operator state unit count", max: states.count, code: .invalidValue)
        for _ in 0..<oc {
            let si = try readStateIndex(states, previous: st.operatorState.last?.stateIndex, keyed: false)
            let count = try reader.readCount("element count", max: Int(UInt32.max) << 8, code: .invalidValue)
            let kind: BlockKind = states[si].kind == .broadcast ? .broadcastEntries : .operatorElements
            let span = try decodeSpan("operator state", kinds: [kind])
            st.operatorState.append(OperatorStateUnit(stateIndex: si, elementCount: count, blocks: span))
        }
        location.state = nil
        let cc = try reader.readCount("channel count", max: reader.remaining)
        for _ in 0..<cc {
            let cAt = reader.position
            let d = try reader.readU8("channel direction")
            guard let dir = ChannelID.Direction(rawValue: d) else {
                throw DecodeError(.invalidValue, "unknown channel direction \(d)", at: cAt)
            }
            let gate = try reader.readCount("gate", max: Int(UInt32.max), code: .invalidValue)
            let channel = try reader.readCount("channel", max: Int(UInt32.max), code: .invalidValue)
            let id = ChannelID(direction: dir, gate: gate, channel: channel)
            if let p = st.channels.last, !(p.channel < id) {
                throw DecodeError(.outOfOrder, "channels are not strictly ascending at \(id)", at: cAt)
            }
            let count = try reader.readCount("buffer count", max: Int(UInt32.max) << 8, code: .invalidValue)
            let span = try decodeSpan("\(id)", kinds: [.inFlightBuffers])
            st.channels.append(ChannelUnit(channel: id, bufferCount: count, blocks: span))
        }
        let sc = try reader.readCount("split count", max: reader.remaining)
        for _ in 0..<sc {
            let sAt = reader.position
            let splitId = try reader.readString("split id")
            if let p = st.splits.last, !Self.utf8Precedes(p.splitId, splitId) {
                throw DecodeError(.outOfOrder, "split ids are not strictly ascending at '\(splitId)'", at: sAt)
            }
            let tAt = reader.position
            let position: SplitPosition
            switch try reader.readU8("split position type") {
            case 0:
                position = .generic(
                    serializer: try reader.readString("split serializer"),
                    serializerVersion: try reader.readVarint("split serializer version"),
                    position: try reader.readBytes("split position"))
            case 1:
                let topic = try reader.readString("kafka topic")
                let partition = try reader.readCount("kafka partition", max: Int(Int32.max), code: .invalidValue)
                position = .kafka(topic: topic, partition: partition, nextOffset: try reader.readSVarint("kafka offset"))
            case 2:
                position = .kinesis(
                    stream: try reader.readString("kinesis stream"), shardId: try reader.readString("kinesis shard"),
                    sequenceNumber: try reader.readString("kinesis sequence number"))
            case 3:
                let next = try reader.readSVarint("sequence next")
                position = .numberSequence(next: next, last: try reader.readSVarint("sequence last"))
            case let t:
                throw DecodeError(.unknownKind, "unknown split position type \(t)", at: tAt)
            }
            st.splits.append(SourceSplit(splitId: splitId, position: position))
        }
        let oc2 = try reader.readCount("opaque unit count", max: reader.remaining)
        for _ in 0..<oc2 {
            let uAt = reader.position
            let r = try reader.readU8("opaque role")
            guard let role = OpaqueStateUnit.Role(rawValue: r) else {
                throw DecodeError(.unknownKind, "unknown opaque state role \(r)", at: uAt)
            }
            let origin = try reader.readString("opaque origin")
            location.state = origin
            if let p = st.opaque.last {
                let ascending = p.role.rawValue < role.rawValue
                    || (p.role == role && Array(p.origin.utf8).lexicographicallyPrecedes(Array(origin.utf8)))
                guard ascending else {
                    throw DecodeError(.outOfOrder, "opaque units are not strictly ascending by (role, origin)", at: uAt)
                }
            }
            let start = try reader.readCount("opaque keyGroupStart", max: KeyGroupRange.upperBound, code: .invalidValue)
            let count = try reader.readCount("opaque keyGroupCount", max: KeyGroupRange.upperBound - start, code: .invalidValue)
            let recorded = try reader.readVarint("recorded size")
            let nn = try reader.readCount("named offsets count", max: reader.remaining)
            var named: [OpaqueStateUnit.NamedOffsets] = []
            for _ in 0..<nn {
                let name = try reader.readString("named offsets name")
                let mAt = reader.position
                let mode = try reader.readU8("named offsets mode")
                guard mode <= 2 else { throw DecodeError(.invalidValue, "unknown distribution mode \(mode)", at: mAt) }
                let oc = try reader.readCount("offset count", max: reader.remaining)
                var offsets: [UInt64] = []
                for _ in 0..<oc { offsets.append(try reader.readVarint("offset")) }
                named.append(.init(name: name, mode: mode, offsets: offsets))
            }
            let span = try decodeSpan("opaque state", kinds: [.opaqueState])
            st.opaque.append(OpaqueStateUnit(role: role, origin: origin, keyGroups: KeyGroupRange(start: start, count: count),
                                             recordedSize: recorded, namedOffsets: named, blocks: span))
        }
        location.state = nil
        return st
    }
}
