import Foundation

/// The wall clock a writer stamps into locks and manifests (`createdAt`, `refreshedAt`), and against which
/// `prune --keep-within` ages snapshots.
///
/// Nothing that decides whether data may be deleted uses it: lock staleness and the prune grace period are measured
/// on the store's own clock (the modification time the store gives each object), so writers whose clocks disagree
/// cannot delete each other's data. `offset` exists for tests that play a writer with a wrong clock; the CLI sets it
/// from `CAIRN_CLOCK_OFFSET` (seconds, test-only).
public struct StoreClock: Sendable, Equatable {
    /// Seconds added to the system clock.
    public var offset: Double

    public init(offset: Double = 0) { self.offset = offset }

    /// Seconds since 1970 as this writer believes.
    public func now() -> Double { Date().timeIntervalSince1970 + offset }

    /// The offset of the test-only variable `CAIRN_CLOCK_OFFSET` in `environment` (seconds, may be negative), if set
    /// and a number.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> StoreClock {
        StoreClock(offset: environment["CAIRN_CLOCK_OFFSET"].flatMap(Double.init) ?? 0)
    }
}
