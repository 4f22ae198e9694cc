import CairnCore
import Foundation

/// Runs async store reads from the synchronous readers (`RandomAccessSource`), and runs those readers on a
/// thread of their own so that blocking them never starves Swift's cooperative pool.
public enum BlockingBridge {
    /// Waits for `operation`. Call only from a thread that is not in the cooperative pool (see `offPool`).
    static func wait<T: Sendable>(_ operation: @escaping @Sendable () async throws -> T) throws -> T {
        let done = DispatchSemaphore(value: 0)
        let result = Locked<Result<T, any Error>?>(nil)
        Task.detached {
            let r: Result<T, any Error>
            do { r = .success(try await operation()) } catch { r = .failure(error) }
            result.withLock { $0 = r }
            done.signal()
        }
        done.wait()
        return try result.withLock { $0 }!.get()
    }

    /// Runs synchronous work on a dedicated thread and awaits its result.
    public static func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let thread = Thread {
                do { continuation.resume(returning: try work()) } catch { continuation.resume(throwing: error) }
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
    }
}
