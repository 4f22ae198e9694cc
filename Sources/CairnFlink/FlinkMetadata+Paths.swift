/// What a path string inside `_metadata` stands for, so a rewrite can move absolute locations and leave the rest.
public enum FlinkPathKind: Sendable, Equatable {
    /// `FileStateHandle` (tag 2): an absolute URI of a file.
    case absoluteFile
    /// `RelativeFileStateHandle` (tag 6): a name relative to the directory holding `_metadata`.
    case relativeFile
    /// The physical file of a file-merging segment (tag 15): an absolute URI shared by many handles.
    case segmentFile
    /// The task-owned or shared directory of a file-merging operator handle (tag 17).
    case directory
    /// The name of inline bytes (tag 1): the path the file would have had; no file exists.
    case inlineName
}

extension FlinkStreamHandle {
    /// This handle with every path string passed through `transform`; sizes, offsets and bytes stay as they are.
    public func mappingPaths(_ transform: (FlinkPathKind, String) -> String) -> FlinkStreamHandle {
        switch self {
        case .inline(let name, let data): .inline(name: transform(.inlineName, name), data: data)
        case .file(let path, let size): .file(path: transform(.absoluteFile, path), size: size)
        case .relativeFile(let path, let size): .relativeFile(path: transform(.relativeFile, path), size: size)
        case .keyGroups(let range, let offsets, let delegate):
            .keyGroups(range: range, offsets: offsets, delegate: delegate?.mappingPaths(transform))
        case .segment(let start, let size, let scope, let path, let logical):
            .segment(startPosition: start, size: size, scope: scope, physicalPath: transform(.segmentFile, path), logicalFileId: logical)
        case .emptySegment: .emptySegment
        }
    }
}

extension FlinkKeyedHandle {
    /// This handle with every path string below it passed through `transform`.
    public func mappingPaths(_ transform: (FlinkPathKind, String) -> String) -> FlinkKeyedHandle {
        switch self {
        case .keyGroups(let tag, let range, let offsets, let delegate, let id):
            return .keyGroups(tag: tag, range: range, offsets: offsets, delegate: delegate?.mappingPaths(transform), stateHandleId: id)
        case .incremental(var h):
            h.metadata = h.metadata?.mappingPaths(transform)
            h.shared = h.shared.map { ($0.localPath, $0.handle?.mappingPaths(transform)) }
            h.privateFiles = h.privateFiles.map { ($0.localPath, $0.handle?.mappingPaths(transform)) }
            return .incremental(h)
        case .changelog(let tag, let range, let checkpointed, let materialized, let deltas, let materialization, let checkpointId, let id):
            return .changelog(tag: tag, range: range, checkpointedSize: checkpointed, materialized: materialized.map { $0.mappingPaths(transform) },
                              deltas: deltas.map { $0.mappingPaths(transform) }, materializationId: materialization,
                              checkpointId: checkpointId, stateHandleId: id)
        case .changelogInMemory:
            return self
        case .changelogFiles(let tag, let range, let handles, let size, let checkpointed, let id, let storage):
            return .changelogFiles(tag: tag, range: range, handles: handles.map { ($0.offset, $0.handle?.mappingPaths(transform)) },
                                   size: size, checkpointedSize: checkpointed, stateHandleId: id, storage: storage)
        }
    }
}

extension FlinkOperatorStateHandle {
    /// This handle with its delegate's paths and its file-merging directories passed through `transform`.
    public func mappingPaths(_ transform: (FlinkPathKind, String) -> String) -> FlinkOperatorStateHandle {
        var h = self
        h.delegate = delegate?.mappingPaths(transform)
        h.taskOwnedDirectory = taskOwnedDirectory.map { transform(.directory, $0) }
        h.sharedDirectory = sharedDirectory.map { transform(.directory, $0) }
        return h
    }
}

extension FlinkSubtaskState {
    /// This subtask with every path string of its handles passed through `transform`.
    public func mappingPaths(_ transform: (FlinkPathKind, String) -> String) -> FlinkSubtaskState {
        var s = self
        s.managedOperatorState = managedOperatorState?.mappingPaths(transform)
        s.rawOperatorState = rawOperatorState?.mappingPaths(transform)
        s.managedKeyedState = managedKeyedState?.mappingPaths(transform)
        s.rawKeyedState = rawKeyedState?.mappingPaths(transform)
        s.inputChannels = inputChannels.map { c in
            var c = c
            c.delegate = c.delegate?.mappingPaths(transform)
            return c
        }
        s.outputChannels = outputChannels.map { c in
            var c = c
            c.delegate = c.delegate?.mappingPaths(transform)
            return c
        }
        return s
    }
}

extension FlinkOperatorState {
    /// This operator with every path string of its coordinator and subtask handles passed through `transform`.
    public func mappingPaths(_ transform: (FlinkPathKind, String) -> String) -> FlinkOperatorState {
        var op = self
        op.coordinator = coordinator?.mappingPaths(transform)
        op.subtasks = subtasks.map { $0.mappingPaths(transform) }
        return op
    }
}

extension FlinkCheckpointMetadata {
    /// These metadata with every path string passed through `transform`: the one walk over all handle kinds that
    /// relocation, and collecting paths, both need.
    public func mappingPaths(_ transform: (FlinkPathKind, String) -> String) -> FlinkCheckpointMetadata {
        var m = self
        m.operators = operators.map { $0.mappingPaths(transform) }
        return m
    }

    /// Every path string with its kind, in file order (duplicates included).
    public var allPaths: [(kind: FlinkPathKind, path: String)] {
        var out: [(FlinkPathKind, String)] = []
        _ = mappingPaths { kind, path in
            out.append((kind, path))
            return path
        }
        return out
    }
}
