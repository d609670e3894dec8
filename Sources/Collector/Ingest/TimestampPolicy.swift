import Metrics

/// What Floe does with event times a broken device clock produces (docs/design.md §2).
///
/// A live event whose time (after clock-skew correction) is more than ``maxFutureMicros`` after
/// its receipt, or before ``floorMicros``, gets its receipt time instead: it lands in the hour it
/// arrived rather than in a partition of its own in 2099 or 1970. The time as sent stays in
/// `original_timestamp` (`events`) or the `floeoriginaltime` extension (`cloudevents`).
/// Backfill keeps recorded times as they are (no policy).
package struct TimestampPolicy: Sendable, Equatable {
    /// Default 4 hours: more than the largest time-zone mistake (14 h) is caught by skew
    /// correction when the SDK sends `sentAt`; without it, a clock this far ahead is wrong.
    static let defaultMaxFutureMs = 4 * 3_600_000
    /// Default 2000-01-01T00:00:00Z (catches clocks reset to 1970 and other epochs).
    static let defaultFloor = "2000-01-01T00:00:00Z"

    var maxFutureMicros: Int64
    var floorMicros: Int64

    /// Whether an event time received at `receivedAt` is kept.
    func keeps(_ micros: Int64, receivedAt: Int64) -> Bool {
        micros >= floorMicros && micros <= receivedAt + maxFutureMicros
    }

    /// Events whose time was replaced, per table.
    static let adjustedEvents = Counter(label: "floe_event_times_adjusted_total", dimensions: [("table", "events")])
    static let adjustedCloudEvents = Counter(label: "floe_event_times_adjusted_total", dimensions: [("table", "cloudevents")])
}
