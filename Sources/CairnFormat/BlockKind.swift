import CairnModel
/// What a block holds (format spec §4).
public struct BlockKind: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let keyedEntries = BlockKind(rawValue: 0x01)
    public static let operatorElements = BlockKind(rawValue: 0x02)
    public static let broadcastEntries = BlockKind(rawValue: 0x03)
    public static let inFlightBuffers = BlockKind(rawValue: 0x04)
    public static let coordinatorState = BlockKind(rawValue: 0x05)
    public static let opaqueState = BlockKind(rawValue: 0x06)
    public static let index = BlockKind(rawValue: 0x7F)

    /// Kinds a reader of this version understands as data blocks.
    public var isKnownData: Bool { (0x01...0x06).contains(rawValue) }
    /// Optional extension kinds that readers skip (0x40–0x7E).
    public var isOptionalExtension: Bool { (0x40...0x7E).contains(rawValue) }

    public var description: String {
        switch self {
        case .keyedEntries: "keyed-entries"
        case .operatorElements: "operator-elements"
        case .broadcastEntries: "broadcast-entries"
        case .inFlightBuffers: "in-flight-buffers"
        case .coordinatorState: "coordinator-state"
        case .opaqueState: "opaque-state"
        case .index: "index"
        default: "unknown(0x\(String(rawValue, radix: 16)))"
        }
    }
}

/// How a block's bytes are stored.
public enum BlockCodec: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case none = 0
    case lz4 = 1
    case zstd = 2

    public var description: String {
        switch self {
        case .none: "none"
        case .lz4: "lz4"
        case .zstd: "zstd"
        }
    }
}
