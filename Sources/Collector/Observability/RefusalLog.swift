import Foundation
import Logging
import Metrics
import Synchronization

/// Requests refused because Floe is at capacity (503/507), counted per reason in `/metrics` and
/// logged at most once a second with a count, never one line per request.
///
/// A refusal is counted at once (`floe_requests_refused_total{reason}`); the log line that
/// reports it is written by the first refusal a second or more after the previous line, or by
/// ``flushLog(now:)``, which the flush scheduler calls on every tick so that the last refusals
/// of a burst are reported too.
final class RefusalLog: Sendable {
    private struct State {
        var counts: [APIError.Refusal: Int] = [:]
        var since: Double
        var lastLogged: Double
    }

    private let logger: Logger
    private let counters: [APIError.Refusal: Counter]
    private let state: Mutex<State>

    init(logger: Logger, now: Double = ProcessInfo.processInfo.systemUptime) {
        self.logger = logger
        counters = Dictionary(uniqueKeysWithValues: APIError.Refusal.allCases.map {
            ($0, Counter(label: "floe_requests_refused_total", dimensions: [("reason", $0.rawValue)]))
        })
        state = Mutex(State(since: now, lastLogged: -.infinity))
    }

    /// Counts one refused request.
    func refused(_ reason: APIError.Refusal, now: Double = ProcessInfo.processInfo.systemUptime) {
        counters[reason]?.increment()
        let pending = state.withLock { state -> [APIError.Refusal: Int]? in
            state.counts[reason, default: 0] += 1
            return Self.take(&state, now: now)
        }
        if let pending { write(pending) }
    }

    /// Logs the refusals counted since the last line, if a second has passed since it.
    func flushLog(now: Double = ProcessInfo.processInfo.systemUptime) {
        if let pending = state.withLock({ Self.take(&$0, now: now) }) { write(pending) }
    }

    private static func take(_ state: inout State, now: Double) -> [APIError.Refusal: Int]? {
        guard !state.counts.isEmpty, now - state.lastLogged >= 1 else { return nil }
        let taken = state.counts
        state.counts = [:]
        state.lastLogged = now
        return taken
    }

    private func write(_ counts: [APIError.Refusal: Int]) {
        let total = counts.values.reduce(0, +)
        let reasons = counts.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue)=\($0.value)" }
        logger.warning("requests refused at capacity", metadata: [
            "floe.refused": "\(total)", "floe.reasons": "\(reasons.joined(separator: ","))",
        ])
    }
}
