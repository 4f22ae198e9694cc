/// Which entries of one state `dump --state` prints, as the user asked for them.
public struct StateEntryQuery: Sendable, Equatable {
    /// `STATE` or `OP/STATE`; OP is a uid, a name or a 32-hex operator id. State names may hold `/` themselves
    /// (`_timer_state/processing_timers`), so the split is decided against the snapshot (`StateSelector`).
    public var state: String
    /// Only the entries of this key, hashed to its key group the way the engine does; typed as on the command line.
    public var key: String?
    /// Only this key group.
    public var keyGroup: Int?
    /// At most this many lines.
    public var limit: Int?
    /// Keys and values as stored (hex) instead of decoded.
    public var raw: Bool

    public init(state: String, key: String? = nil, keyGroup: Int? = nil, limit: Int? = nil, raw: Bool = false) {
        self.state = state
        self.key = key
        self.keyGroup = keyGroup
        self.limit = limit
        self.raw = raw
    }
}
