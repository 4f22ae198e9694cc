import CairnCore
import CairnModel

/// Decodes `_metadata` files (research notes §2): magic, version, checkpoint id, master states, operators with
/// their subtask handles, and the v4+ properties trailer. Every tag Flink 1.11–2.3 writes is understood; anything
/// else fails with the byte offset and the operator and subtask being read.
public enum FlinkMetadataParser {
    public static let magic: Int32 = 0x4960_672D
    public static let supportedVersions: ClosedRange<Int32> = 3...6
    public static let masterStateMagic: Int32 = Int32(bitPattern: 0xC96B_1696)
    /// Nesting bound for changelog handles that contain keyed handles.
    static let maxNesting = 8

    public static func parse(_ bytes: [UInt8], file: String? = nil) throws(SnapshotError) -> FlinkCheckpointMetadata {
        var p = Parser(input: JavaDataInput(bytes))
        do {
            return try p.metadata()
        } catch {
            var loc = SnapshotLocation(file: file, offset: UInt64(error.offset))
            loc.operatorID = p.currentOperator
            loc.subtask = p.currentSubtask
            let hint = error.code == .unsupportedVersion
                ? "Cairn reads _metadata versions 3 to 6 (Flink 1.11 to 2.3)."
                : "The file is damaged or not a Flink _metadata file."
            throw SnapshotError(error.code, error.message, at: loc, hint: hint)
        }
    }

    struct Parser {
        var input: JavaDataInput
        var version: Int32 = 0
        var currentOperator: String?
        var currentSubtask: Int?
        /// Names that repeat on every subtask, read once.
        let names = StringTable()

        mutating func metadata() throws(DecodeError) -> FlinkCheckpointMetadata {
            guard input.remaining >= 8 else {
                throw DecodeError(.truncated, "a _metadata file has at least 8 bytes, this one \(input.remaining)", at: 0)
            }
            let m = try input.readI32("magic number")
            guard m == FlinkMetadataParser.magic else {
                throw DecodeError(.badMagic, "magic number is 0x\(String(UInt32(bitPattern: m), radix: 16)), not Flink's 0x4960672d", at: 0)
            }
            version = try input.readI32("metadata version")
            guard FlinkMetadataParser.supportedVersions.contains(version) else {
                throw DecodeError(.unsupportedVersion, "metadata version \(version) is not supported", at: 4)
            }
            let idAt = input.position
            let checkpointId = try input.readI64("checkpoint id")
            guard checkpointId >= 0 else { throw DecodeError(.invalidValue, "checkpoint id \(checkpointId) is negative", at: idAt) }
            let masters = try input.readCount("master state count", minimumItemSize: 8)
            var masterStates: [FlinkMasterState] = []
            for _ in 0..<masters { masterStates.append(try masterState()) }
            let count = try input.readCount("operator count", minimumItemSize: 28)
            var operators: [FlinkOperatorState] = []
            for i in 0..<count {
                // Until its id is read, an operator is named by its position.
                currentOperator = "#\(i + 1) of \(count)"
                currentSubtask = nil
                operators.append(try operatorState())
            }
            currentOperator = nil
            currentSubtask = nil
            var trailer: [UInt8] = []
            var properties: FlinkCheckpointProperties?
            if version >= 4 {
                trailer = try input.readBytes(input.remaining, "checkpoint properties")
                properties = FlinkPropertiesScanner.scan(trailer)
            } else if !input.isAtEnd {
                throw DecodeError(.trailingBytes, "\(input.remaining) bytes after the last operator", at: input.position)
            }
            return FlinkCheckpointMetadata(
                version: version, checkpointId: checkpointId, masterStates: masterStates, operators: operators,
                properties: properties, trailer: trailer)
        }

        mutating func masterState() throws(DecodeError) -> FlinkMasterState {
            let at = input.position
            guard try input.readI32("master state magic") == FlinkMetadataParser.masterStateMagic else {
                throw DecodeError(.badMagic, "master state does not start with 0xc96b1696", at: at)
            }
            let n = try input.readCount("master state length")
            guard n > 0 else { throw DecodeError(.invalidValue, "master state has no bytes", at: at) }
            let body = try input.readBytes(n, "master state")
            var inner = JavaDataInput(body)
            let v = try inner.readI32("master state version")
            let name = try inner.readUTF("master state name")
            let len = try inner.readCount("master state data length")
            try inner.skip(len, "master state data")
            guard inner.isAtEnd else { throw DecodeError(.trailingBytes, "bytes after master state '\(name)'", at: at) }
            return FlinkMasterState(name: name, version: v, size: len, raw: body)
        }

