import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Independent work items on a bounded number of threads, results in item order: callers keep the outcome (and the
/// first error, in order) a sequential loop gives, with at most `threads` items in flight at once.
public enum ParallelMap {
    /// The cores this process may use.
    public static var cores: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    /// `body(i)` for every `i` in `0..<count`, items taken in strides so neighbours run side by side.
    public static func run<T: Sendable>(_ count: Int, threads: Int = cores, _ body: @Sendable (Int) -> T) -> [T] {
        guard count > 0 else { return [] }
        let workers = max(1, min(threads, count))
        if workers == 1 { return (0..<count).map(body) }
        let done = Locked<[(Int, T)]>([])
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            var mine: [(Int, T)] = []
            mine.reserveCapacity(count / workers + 1)
            for i in stride(from: w, to: count, by: workers) { mine.append((i, body(i))) }
            done.withLock { $0 += mine }
        }
        var slots = [T?](repeating: nil, count: count)
        for (i, v) in done.withLock({ $0 }) { slots[i] = v }
        return slots.compactMap { $0 }
    }
}
