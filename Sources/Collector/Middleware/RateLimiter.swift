import Foundation
import Synchronization

/// Per-key token buckets: `ratePerSecond` requests refill continuously up to `burst`.
///
/// The key is the API key when auth is on, else the client address. A request that finds its
/// bucket empty gets 429 with `Retry-After` (whole seconds until a token is back).
///
/// A bucket left alone for `burst / ratePerSecond` seconds is full again, the same as no bucket, so
/// once more than ``sweepAbove`` keys are held, such buckets are dropped, at most once a second: the
/// memory follows the keys seen lately, and no request pays for scanning them all.
final class RateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: Double
    }

    private struct State {
        var buckets: [String: Bucket] = [:]
        var lastSweep = -Double.infinity
    }

    let ratePerSecond: Double
    let burst: Double
    /// How many keys are held before full buckets are dropped.
    let sweepAbove: Int
    private let state = Mutex(State())

    init(ratePerSecond: Double, burst: Double, sweepAbove: Int = 10_000) {
        self.ratePerSecond = ratePerSecond
        self.burst = max(1, burst)
        self.sweepAbove = sweepAbove
    }

    /// How many keys have a bucket now.
    var keyCount: Int { state.withLock { $0.buckets.count } }

    /// Takes one token for `key`; `nil` when allowed, else the seconds to wait.
    func acquire(_ key: String, now: Double = ProcessInfo.processInfo.systemUptime) -> Int? {
        state.withLock { state in
            var bucket = state.buckets[key] ?? Bucket(tokens: burst, updated: now)
            bucket.tokens = min(burst, bucket.tokens + (now - bucket.updated) * ratePerSecond)
            bucket.updated = now
            defer {
                state.buckets[key] = bucket
                if state.buckets.count > sweepAbove, now - state.lastSweep >= 1 {
                    let refill = burst / ratePerSecond
                    state.buckets = state.buckets.filter { now - $0.value.updated < refill }
                    state.lastSweep = now
                }
            }
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                return nil
            }
            return max(1, Int(((1 - bucket.tokens) / ratePerSecond).rounded(.up)))
        }
    }

    /// Throws 429 when `key` is over its rate.
    func check(_ key: String) throws {
        if let wait = acquire(key) {
            throw APIError(status: .tooManyRequests, message: "rate limit of \(ratePerSecond) requests/s exceeded",
                           retryAfterSeconds: wait)
        }
    }
}
