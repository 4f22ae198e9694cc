/// A counting semaphore for async code: at most `limit` holders at once, the rest wait in arrival order. One per
/// store, so parallel part uploads, pack writers and readers together never exceed the configured request count.
actor ConcurrencyLimiter {
    private let limit: Int
    private var inUse = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private var head = 0

    init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// Waits for a free slot and takes it. Pair every call with one `release()`.
    func acquire() async {
        if inUse < limit {
            inUse += 1
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    /// Gives a slot back, handing it straight to the longest waiter if there is one.
    func release() {
        if head < waiters.count {
            let next = waiters[head]
            head += 1
            if head > 64 && head * 2 > waiters.count {
                waiters.removeFirst(head)
                head = 0
            }
            next.resume()  // the slot passes over; inUse stays
        } else {
            inUse -= 1
        }
    }

    /// Holders right now, for tests.
    var active: Int { inUse }
}
