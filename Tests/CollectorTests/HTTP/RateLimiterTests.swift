@testable import Collector
import Testing

@Suite("RateLimiter")
struct RateLimiterTests {
    @Test("a key gets its burst, then waits for tokens to refill")
    func buckets() {
        let limiter = RateLimiter(ratePerSecond: 1, burst: 2)
        #expect(limiter.acquire("a", now: 0) == nil)
        #expect(limiter.acquire("a", now: 0) == nil)
        #expect(limiter.acquire("a", now: 0) == 1)
        #expect(limiter.acquire("b", now: 0) == nil)
        #expect(limiter.acquire("a", now: 1) == nil)
    }

    @Test("past sweepAbove keys, buckets that refilled are dropped at most once a second; busy ones are kept")
    func sweep() {
        // Refills in one second: 10 tokens at 10 a second.
        let limiter = RateLimiter(ratePerSecond: 10, burst: 10, sweepAbove: 100)
        for key in 0..<150 { #expect(limiter.acquire("k\(key)", now: 0) == nil) }
        // The first sweep (at 101 keys) found every bucket in use.
        #expect(limiter.keyCount == 150)
        for _ in 0..<10 { #expect(limiter.acquire("hot", now: 0.5) == nil) }
        #expect(limiter.acquire("hot", now: 0.5) != nil)
        // Within a second of the last sweep nothing is scanned.
        #expect(limiter.keyCount == 151)
        #expect(limiter.acquire("new", now: 1.25) == nil)
        // Every bucket idle for a second was full again: dropped. "hot" keeps its state (7.5 tokens by now).
        #expect(limiter.keyCount == 2)
        for _ in 0..<7 { #expect(limiter.acquire("hot", now: 1.25) == nil) }
        #expect(limiter.acquire("hot", now: 1.25) != nil)
        // A dropped key starts again with a full bucket, as it would have had.
        for _ in 0..<10 { #expect(limiter.acquire("k1", now: 1.25) == nil) }
    }
}
