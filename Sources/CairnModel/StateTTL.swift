/// State time-to-live as configured on a descriptor.
public struct StateTTL: Sendable, Equatable {
    public enum UpdateType: UInt8, Sendable { case onCreateAndWrite = 0, onReadAndWrite = 1 }
    public enum Visibility: UInt8, Sendable { case neverReturnExpired = 0, returnExpiredIfNotCleanedUp = 1 }

    public var millis: UInt64
    public var update: UpdateType
    public var visibility: Visibility

    public init(millis: UInt64, update: UpdateType = .onCreateAndWrite, visibility: Visibility = .neverReturnExpired) {
        self.millis = millis
        self.update = update
        self.visibility = visibility
    }

    public var updateName: String { update == .onCreateAndWrite ? "on-create-and-write" : "on-read-and-write" }
    public var visibilityName: String {
        visibility == .neverReturnExpired ? "never-return-expired" : "return-expired-if-not-cleaned-up"
    }
}
