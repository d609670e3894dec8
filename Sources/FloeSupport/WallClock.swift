import Foundation

/// The wall clock as integers since the Unix epoch (receipt times, commit timestamps).
package enum WallClock {
    /// Microseconds since 1970-01-01T00:00:00Z.
    package static func nowMicros() -> Int64 { micros(Date()) }

    /// Milliseconds since 1970-01-01T00:00:00Z.
    package static func nowMillis() -> Int64 { millis(Date()) }

    /// `date` in microseconds since the epoch, rounded.
    package static func micros(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1_000_000).rounded()) }

    /// `date` in whole microseconds since the epoch, truncated (file modification times, which
    /// backfill checkpoints compare exactly).
    package static func microsTruncated(_ date: Date) -> Int64 { Int64(date.timeIntervalSince1970 * 1_000_000) }

    /// `date` in milliseconds since the epoch, rounded.
    package static func millis(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }
}
