/// How often and how patiently a failed S3 request is tried again: exponential backoff with full jitter (the delay
/// before attempt n+1 is uniform in 0…min(cap, base·2ⁿ⁻¹)), bounded by attempts and by a total time budget so a
/// dead server fails the command in minutes, not hours.
public struct S3RetryPolicy: Sendable, Equatable {
    /// Attempts in all, the first included.
    public var maxAttempts: Int
    /// Upper bound of the first backoff, in seconds.
    public var baseDelay: Double
    /// Upper bound of any one backoff, in seconds.
    public var maxDelay: Double
    /// No retry starts later than this many seconds after the first attempt began.
    public var totalBudget: Double

    public init(maxAttempts: Int = 8, baseDelay: Double = 0.2, maxDelay: Double = 20, totalBudget: Double = 300) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = max(0, baseDelay)
        self.maxDelay = max(0, maxDelay)
        self.totalBudget = max(0, totalBudget)
    }

    /// The backoff before attempt `attempt + 1`, having made `attempt` (≥ 1), with `unit` a random number in [0, 1).
    public func delay(afterAttempt attempt: Int, unit: Double) -> Double {
        let exponent = min(max(attempt - 1, 0), 40)
        let ceiling = min(maxDelay, baseDelay * Double(UInt64(1) << UInt64(exponent)))
        return ceiling * min(max(unit, 0), 1)
    }
}
