/// Strings read from `_metadata` that repeat on every subtask (operator state names, file-merging directories and
/// physical files), kept once: later reads of the same bytes return the first string instead of a new allocation.
/// Only ASCII strings longer than Swift's inline limit are worth it; shorter ones never allocate.
final class StringTable {
    private var strings: [UInt64: String] = [:]
    /// Beyond this many distinct strings the table stops growing (unique names gain nothing from it).
    private let limit: Int

    init(limit: Int = 1 << 14) { self.limit = limit }

    func string(for bytes: UnsafeBufferPointer<UInt8>) -> String {
        guard bytes.count > 15 else { return String(decoding: bytes, as: UTF8.self) }
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in bytes { hash = (hash ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        if var known = strings[hash] {
            let same = known.withUTF8 { $0.elementsEqual(bytes) }
            if same { return known }
            return String(decoding: bytes, as: UTF8.self)
        }
        let s = String(decoding: bytes, as: UTF8.self)
        if strings.count < limit { strings[hash] = s }
        return s
    }
}
