/// Facts about the files behind a snapshot.
public struct StorageSummary: Sendable, Equatable {
    /// Size of the metadata file itself.
    public var metadataSize: Int64
    /// State bytes held inside the metadata file rather than in files of their own.
    public var inlineSize: Int64
    /// Distinct files referenced.
    public var files: Int
    /// Bytes those files account for (segments count their own bytes).
    public var fileBytes: Int64
    /// Of those, bytes in files other checkpoints of the same job directory also reference; nil without others.
    public var sharedWithOtherCheckpoints: Int64?
    /// Absolute paths that no longer existed and were found by their job-relative suffix.
    public var relocatedPaths: Int
    public var missingFiles: Int
    /// Files on file systems this build does not read (s3://, hdfs://…).
    public var remoteFiles: Int
    public var otherCheckpoints: [String]
    /// Whether the files were looked for. False in object storage, where `inspect` reads the metadata alone and
    /// `relocatedPaths`, `missingFiles` and `remoteFiles` are then zero without meaning it (`validate` looks).
    public var filesChecked: Bool

    public init(metadataSize: Int64, inlineSize: Int64, files: Int, fileBytes: Int64, sharedWithOtherCheckpoints: Int64?,
                relocatedPaths: Int, missingFiles: Int, remoteFiles: Int, otherCheckpoints: [String], filesChecked: Bool = true) {
        self.metadataSize = metadataSize
        self.inlineSize = inlineSize
        self.files = files
        self.fileBytes = fileBytes
        self.sharedWithOtherCheckpoints = sharedWithOtherCheckpoints
        self.relocatedPaths = relocatedPaths
        self.missingFiles = missingFiles
        self.remoteFiles = remoteFiles
        self.otherCheckpoints = otherCheckpoints
        self.filesChecked = filesChecked
    }
}
