import CairnCore

/// A snapshot to push whose `_metadata` references files that are not there (or only on a file system Cairn
/// cannot read). `missing` lists the absent paths, so `backup` can tell a checkpoint Flink is deleting.
public struct IncompleteSnapshotError: CairnError {
    public var source: String
    /// One line per unavailable file, naming the operator and subtask that reference it.
    public var problems: [String]
    /// The absolute paths that were expected and are not there.
    public var missing: [String]

    public init(source: String, problems: [String], missing: [String]) {
        self.source = source
        self.problems = problems
        self.missing = missing
    }

    public var description: String {
        "\(source): cannot push an incomplete snapshot; \(problems.count) referenced file(s) unavailable, first: \(problems.first ?? "?")"
    }

    /// Not a finding about the snapshot's bytes: the request cannot be carried out as asked (2).
    public var exitStatus: Int32 { 2 }
}