        mutating func operatorState() throws(DecodeError) -> FlinkOperatorState {
            var name: String?
            var uid: String?
            if version >= 5 {
                let n = try input.readUTF("operator name")
                let u = try input.readUTF("operator uid")
                name = n.isEmpty ? nil : n
                uid = u.isEmpty ? nil : u
            }
            let id = OperatorID(bytes: try input.readBytes(16, "operator id"))!
            currentOperator = id.hex
            let pAt = input.position
            let parallelism = Int(try input.readI32("parallelism"))
            let maxParallelism = Int(try input.readI32("max parallelism"))
            guard parallelism >= 1, maxParallelism >= 1, maxParallelism <= KeyGroupRange.upperBound else {
                throw DecodeError(.invalidValue, "parallelism \(parallelism) / max parallelism \(maxParallelism) out of range (max parallelism ≤ 32768)", at: pAt)
            }
            let cAt = input.position
            let coordinator = try streamHandle(depth: 0)
            if let c = coordinator, case .inline = c {} else if coordinator != nil {
                throw DecodeError(.invalidValue, "coordinator state must be inline bytes", at: cAt)
            }
            let sAt = input.position
            let n = try input.readI32("subtask count")
            if n < 0 {
                guard coordinator == nil else {
                    throw DecodeError(.invalidValue, "a fully finished operator cannot have coordinator state", at: sAt)
                }
                return FlinkOperatorState(id: id, name: name, uid: uid, parallelism: parallelism, maxParallelism: maxParallelism,
                                          coordinator: nil, fullyFinished: true, subtasks: [])
            }
            guard Int(n) <= input.remaining / 4 else {
                throw DecodeError(.lengthOutOfBounds, "subtask count \(n) exceeds what the file can hold", at: sAt)
            }
            var subtasks: [FlinkSubtaskState] = []
            subtasks.reserveCapacity(Int(n))
            for _ in 0..<Int(n) {
                let iAt = input.position
                let raw = try input.readI32("subtask index")
                let index = raw < 0 ? -Int(raw) - 1 : Int(raw)
                guard index < parallelism else {
                    throw DecodeError(.invalidValue, "subtask index \(index) is not below the parallelism \(parallelism)", at: iAt)
                }
                currentSubtask = index
                if raw < 0 {
                    subtasks.append(FlinkSubtaskState(index: index, finished: true, inputChannels: [], outputChannels: []))
                } else {
                    subtasks.append(try subtaskState(index))
                }
            }
            currentSubtask = nil
            subtasks.sort { $0.index < $1.index }
            return FlinkOperatorState(id: id, name: name, uid: uid, parallelism: parallelism, maxParallelism: maxParallelism,
                                      coordinator: coordinator, fullyFinished: false, subtasks: subtasks)
        }

        mutating func subtaskState(_ index: Int) throws(DecodeError) -> FlinkSubtaskState {
            var st = FlinkSubtaskState(index: index, finished: false, inputChannels: [], outputChannels: [])
            if try input.readI32("has managed operator state") != 0 { st.managedOperatorState = try operatorStateHandle() }
            if try input.readI32("has raw operator state") != 0 { st.rawOperatorState = try operatorStateHandle() }
            st.managedKeyedState = try keyedHandle(depth: 0)
            st.rawKeyedState = try keyedHandle(depth: 0)
            let inputs = try input.readCount("input channel handle count")
            for _ in 0..<inputs { st.inputChannels.append(try channelHandle(.input)) }
            let outputs = try input.readCount("result subpartition handle count")
            for _ in 0..<outputs { st.outputChannels.append(try channelHandle(.output)) }
            return st
        }

        mutating func range() throws(DecodeError) -> KeyGroupRange {
            let at = input.position
            let start = try input.readI32("key-group range start")
            let count = try input.readI32("key-group count")
            guard start >= 0, count >= 0, Int(start) + Int(count) <= KeyGroupRange.upperBound else {
                throw DecodeError(.invalidValue, "key-group range start \(start) count \(count) is out of range", at: at)
            }
            return KeyGroupRange(start: Int(start), count: Int(count))
        }

