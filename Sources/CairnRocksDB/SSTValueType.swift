/// The type byte of an internal key (`db/dbformat.h`): what an SST entry means for its user key.
public enum SSTValueType: UInt8, Sendable, CaseIterable {
    case deletion = 0x0
    case value = 0x1
    case merge = 0x2
    case singleDeletion = 0x7
    case rangeDeletion = 0xF
    case blobIndex = 0x11
    case deletionWithTimestamp = 0x14
    case wideColumnEntity = 0x16

    public var name: String {
        switch self {
        case .deletion: "Deletion"
        case .value: "Value"
        case .merge: "Merge"
        case .singleDeletion: "SingleDeletion"
        case .rangeDeletion: "RangeDeletion"
        case .blobIndex: "BlobIndex"
        case .deletionWithTimestamp: "DeletionWithTimestamp"
        case .wideColumnEntity: "WideColumnEntity"
        }
    }

    /// Types whose values Cairn cannot interpret (BlobDB references, user-defined timestamps, wide columns).
    var isSupported: Bool {
        switch self {
        case .blobIndex, .deletionWithTimestamp, .wideColumnEntity: false
        default: true
        }
    }
}
