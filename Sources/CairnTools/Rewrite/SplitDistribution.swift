/// How Flink hands list operator state (`SPLIT_DISTRIBUTE`) to the subtasks of a new parallelism, so an offline
/// rescale gives each subtask what a real restore would (`RoundRobinOperatorStateRepartitioner`).
///
/// The elements of all old subtasks, in subtask order, are cut into `parallelism` contiguous slices of
/// `total / parallelism` elements, the first `total % parallelism` slices one longer. Slices go to subtasks starting
/// at a rotating position that carries over from one state to the next, so the longer slices of successive states
/// land on different subtasks.
struct SplitDistribution {
    let parallelism: Int
    /// Where the next state's first slice goes.
    private(set) var start = 0

    init(parallelism: Int) { self.parallelism = max(1, parallelism) }

    /// The element range of the concatenated old elements each new subtask gets, by new subtask index.
    mutating func slices(total: Int) -> [Range<Int>] {
        var out = [Range<Int>](repeating: 0..<0, count: parallelism)
        let base = total / parallelism
        var remainder = total % parallelism
        var next = start
        var at = 0
        for i in 0..<parallelism {
            let subtask = (i + start) % parallelism
            var n = base
            if remainder > 0 {
                n += 1
                remainder -= 1
            } else if remainder == 0 {
                next = subtask
                remainder -= 1
            }
            out[subtask] = at..<(at + n)
            at += n
        }
        start = next
        return out
    }
}