        mutating func streamHandle(depth: Int) throws(DecodeError) -> FlinkStreamHandle? {
            let at = input.position
            let tag = try input.readU8("stream handle tag")
            switch tag {
            case 0: return nil
            case 1:
                let name = try input.readUTF("inline handle name")
                let n = try input.readCount("inline handle length")
                return .inline(name: name, data: try input.readBytes(n, "inline state bytes"))
            case 2:
                let size = try input.readI64("file size")
                let path = try input.readUTF("file path")
                return .file(path: path, size: size)
            case 6:
                let path = try input.readUTF("relative file path")
                let size = try input.readI64("file size")
                return .relativeFile(path: path, size: size)
            case 3:
                guard depth < FlinkMetadataParser.maxNesting else { throw DecodeError(.invalidValue, "handles nest too deeply", at: at) }
                let r = try range()
                let offsets = try offsets(r.count, "key-group offsets")
                return .keyGroups(range: r, offsets: offsets, delegate: try streamHandle(depth: depth + 1))
            case 15:
                let start = try input.readI64("segment start")
                let size = try input.readI64("segment size")
                let sAt = input.position
                guard let scope = FlinkStreamHandle.Scope(rawValue: try input.readI32("segment scope")) else {
                    throw DecodeError(.invalidValue, "unknown segment scope", at: sAt)
                }
                let path = try input.readUTF("physical file path", interning: names)
                let logical = try input.readUTF("logical file id")
                return .segment(startPosition: start, size: size, scope: scope, physicalPath: path, logicalFileId: logical)
            case 16: return .emptySegment
            default:
                throw DecodeError(.unknownTag, "unknown stream state handle tag \(tag)", at: at)
            }
        }

        mutating func offsets(_ n: Int, _ what: @autoclosure () -> String) throws(DecodeError) -> [Int64] {
            try input.readI64s(n, what())
        }

        mutating func handleList(_ what: @autoclosure () -> String) throws(DecodeError) -> [(localPath: String, handle: FlinkStreamHandle?)] {
            let n = try input.readCount("\(what()) count", minimumItemSize: 3)
            var out: [(localPath: String, handle: FlinkStreamHandle?)] = []
            out.reserveCapacity(n)
            for _ in 0..<n {
                let path = try input.readUTF("\(what()) local path")
                out.append((path, try streamHandle(depth: 1)))
            }
            return out
        }

        mutating func keyedHandle(depth: Int) throws(DecodeError) -> FlinkKeyedHandle? {
            let at = input.position
            let tag = try input.readU8("keyed state handle tag")
            switch tag {
            case 0: return nil
            case 3, 7, 12:
                let r = try range()
                let offsets = try offsets(r.count, "key-group offsets")
                let delegate = try streamHandle(depth: depth + 1)
                let id = tag == 12 ? try input.readUTF("state handle id") : nil
                return .keyGroups(tag: tag, range: r, offsets: offsets, delegate: delegate, stateHandleId: id)
            case 5, 11:
                let checkpointId = try input.readI64("checkpoint id of the handle")
                let backendId = try input.readUTF("backend id")
                let r = try range()
                let checkpointed = tag == 11 ? try input.readI64("checkpointed size") : nil
                let meta = try streamHandle(depth: depth + 1)
                let shared = try handleList("shared state")
                let priv = try handleList("private state")
                let id = tag == 11 ? try input.readUTF("state handle id") : nil
                return .incremental(.init(tag: tag, checkpointId: checkpointId, backendId: backendId, range: r,
                                          checkpointedSize: checkpointed == -1 ? nil : checkpointed, metadata: meta,
                                          shared: shared, privateFiles: priv, stateHandleId: id))
            case 8, 14:
                guard depth < FlinkMetadataParser.maxNesting else { throw DecodeError(.invalidValue, "handles nest too deeply", at: at) }
                let r = try range()
                let checkpointed = try input.readI64("checkpointed size")
                let nm = try input.readCount("materialized handle count")
                var materialized: [FlinkKeyedHandle] = []
                for _ in 0..<nm { if let h = try keyedHandle(depth: depth + 1) { materialized.append(h) } }
                let nd = try input.readCount("changelog handle count")
                var deltas: [FlinkKeyedHandle] = []
                for _ in 0..<nd {
                    let dAt = input.position
                    guard let h = try keyedHandle(depth: depth + 1) else {
                        throw DecodeError(.invalidValue, "a changelog delta handle is null", at: dAt)
                    }
                    deltas.append(h)
                }
                let materialization = try input.readI64("materialization id")
                let checkpointId = tag == 14 ? try input.readI64("checkpoint id of the handle") : materialization
                let id = try input.readUTF("state handle id")
                return .changelog(tag: tag, range: r, checkpointedSize: checkpointed, materialized: materialized, deltas: deltas,
                                  materializationId: materialization, checkpointId: checkpointId, stateHandleId: id)
            case 9:
                let r = try range()
                let from = try input.readI64("sequence number from")
                let to = try input.readI64("sequence number to")
                let n = try input.readCount("change count", minimumItemSize: 8)
                var changes: [(keyGroup: Int32, data: [UInt8])] = []
                for _ in 0..<n {
                    let kg = try input.readI32("change key group")
                    let len = try input.readCount("change length")
                    changes.append((kg, try input.readBytes(len, "change bytes")))
                }
                let id = try input.readUTF("state handle id")
                return .changelogInMemory(range: r, from: from, to: to, changes: changes, stateHandleId: id)
            case 10, 13:
                let r = try range()
                let n = try input.readCount("changelog stream handle count", minimumItemSize: 9)
                var handles: [(offset: Int64, handle: FlinkStreamHandle?)] = []
                for _ in 0..<n {
                    let o = try input.readI64("changelog offset")
                    handles.append((o, try streamHandle(depth: depth + 1)))
                }
                let size = try input.readI64("changelog size")
                let checkpointed = try input.readI64("checkpointed size")
                let id = try input.readUTF("state handle id")
                let storage = tag == 13 ? try input.readUTF("storage identifier") : "filesystem"
                return .changelogFiles(tag: tag, range: r, handles: handles, size: size, checkpointedSize: checkpointed,
                                       stateHandleId: id, storage: storage)
            default:
                throw DecodeError(.unknownTag, "unknown keyed state handle tag \(tag)", at: at)
            }
        }

