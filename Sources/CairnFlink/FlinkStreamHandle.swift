import CairnModel

/// A Flink `StreamStateHandle`: where a stream of state bytes lives (research notes §2.4).
public indirect enum FlinkStreamHandle: Sendable, Equatable {
    /// Tag 1: bytes held inside `_metadata`; `name` is the path the file would have had.
    case inline(name: String, data: [UInt8])
    /// Tag 2: an absolute file (URI string).
    case file(path: String, size: Int64)
    /// Tag 6: a file named relative to the directory holding `_metadata`.
    case relativeFile(path: String, size: Int64)
    /// Tag 3 used as a stream handle (legacy).
    case keyGroups(range: KeyGroupRange, offsets: [Int64], delegate: FlinkStreamHandle?)
    /// Tag 15: a segment of a physical file shared by file merging (1.20+).
    case segment(startPosition: Int64, size: Int64, scope: Scope, physicalPath: String, logicalFileId: String)
    /// Tag 16: an empty segment.
    case emptySegment

    public enum Scope: Int32, Sendable { case exclusive = 0, shared = 1 }

    /// `getStateSize()` as Flink computes it.
    public var stateSize: Int64 {
        switch self {
        case .inline(_, let data): Int64(data.count)
        case .file(_, let size), .relativeFile(_, let size): size
        case .keyGroups(_, _, let delegate): delegate?.stateSize ?? 0
        case .segment(_, let size, _, _, _): size
        case .emptySegment: 0
        }
    }

    /// Bytes of this handle held inside `_metadata`.
    public var inlineSize: Int64 {
        switch self {
        case .inline(_, let data): Int64(data.count)
        case .keyGroups(_, _, let delegate): delegate?.inlineSize ?? 0
        default: 0
        }
    }

    /// The file this handle reads, if it is one.
    public var fileReference: FlinkFileReference? {
        switch self {
        case .file(let path, let size): FlinkFileReference(path: path, relative: false, requiredSize: size, recordedSize: size)
        case .relativeFile(let path, let size): FlinkFileReference(path: path, relative: true, requiredSize: size, recordedSize: size)
        case .keyGroups(_, _, let delegate): delegate?.fileReference
        case .segment(let start, let size, _, let path, _):
            FlinkFileReference(path: path, relative: false, requiredSize: start + size, recordedSize: size, segmentStart: start)
        case .inline, .emptySegment: nil
        }
    }
}

/// A file that a handle needs, as `_metadata` records it.
public struct FlinkFileReference: Sendable, Hashable {
    /// The path as stored: a URI for absolute handles, a bare name for relative ones.
    public var path: String
    public var relative: Bool
    /// The file must be at least this long (offset + size for segments).
    public var requiredSize: Int64
    /// The size the handle accounts for.
    public var recordedSize: Int64
    /// For file-merging segments, where the segment starts in the physical file.
    public var segmentStart: Int64?

    public init(path: String, relative: Bool, requiredSize: Int64, recordedSize: Int64, segmentStart: Int64? = nil) {
        self.path = path
        self.relative = relative
        self.requiredSize = requiredSize
        self.recordedSize = recordedSize
        self.segmentStart = segmentStart
    }
}
