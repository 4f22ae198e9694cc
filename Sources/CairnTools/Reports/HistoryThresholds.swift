/// When `cairn history` raises a flag. The defaults suit production jobs (checkpoints of megabytes to terabytes every
/// few minutes); each is a command-line option, so a small test job can lower them.
public struct HistoryThresholds: Sendable, Equatable {
    /// Growth: at least this many consecutive checkpoints in which the size never shrank…
    public var growthCheckpoints = 5
    /// …and grew in at least half of the steps, by at least this many bytes in all…
    public var growthMinBytes: Int64 = 1 << 20
    /// …and by at least this share of the size at the run's start (0.1 = 10 %).
    public var growthMinRatio = 0.1
    /// Jump: from one checkpoint to the next, the size became more than this many times larger…
    public var jumpFactor = 2.0
    /// …and grew by more than this many bytes.
    public var jumpMinBytes: Int64 = 64 << 20
    /// Worsening skew: largest over median subtask rose over at least this many consecutive checkpoints…
    public var skewCheckpoints = 3
    /// …to at least this…
    public var skewMin = 2.0
    /// …by at least this much (2.0 → 2.5 is a rise of 0.5).
    public var skewRise = 0.5
    /// In-flight spike: an operator's in-flight bytes are more than this many times the median of its previous
    /// `spikeWindow` checkpoints…
    public var spikeFactor = 3.0
    public var spikeWindow = 10
    /// …and more than this many bytes.
    public var spikeMinBytes: Int64 = 16 << 20
    /// Stalled split: a split's position did not move over at least this many consecutive checkpoint intervals while
    /// another split of the same source advanced in each of them.
    public var stallIntervals = 3

    public init() {}
}