        mutating func operatorStateHandle() throws(DecodeError) -> FlinkOperatorStateHandle? {
            let at = input.position
            let tag = try input.readU8("operator state handle tag")
            switch tag {
            case 0: return nil
            case 4, 17:
                let n = try input.readCount("operator state count", minimumItemSize: 7)
                var states: [FlinkOperatorStateHandle.StateInfo] = []
                states.reserveCapacity(n)
                for _ in 0..<n {
                    let name = try input.readUTF("operator state name", interning: names)
                    let mAt = input.position
                    guard let mode = FlinkOperatorStateHandle.Mode(rawValue: try input.readU8("distribution mode")) else {
                        throw DecodeError(.invalidValue, "unknown distribution mode of operator state '\(name)'", at: mAt)
                    }
                    let count = try input.readCount("offset count of '\(name)'", minimumItemSize: 8)
                    states.append(.init(name: name, mode: mode, offsets: try offsets(count, "offsets of '\(name)'")))
                }
                var handle = FlinkOperatorStateHandle(tag: tag, states: states, delegate: nil)
                if tag == 17 {
                    handle.taskOwnedDirectory = try input.readUTF("task-owned directory", interning: names)
                    handle.sharedDirectory = try input.readUTF("shared directory", interning: names)
                    handle.isEmpty = try input.readBool("isEmpty")
                    let dAt = input.position
                    handle.delegate = try streamHandle(depth: 1)
                    switch handle.delegate {
                    case .segment, .emptySegment: break
                    default: throw DecodeError(.invalidValue, "a file-merging operator state handle must point at a segment", at: dAt)
                    }
                } else {
                    handle.delegate = try streamHandle(depth: 1)
                }
                return handle
            default:
                throw DecodeError(.unknownTag, "unknown operator state handle tag \(tag)", at: at)
            }
        }

        mutating func channelHandle(_ direction: FlinkChannelHandle.Direction) throws(DecodeError) -> FlinkChannelHandle {
            var merged = false
            if version >= 6 {
                let at = input.position
                let type = try input.readU8("channel state handle type")
                switch (direction, type) {
                case (.input, 1), (.output, 2): merged = false
                case (.input, 3), (.output, 4): merged = true
                default:
                    throw DecodeError(.unknownTag, "unknown \(direction == .input ? "input channel" : "result subpartition") handle type \(type)", at: at)
                }
            }
            let subtask = try input.readI32("channel handle subtask index")
            if merged {
                let size = try input.readI64("merged channel state size")
                let delegate = try streamHandle(depth: 1)
                let n = try input.readCount("merged channel info length")
                let info = try input.readBytes(n, "merged channel info")
                return FlinkChannelHandle(direction: direction, merged: true, subtaskIndex: subtask, channel: nil, offsets: [],
                                          size: size, delegate: delegate, mergedInfo: info)
            }
            let a = try input.readI32("gate or partition index")
            let b = try input.readI32("channel or subpartition index")
            let n = try input.readCount("channel offset count", minimumItemSize: 8)
            let offsets = try offsets(n, "channel offsets")
            let size = try input.readI64("channel state size")
            let delegate = try streamHandle(depth: 1)
            return FlinkChannelHandle(direction: direction, merged: false, subtaskIndex: subtask, channel: (a, b), offsets: offsets,
                                      size: size, delegate: delegate, mergedInfo: [])
        }
    }
}
