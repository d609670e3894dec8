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
/// (`buffer.max_partition_events`, 507), which stays the last resort. When no commit has drained anything
/// for ``stallAfter`` while events were due (the catalog or the storage failing), the measured rate says
/// nothing about when the backlog will drain: `Retry-After` then grows with the stall, up to 30 s.
final class FlushBacklog: Sendable {
    private struct State {
        var dueEvents = 0
        /// Events per second the flush commits while it has work, smoothed (0 until measured).
        var drainPerSecond: Double = 0
        /// Since when flushing has had work without draining any: the last commit, or when events became
        /// due after none were (nil while none are due).
        var waitingSince: ContinuousClock.Instant?
    }

    /// Due events with no commit for longer than this: flushing has stalled.
    static let stallAfter: Duration = .seconds(10)

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
    func publish(dueEvents: Int, at now: ContinuousClock.Instant = .now) {
        state.withLock { state in
            if dueEvents == 0 {
                state.waitingSince = nil
            } else if state.waitingSince == nil {
                state.waitingSince = now
            }
            state.dueEvents = dueEvents
        }
    }

    /// Records a commit of `events` that took `seconds` from reading the rows to the catalog's answer.
    func drained(events: Int, seconds: Double, at now: ContinuousClock.Instant = .now) {
        guard events > 0, seconds > 0 else { return }
        let rate = Double(events) / seconds
        state.withLock { state in
            state.drainPerSecond = state.drainPerSecond == 0 ? rate : state.drainPerSecond * 0.7 + rate * 0.3
            state.waitingSince = now
        }
    }

    /// Throws the 503 refusal while the due backlog is above the limit (`now` by default the clock, read only then).
    func admit(at now: ContinuousClock.Instant? = nil) throws(APIError) {
        guard limit > 0 else { return }
        let (due, rate, since) = state.withLock { ($0.dueEvents, $0.drainPerSecond, $0.waitingSince) }
        guard due > limit else { return }
        let now = now ?? .now
        throw APIError(status: .serviceUnavailable,
                       message: "flush backlog: \(due) events are due for a flush (limit \(limit)); retry later",
                       retryAfterSeconds: Self.retryAfter(due: due, limit: limit, drainPerSecond: rate,
                                                          undrainedFor: since.map { now - $0 } ?? .zero),
                       refusal: .backlog)
    }

    /// Seconds until the backlog is expected back under half the limit at the measured drain rate, 1–30; 5
    /// before any commit. Stalled (nothing drained for ``stallAfter``), as long again as the stall has lasted,
    /// 10–30.
    static func retryAfter(due: Int, limit: Int, drainPerSecond: Double, undrainedFor: Duration = .zero) -> Int {
        if undrainedFor > stallAfter { return min(30, Int(undrainedFor.inSeconds.rounded(.up))) }
        guard drainPerSecond > 0 else { return 5 }
        let seconds = Double(due - limit / 2) / drainPerSecond
        return min(30, max(1, Int(seconds.rounded(.up))))
    }
}
