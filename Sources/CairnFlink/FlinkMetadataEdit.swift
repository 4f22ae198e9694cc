import CairnCore
import CairnModel

/// The changes of a Flink rewrite applied to the `_metadata` model, one by one, each leaving a line for the report.
/// New state bytes that do not fit inline go to `newFiles`, named like Flink's own files and referenced relatively.
public struct FlinkMetadataEdit {
    let snapshot: FlinkSnapshot
    public private(set) var metadata: FlinkCheckpointMetadata
    public private(set) var changes: [String] = []
    /// New files for DEST by name (relative to `_metadata`).
    public private(set) var newFiles: [String: [UInt8]] = [:]
    /// For relocated absolute locations: the new location → the one the input holds (to find the file to copy).
    public private(set) var originalPaths: [String: String] = [:]

    public init(snapshot: FlinkSnapshot) {
        self.snapshot = snapshot
        metadata = snapshot.metadata
    }

    // MARK: operators

    /// Puts operators whose state was rewritten (`FlinkStateRewriter`) in place of the input's, by operator id,
    /// with the lines that describe what changed.
    public mutating func replaceOperators(_ replacements: [FlinkOperatorState], changes lines: [String]) {
        for op in replacements {
            if let i = metadata.operators.firstIndex(where: { $0.id == op.id }) { metadata.operators[i] = op }
        }
        changes += lines
    }

    static func label(_ op: FlinkOperatorState) -> String {
        var parts = [op.id.hex]
        if let uid = op.uid { parts.insert(uid, at: 0) }
        if let name = op.name, name != op.uid { parts.append("\"\(name)\"") }
        parts.append("parallelism \(op.parallelism)")
        return parts.joined(separator: " ")
    }

    static func short(_ op: FlinkOperatorState) -> String {
        (op.uid ?? op.name).map { "\($0) (\(op.id.hex.prefix(8))…)" } ?? op.id.hex
    }

    /// By uid, id (32 hex), name, or — for metadata without uids (v3, v4) — a uid whose hash is the id.
    static func matches(_ text: String, _ op: FlinkOperatorState) -> Bool {
        op.uid == text || op.name == text || op.id.hex == text.lowercased() || op.id == OperatorID(flinkUID: text)
    }

    func index(of text: String, option: String) throws(FlinkRewriteError) -> Int {
        let found = metadata.operators.indices.filter { Self.matches(text, metadata.operators[$0]) }
        guard found.count == 1 else {
            if found.isEmpty {
                throw .unknownOperator(option: option, name: text, available: metadata.operators.map(Self.label))
            }
            throw .ambiguousOperator(option: option, name: text, matches: found.map { Self.label(metadata.operators[$0]) })
        }
        return found[0]
    }

    public mutating func drop(_ ref: OperatorReference) throws(FlinkRewriteError) {
        let i = try index(of: ref.text, option: "--drop-operator")
        let op = metadata.operators.remove(at: i)
        let size = ByteCount.format(op.stateSize)
        changes.append("dropped operator \(Self.short(op)) with \(size) of state (restore with --allowNonRestoredState if the job still has it)")
    }

    public mutating func rename(_ r: UIDRename) throws(FlinkRewriteError) {
        let i = try index(of: r.old, option: "--rename-uid")
        let newID = OperatorID(flinkUID: r.new)
        if let other = metadata.operators.indices.first(where: { $0 != i && metadata.operators[$0].id == newID }) {
            throw .idCollision(new: r.new, id: newID.hex, holder: Self.short(metadata.operators[other]))
        }
        let old = metadata.operators[i]
        metadata.operators[i].id = newID
        if metadata.version >= 5 {
            metadata.operators[i].uid = r.new
            changes.append("renamed uid \(old.uid ?? r.old) → \(r.new): operator id \(old.id.hex) → \(newID.hex)")
        } else {
            changes.append("renamed \(r.old) → \(r.new): operator id \(old.id.hex) → \(newID.hex) (metadata v\(metadata.version) stores ids, not uids)")
        }
    }

