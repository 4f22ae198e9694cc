/// Reads files under `from` from `to` instead: lets the validator check an output, still in its temporary
/// directory, whose `_metadata` already names its final place.
public struct RedirectedFiles: SnapshotFiles {
    public let from: String
    public let to: String
    let base = LocalFiles()

    public init(from: String, to: String) {
        self.from = from
        self.to = to
    }

    public func map(_ path: String) -> String {
        if path == from { return to }
        if path.hasPrefix(from + "/") { return to + path.dropFirst(from.count) }
        return path
    }

    public func open(_ path: String) throws(IOError) -> any RandomAccessSource { try base.open(map(path)) }
    public func size(_ path: String) -> Int64? { base.size(map(path)) }
    public func info(_ path: String) -> SnapshotFileInfo? { base.info(map(path)) }
    public func fileNames(in directory: String) -> [String] { base.fileNames(in: map(directory)) }
    public func directoryNames(in directory: String) -> [String] { base.directoryNames(in: map(directory)) }
    public var listingFailure: (any Error & Sendable)? { base.listingFailure }
    public func forgetListings() { base.forgetListings() }
}
