import Foundation
import Synchronization

/// How far flushing is behind, and the early, even refusal of new events when it is too far.
///
/// The flush scheduler publishes the *due backlog* every time it looks at the buffer: the events
/// of partitions that are due for a flush (at `buffer.size` events or `buffer.timeout_ms` old)
/// and not yet committed. Commits report how many events they drained and how long that took,
/// which gives the drain rate. While the due backlog is above ``limit``, every ingest request is
/// refused with 503 and a `Retry-After` from the drain rate, whatever partitions its events are
/// for, so clients slow down evenly long before any partition reaches its hard cap
/// (`buffer.max_partition_events`, 507), which stays the last resort.
final class FlushBacklog: Sendable {
    private struct State {
        var dueEvents = 0
        /// Events per second the flush commits while it has work, smoothed (0 until measured).
        var drainPerSecond: Double = 0
    }

    /// Due events above which requests are refused; 0 turns the check off.
    let limit: Int
    private let state = Mutex(State())

    init(limit: Int) {
        self.limit = limit
    }

    /// Events due for a flush and not yet committed, as of the scheduler's last look.
    var dueEvents: Int { state.withLock { $0.dueEvents } }

    /// The smoothed rate at which commits drain events, per second (0 until the first commit).
    var drainPerSecond: Double { state.withLock { $0.drainPerSecond } }

    /// Records the due backlog the scheduler just computed.
    func publish(dueEvents: Int) {
        state.withLock { $0.dueEvents = dueEvents }
    }

    /// Records a commit of `events` that took `seconds` from reading the rows to the catalog's answer.
    func drained(events: Int, seconds: Double) {
        guard events > 0, seconds > 0 else { return }
        let rate = Double(events) / seconds
        state.withLock { state in
            state.drainPerSecond = state.drainPerSecond == 0 ? rate : state.drainPerSecond * 0.7 + rate * 0.3
        }
    }

    /// Throws the 503 refusal while the due backlog is above the limit.
    func admit() throws(APIError) {
        guard limit > 0 else { return }
        let (due, rate) = state.withLock { ($0.dueEvents, $0.drainPerSecond) }
        guard due > limit else { return }
        throw APIError(status: .serviceUnavailable,
                       message: "flush backlog: \(due) events are due for a flush (limit \(limit)); retry later",
                       retryAfterSeconds: Self.retryAfter(due: due, limit: limit, drainPerSecond: rate),
                       refusal: .backlog)
    }

    /// Seconds until the backlog is expected back under half the limit at the measured drain rate, 1–30.
    static func retryAfter(due: Int, limit: Int, drainPerSecond: Double) -> Int {
        guard drainPerSecond > 0 else { return 5 }
        let seconds = Double(due - limit / 2) / drainPerSecond
        return min(30, max(1, Int(seconds.rounded(.up))))
    }
}
