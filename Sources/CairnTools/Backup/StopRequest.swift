import CairnCore
import Dispatch

/// A request to end a long-running loop (`backup --watch`) at its next safe point. Signals set it; the loop checks
/// it before each push and waits for it between rounds, so the wait ends at once when it is set (no polling).
public final class StopRequest: Sendable {
    private struct State {
        var stopped = false
        var signal: Int32?
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter = 0
    }

    private let state = Locked(State())
    private let sources = Locked<[any DispatchSourceSignal]>([])

    public init() {}

    public var isRequested: Bool { state.withLock { $0.stopped } }

    /// The signal that asked to stop, if one did.
    public var signal: Int32? { state.withLock { $0.signal } }

    /// Asks the loop to stop and wakes it if it is waiting.
    public func request(signal: Int32? = nil) {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.stopped = true
            if s.signal == nil { s.signal = signal }
            defer { s.waiters = [:] }
            return Array(s.waiters.values)
        }
        for w in waiters { w.resume() }
    }

    /// Waits `seconds`, or less when a stop is requested (before or during the wait). True when stopped.
    public func sleep(seconds: Double) async -> Bool {
        let id = state.withLock { s -> Int in
            s.nextWaiter += 1
            return s.nextWaiter
        }
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now = state.withLock { s -> Bool in
                if s.stopped { return true }
                s.waiters[id] = c
                return false
            }
            if now { return c.resume() }
            // Whoever removes the waiter resumes it: the timer or `request`, exactly once.
            DispatchQueue.global().asyncAfter(deadline: .now() + max(0, seconds)) { [state] in
                state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
            }
        }
        return isRequested
    }

    /// Turns `signals` (SIGINT, SIGTERM) into a stop request. A second signal ends the process at once with
    /// 128 + its number: safe, because nothing a push wrote is visible before its manifest.
    public func trap(_ signals: [Int32]) {
        for number in signals {
            POSIX.ignore(signal: number)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [self] in
                if isRequested { POSIX.exit(128 + number) }
                request(signal: number)
            }
            source.resume()
            sources.withLock { $0.append(source) }
        }
    }
}
