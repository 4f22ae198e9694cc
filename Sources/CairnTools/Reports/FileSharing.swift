import CairnFlink

/// Which files two Flink checkpoints of one job have in common: incremental RocksDB checkpoints and file merging
/// reuse `shared/` files, so what a checkpoint really added is its new files, not its state size.
public struct FileSharing: Sendable, Equatable {
    /// Files (or file-merging segments) the later snapshot references that the earlier one did too.
    public var sharedFiles: Int
    public var sharedBytes: Int64
    /// Files the later snapshot references for the first time.
    public var newFiles: Int
    public var newBytes: Int64
    /// Files the earlier snapshot referenced that the later one no longer does (Flink may delete them).
    public var droppedFiles: Int
    public var droppedBytes: Int64

    /// Compares the file references of two snapshots. Relative files live in each snapshot's own directory, so they
    /// are never shared; a file-merging segment is identified by its physical file, start and length.
    public static func compare(_ a: FlinkSnapshot, _ b: FlinkSnapshot) -> FileSharing {
        func files(_ s: FlinkSnapshot) -> [String: Int64] {
            var out: [String: Int64] = [:]
            for (_, _, _, ref) in s.fileReferences {
                let key: String
                if ref.relative {
                    key = s.location.directory + "/" + ref.path
                } else if let start = ref.segmentStart {
                    key = "\(ref.path)#\(start)+\(ref.recordedSize)"
                } else {
                    key = ref.path
                }
                out[key] = ref.recordedSize
            }
            return out
        }
        let before = files(a), after = files(b)
        var r = FileSharing(sharedFiles: 0, sharedBytes: 0, newFiles: 0, newBytes: 0, droppedFiles: 0, droppedBytes: 0)
        for (key, size) in after {
            if before[key] != nil {
                r.sharedFiles += 1
                r.sharedBytes += size
            } else {
                r.newFiles += 1
                r.newBytes += size
            }
        }
        for (key, size) in before where after[key] == nil {
            r.droppedFiles += 1
            r.droppedBytes += size
        }
        return r
    }
}
