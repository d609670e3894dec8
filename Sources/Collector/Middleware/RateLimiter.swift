import Foundation
import Synchronization

/// Per-key token buckets: `ratePerSecond` requests refill continuously up to `burst`.
///
/// The key is the API key when auth is on, else the client address. A request that finds its
/// bucket empty gets 429 with `Retry-After` (whole seconds until a token is back).
final class RateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: Double
    }

    let ratePerSecond: Double
    let burst: Double
    private let buckets = Mutex([String: Bucket]())

    init(ratePerSecond: Double, burst: Double) {
        self.ratePerSecond = ratePerSecond
        self.burst = max(1, burst)
    }

    /// Takes one token for `key`; `nil` when allowed, else the seconds to wait.
    func acquire(_ key: String, now: Double = ProcessInfo.processInfo.systemUptime) -> Int? {
        buckets.withLock { buckets in
            var bucket = buckets[key] ?? Bucket(tokens: burst, updated: now)
            bucket.tokens = min(burst, bucket.tokens + (now - bucket.updated) * ratePerSecond)
            bucket.updated = now
            defer {
                buckets[key] = bucket
                if buckets.count > 100_000 { buckets = buckets.filter { now - $0.value.updated < 60 } }
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