    /// After a state-level rewrite: marks the output a canonical savepoint (the v4+ `CheckpointProperties` trailer)
    /// when every operator's keyed state now is one (`KeyGroupsSavepointStateHandle`); otherwise the input's
    /// properties stay, and the report says why. v3 metadata has no properties.
    public mutating func markCanonicalSavepoint() {
        guard metadata.version >= 4 else { return }
        let p = metadata.properties
        if p?.isSavepoint == true && p?.savepointFormat == "CANONICAL" { return }
        let other = metadata.operators.first { op in
            op.subtasks.contains { st in
                guard let h = st.managedKeyedState ?? st.rawKeyedState else { return false }
                if case .keyGroups(7, _, _, _, _) = h { return false }
                return true
            }
        }
        let was = p.map { $0.isSavepoint ? "\($0.savepointFormat ?? "") savepoint" : ($0.typeName ?? "checkpoint") } ?? "unknown"
        if let other {
            changes.append("_metadata keeps the input's checkpoint properties (\(was)): \(Self.short(other)) still holds keyed state in the input's format")
            return
        }
        metadata.trailer = FlinkSavepointTrailer.canonical
        metadata.properties = FlinkPropertiesScanner.scan(FlinkSavepointTrailer.canonical)
        changes.append("_metadata marked as a canonical savepoint (was: \(was))")
    }

    // MARK: source offsets

    public mutating func setOffsets(_ all: [OffsetAssignment]) throws(FlinkRewriteError) {
        var byOperator: [Int: [OffsetAssignment]] = [:]
        var order: [Int] = []
        for a in all {
            let i = try index(of: a.source.text, option: "--set-offset")
            if byOperator[i] == nil { order.append(i) }
            byOperator[i, default: []].append(a)
        }
        for i in order { try setOffsets(byOperator[i] ?? [], operator: i) }
    }

    private mutating func setOffsets(_ assignments: [OffsetAssignment], operator i: Int) throws(FlinkRewriteError) {
        var op = metadata.operators[i]
        let name = Self.short(op)
        var pending = Dictionary(assignments.map { ($0.split, $0) }, uniquingKeysWith: { $1 })
        var available: [String] = []
        var sawReaderState = false
        for s in op.subtasks.indices where !op.subtasks[s].finished {
            guard let handle = op.subtasks[s].managedOperatorState, let delegate = handle.delegate,
                  let state = handle.states.first(where: { $0.name == "SourceReaderState" })
            else { continue }
            sawReaderState = true
            let stream: [UInt8]
            do { stream = try snapshot.read(delegate, from: 0, to: delegate.stateSize) } catch {
                throw .cannotSetOffset(source: name, split: assignments[0].split, reason: "reading subtask \(s)'s operator state failed: \(error)")
            }
            guard Int64(stream.count) == delegate.stateSize else {
                throw .cannotSetOffset(source: name, split: assignments[0].split, reason: "subtask \(s)'s operator state (\(delegate.stateSize) bytes) could not be read")
            }
            let spans = OffsetSpans(all: handle.states.flatMap(\.offsets), end: Int64(stream.count))
            var replacements: [Int64: [UInt8]] = [:]
            for o in state.offsets {
                let end = spans.end(of: o)
                guard o >= 0, end <= Int64(stream.count), o <= end else { continue }
                let element = Array(stream[Int(o)..<Int(end)])
                guard let split = FlinkSourceSplits.decode(element: element, index: available.count) else { continue }
                available.append(split.splitId)
                guard let a = pending[split.splitId] else { continue }
                if FlinkSplitEditor.isCompressed(operatorStateStream: stream) {
                    throw .cannotSetOffset(source: name, split: a.split, reason: "the operator state was written with snapshot compression; rewrite a snapshot taken without execution.checkpointing.snapshot-compression")
                }
                let result: (before: SourceSplit, element: [UInt8])
                do { result = try FlinkSplitEditor.reposition(element: element, to: a.position) } catch {
                    throw .cannotSetOffset(source: name, split: a.split, reason: error.description)
                }
                replacements[o] = result.element
                pending[split.splitId] = nil
                changes.append("set \(name) split \(split.splitId) (subtask \(op.subtasks[s].index)): \(Self.describe(result.before.position)) → \(a.position)")
            }
            guard !replacements.isEmpty else { continue }
            let rebuilt: (stream: [UInt8], states: [FlinkOperatorStateHandle.StateInfo])
            do { rebuilt = try FlinkSplitEditor.replacing(replacements, in: stream, states: handle.states) } catch {
                throw .cannotSetOffset(source: name, split: assignments[0].split, reason: error.description)
            }
            var newHandle = FlinkOperatorStateHandle(tag: 4, states: rebuilt.states, delegate: nil)
            if case .inline(let inlineName, _) = delegate {
                newHandle.delegate = .inline(name: inlineName, data: rebuilt.stream)
            } else {
                let file = FileOperations.randomUUID()
                newFiles[file] = rebuilt.stream
                newHandle.delegate = .relativeFile(path: file, size: Int64(rebuilt.stream.count))
                if handle.tag == 17 {
                    changes.append("subtask \(op.subtasks[s].index) of \(name): its file-merging operator state is now a plain file \(file) beside _metadata")
                }
            }
            op.subtasks[s].managedOperatorState = newHandle
        }
        if let missing = assignments.first(where: { pending[$0.split] != nil }) {
            guard sawReaderState else {
                throw .cannotSetOffset(source: name, split: missing.split,
                                       reason: "the operator has no SourceReaderState (it is not a FLIP-27 source, or all its subtasks finished)")
            }
            throw .unknownSplit(source: name, split: missing.split, available: available)
        }
        metadata.operators[i] = op
    }

