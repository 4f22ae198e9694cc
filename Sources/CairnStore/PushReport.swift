/// What a push did, for the table and `--json`.
public struct PushReport: Sendable {
    public var snapshotID: String
    /// False when a snapshot with the same content was already stored (nothing new was committed).
    public var created: Bool
    public var kind: String
    public var source: String
    public var files: Int
    public var logicalSize: UInt64
    /// Bytes read from the source and chunked.
    public var bytesRead: UInt64
    /// Bytes of files not read because the group's previous snapshot holds them unchanged (same path, size, mtime).
    public var bytesSkipped: UInt64
    public var chunks: Int
    public var newChunks: Int
    public var reusedChunks: Int
    /// Raw bytes of the new chunks.
    public var newBytes: UInt64
    /// The new chunks' bytes after compression, as stored in packs.
    public var storedBytes: UInt64
    public var packsUploaded: Int
    /// Packs of an interrupted earlier push that this one indexed and reused.
    public var packsRecovered: Int
    public var requests: RequestCounts
    public var durationSeconds: Double

    /// Logical size over bytes uploaded: how many times smaller the upload was than a plain copy.
    public var dedupRatio: Double {
        Double(logicalSize) / Double(max(requests.bytesSent, 1))
    }
}

/// Where a running push is, for a progress bar.
public struct PushProgress: Sendable {
    public var bytesDone: UInt64
    public var bytesTotal: UInt64
    public var bytesUploaded: UInt64
    public var elapsedSeconds: Double
}
