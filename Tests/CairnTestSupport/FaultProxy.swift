import Foundation

/// scripts/fault-proxy.py in front of a server: it forwards requests unchanged and fails every N-th one (500
/// InternalError, 503 SlowDown, a response cut in the middle, or a connection closed without an answer).
package final class FaultProxy: Sendable {
    package struct Report: Sendable {
        /// Requests the proxy read, failed ones included.
        package var requests: Int
        /// Faults injected, by kind (`500`, `503`, `drop`, `reset`, and the soak's others: see scripts/fault-proxy.py).
        package var faults: [String: Int]
        package var totalFaults: Int { faults.values.reduce(0, +) }
        /// Requests by kind: `GET`, `GET-range` (with a Range header), `LIST`, `HEAD`, `PUT`, `POST`, `DELETE`.
        package var kinds: [String: Int] = [:]
    }

    package let endpoint: String
    private let helper: HelperProcess

    private init(endpoint: String, helper: HelperProcess) {
        self.endpoint = endpoint
        self.helper = helper
    }

    /// `stallAfterPut`: once a PUT whose path contains it has succeeded, every later request is held unanswered, so
    /// the client is frozen at a known point (after its first pack, say) for an interruption test. `stallMatch`:
    /// the first request whose start line (`PUT /bucket/key…`) contains it is held `stallSeconds` before it is
    /// forwarded — a client paused there; `waitForStall` returns once that has begun.
    package static func start(upstream: String, failEvery: Int, seed: Int = 1, faults: [String] = ["500", "503", "drop", "reset"],
                              stallAfterPut: String? = nil, stallMatch: String? = nil, stallSeconds: Double = 10) async throws -> FaultProxy {
        let helper = try await HelperProcess.launch(
            script: "fault-proxy.py",
            arguments: [upstream, "--fail-every", String(failEvery), "--seed", String(seed), "--faults", faults.joined(separator: ",")]
                + (stallAfterPut.map { ["--stall-after-put", $0] } ?? [])
                + (stallMatch.map { ["--stall-match", $0, "--stall-seconds", String(stallSeconds)] } ?? []),
            startTimeout: 60)
        guard let endpoint = helper.firstLine["endpoint"] as? String else {
            _ = await helper.stop()
            throw HelperProcess.Failure("fault-proxy.py printed no endpoint")
        }
        return FaultProxy(endpoint: endpoint, helper: helper)
    }

    /// Waits until the proxy holds the request `stallMatch` named; returns the line it printed then (`{"stalled":
    /// "PUT /bucket/key…"}`), or nil after `timeout`.
    package func waitForStall(timeout: Double = 300) async -> String? {
        await helper.waitForLine(containing: "\"stalled\"", timeout: timeout)
    }

    /// Stops the proxy and returns what it did.
    package func stop() async throws -> Report {
        let output = await helper.stop()
        guard let line = output.split(separator: "\n").last, let data = line.data(using: .utf8),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let requests = object["requests"] as? Int, let faults = object["faults"] as? [String: Int]
        else { throw HelperProcess.Failure("fault-proxy.py printed no report at exit: \(String(reflecting: output))") }
        return Report(requests: requests, faults: faults, kinds: object["kinds"] as? [String: Int] ?? [:])
    }
}