    static func describe(_ p: SplitPosition) -> String {
        switch p {
        case .kafka(_, _, let next): "next offset \(next)"
        case .numberSequence(let next, let last): "next number \(next) (last \(last))"
        case .kinesis(_, _, let seq): seq
        case .generic: "opaque position"
        }
    }

    // MARK: relocation

    public mutating func relocate(_ r: PathRelocation, source: String) throws(FlinkRewriteError) {
        let from: String
        if let given = r.from {
            from = given
        } else if let derived = FlinkPathRelocation.derivedBase(of: metadata) {
            from = derived
        } else {
            let absolute = metadata.allPaths.filter { $0.kind == .absoluteFile || $0.kind == .segmentFile || $0.kind == .directory }
            guard absolute.isEmpty else {
                throw .relocationBaseUnknown(source: source, examples: Array(Set(absolute.map(\.path))).sorted().prefix(3).map { $0 })
            }
            changes.append("nothing to relocate: every file is relative to _metadata")
            return
        }
        let relocation = FlinkPathRelocation(from: from, to: r.to)
        var moved = 0, kept = Set<String>()
        var originals: [String: String] = [:]
        metadata = metadata.mappingPaths { kind, path in
            guard kind != .relativeFile else { return path }
            guard let new = relocation.relocate(path) else {
                if kind != .inlineName { kept.insert(path) }
                return path
            }
            if kind == .absoluteFile || kind == .segmentFile {
                originals[new] = path
                moved += 1
            }
            return new
        }
        originalPaths.merge(originals) { a, _ in a }
        let mode = r.mode == .copy ? "files copied there" : "files referenced where they are"
        changes.append("relocated \(moved) absolute file reference(s) from \(relocation.from.text) to \(relocation.to.text) (\(mode))")
        if !kept.isEmpty {
            changes.append("\(kept.count) absolute path(s) do not start with \(relocation.from.text) and were kept, e.g. \(kept.sorted()[0])")
        }
    }
}
