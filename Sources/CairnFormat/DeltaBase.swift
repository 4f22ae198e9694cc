import CairnCore
import CairnModel

/// The snapshot a delta is written on (format spec §13): enough to find it next to the delta and to prove that the
/// file found there is the one the delta was written against, not another checkpoint that took its name.
public struct DeltaBase: Sendable, Equatable {
    /// The base's file name, in the delta's directory.
    public var file: String
    public var snapshotId: String
    public var fileSize: UInt64
    /// The CRC32C of the base's index block (its frame's `crc`); the index holds every block's CRC, so this covers
    /// the whole file.
    public var indexCRC: UInt32
    /// Links from this delta down to the full snapshot: 1 when the base is full.
    public var depth: Int

    public init(file: String, snapshotId: String, fileSize: UInt64, indexCRC: UInt32, depth: Int) {
        self.file = file
        self.snapshotId = snapshotId
        self.fileSize = fileSize
        self.indexCRC = indexCRC
        self.depth = depth
    }

    /// The identity of an opened base, to be stored in a delta written next to it under the name `file`.
    public init(of base: SnapshotReader, file: String) {
        self.init(file: file, snapshotId: base.index.metadata.snapshotId, fileSize: base.source.size,
                  indexCRC: base.indexCRC, depth: (base.index.base?.depth ?? 0) + 1)
    }

    /// A base name must be a plain file name: a delta never points outside its directory.
    public static func isValidFileName(_ name: String) -> Bool {
        !name.isEmpty && name != "." && name != ".." && !name.utf8.contains { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "\\") || $0 == 0 }
    }
}
