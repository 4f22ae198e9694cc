/// Sizes of elements that a stream records only by start offsets (Flink operator state, named offsets of opaque
/// units): an element runs to the next offset of the stream, the last one to the stream's end.
public struct OffsetSpans: Sendable {
    private let starts: [Int64]
    private let end: Int64

    /// `all` are every start offset in the stream (of all states); `end` its length.
    public init(all: [Int64], end: Int64) {
        self.starts = all.sorted()
        self.end = end
    }

    /// Where the element starting at `offset` ends.
    public func end(of offset: Int64) -> Int64 {
        var lo = 0, hi = starts.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if starts[mid] <= offset { lo = mid + 1 } else { hi = mid }
        }
        return lo < starts.count ? starts[lo] : end
    }

    /// Total bytes of the elements starting at `offsets`.
    public func bytes(_ offsets: [Int64]) -> Int64 {
        offsets.reduce(0) { $0 + max(0, end(of: $1) - $1) }
    }
}
