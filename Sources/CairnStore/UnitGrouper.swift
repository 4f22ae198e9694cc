/// Groups a file's small format units (a `.cairn` file's blocks) into chunks with content-defined cuts, so one
/// changed unit changes only its own group and the groups after it end where they ended before.
///
/// A positional rule ("fill up to 64 KiB") shifts every later group when one unit changes size; here a group ends
/// after a unit whose own bytes say so, which no change elsewhere can move. The rule is STORE.md §7's: a unit of at
/// least `maxGroup` bytes stands alone; a run of smaller ones is cut after unit `u` once the group holds `minGroup`
/// bytes and `fingerprint(u) · scale < length(u) · 2³²` (a cut about every `scale` bytes, whatever the unit sizes),
/// and before a unit that would take the group past `maxGroup`.
struct UnitGrouper: Sendable, Equatable {
    let minGroup: UInt64
    let scale: UInt64
    let maxGroup: UInt64

    /// Groups of at most `maxGroup` bytes, cut about every `maxGroup / 16` bytes.
    init(maxGroup: UInt64) {
        self.maxGroup = max(maxGroup, 16)
        minGroup = self.maxGroup / 16
        scale = self.maxGroup / 16
    }

    /// 32 bits of FNV-1a (64-bit) over the unit's length and its first and last 32 bytes (each byte once), mixed by
    /// SplitMix64's finaliser. A `.cairn` block's first 16 bytes hold its CRC32C, so the head alone covers the whole
    /// block; the tail covers units of other formats.
    static func fingerprint(_ unit: UnsafeRawBufferPointer) -> UInt32 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325 ^ UInt64(unit.count)
        let head = min(32, unit.count)
        for i in 0..<head { h = (h ^ UInt64(unit[i])) &* 0x0000_0100_0000_01B3 }
        for i in max(head, unit.count - 32)..<unit.count { h = (h ^ UInt64(unit[i])) &* 0x0000_0100_0000_01B3 }
        h = (h ^ (h >> 30)) &* 0xBF58_476D_1CE4_E5B9
        h = (h ^ (h >> 27)) &* 0x94D0_49BB_1331_11EB
        h ^= h >> 31
        return UInt32(truncatingIfNeeded: h >> 32)
    }

    /// Whether a group may end after `unit` (the group then holding `groupSize` bytes).
    func cutsAfter(_ unit: UnsafeRawBufferPointer, groupSize: UInt64) -> Bool {
        guard groupSize >= minGroup else { return false }
        return UInt64(Self.fingerprint(unit)) * scale < UInt64(unit.count) << 32
    }

    /// The end of the group that starts at unit `first`, as a unit index: the group is units `first ... last`.
    /// `ends[i]` is the end offset of unit `i` (unit 0 starts at `start`), and `bytes(i)` its bytes.
    func lastUnit(from first: Int, start: UInt64, ends: (Int) -> UInt64?, bytes: (UInt64, UInt64) -> UnsafeRawBufferPointer?) -> Int {
        var last = first
        var unitStart = start
        guard var end = ends(first), end - start < maxGroup else { return first }
        while true {
            if let unit = bytes(unitStart, end), cutsAfter(unit, groupSize: end - start) { return last }
            guard let following = ends(last + 1) else { return last }
            if following < end || following - end >= maxGroup || following - start > maxGroup { return last }
            unitStart = end
            end = following
            last += 1
        }
    }
}
