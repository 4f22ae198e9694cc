/// One input channel or output subpartition whose buffers an unaligned checkpoint persisted.
public struct ChannelID: Sendable, Hashable, Comparable, CustomStringConvertible {
    public enum Direction: UInt8, Sendable { case input = 0, output = 1 }

    public var direction: Direction
    /// Input gate, or output partition.
    public var gate: Int
    /// Input channel, or subpartition.
    public var channel: Int

    public init(direction: Direction, gate: Int, channel: Int) {
        self.direction = direction
        self.gate = gate
        self.channel = channel
    }

    public static func < (a: ChannelID, b: ChannelID) -> Bool {
        (a.direction.rawValue, a.gate, a.channel) < (b.direction.rawValue, b.gate, b.channel)
    }

    public var description: String {
        direction == .input ? "input gate \(gate) channel \(channel)" : "output partition \(gate) subpartition \(channel)"
    }
}
