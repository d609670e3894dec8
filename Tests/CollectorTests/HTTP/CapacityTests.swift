import Buffer
@testable import Collector
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Refusals at the limits: 429 (rate), 503 (flush backlog, buffer budget), 507 (partition cap).
/// Each carries `Retry-After` and stores nothing.
@Suite("HTTP capacity")
struct CapacityTests {
    @Test("429 with Retry-After once a client address has used its burst (auth off)")
    func rateLimitByAddress() async throws {
        // A refill of one request per 1,000 s: the bucket stays empty for the whole test.
        let harness = try HTTPHarness {
            $0.rateLimitPerSecond = 0.001
            $0.rateLimitBurst = 2
        }
        try await harness.run { client in
            try expectAccepted(try await client.post("/v1/track", segmentMessage()))
            try expectAccepted(try await client.post("/v1/batch", segmentBatch([segmentMessage()])))
            let limited = try await client.post("/events", cloudEvent())
            let envelope = try expectError(limited, 429)
            #expect(envelope.error.hasPrefix("rate limit of"))
            let wait = try #require(retryAfter(limited))
            #expect(wait >= 1)
            // The limit is checked before the body is read: even a bad body gets 429.
            try expectError(try await client.post("/v1/batch", "not json"), 429)
        }
        #expect(harness.buffered("cloudevents") == 0)
        #expect(harness.buffered("events") == 2)
    }

    @Test("with auth on, the rate limit is per API key (header or body writeKey)")
    func rateLimitByKey() async throws {
        let harness = try HTTPHarness {
            $0.rateLimitPerSecond = 0.001
            $0.rateLimitBurst = 1
            $0.authEnabled = true
            $0.authKeys = ["key-one", "key-two"]
        }
        try await harness.run { client in
            try expectAccepted(try await client.post("/v1/track", segmentMessage(), headers: .bearer("key-one")))
            let limited = try await client.post("/v1/track", segmentMessage(), headers: .apiKey("key-one"))
            try expectError(limited, 429)
            #expect((retryAfter(limited) ?? 0) >= 1)
            // Another key has its own bucket; a writeKey in the body is limited the same way.
            try expectAccepted(try await client.post("/v1/batch", segmentBatch([segmentMessage()], writeKey: "key-two")))
            let again = try await client.post("/v1/batch", segmentBatch([segmentMessage()], writeKey: "key-two"))
            try expectError(again, 429)
            #expect(retryAfter(again) != nil)
        }
        #expect(harness.buffered("events") == 2)
    }

    @Test("503 with Retry-After while the flush backlog is above max_backlog_events; accepted again once it drains")
    func backlog() async throws {
        let harness = try HTTPHarness { $0.maxBacklogEvents = 10 }
        let backlog = harness.components.backlog
        try await harness.run { client in
            let published = ContinuousClock.now
            backlog.publish(dueEvents: 11, at: published)
            let refused = try await client.post("/v1/batch", segmentBatch([segmentMessage(), segmentMessage()]))
            let envelope = try expectError(refused, 503)
            #expect(envelope.error.hasPrefix("flush backlog: 11 events are due"))
            // No commit measured yet: 5 s; unless the request took so long on a busy machine (the tests run in
            // parallel on two cores) that the backlog counts as stalled, which asks for as long as it has lasted.
            if ContinuousClock.now - published <= FlushBacklog.stallAfter {
                #expect(retryAfter(refused) == 5)
            } else {
                #expect((10...30).contains(retryAfter(refused) ?? 0))
            }
            try expectError(try await client.post("/v1/track", segmentMessage()), 503)
            try expectError(try await client.post("/events", cloudEvent()), 503)
            // Refused at the door, before the body is read (no parsing under overload): a malformed one too.
            try expectError(try await client.post("/v1/batch", "{"), 503)

            backlog.publish(dueEvents: 10)
            try expectAccepted(try await client.post("/v1/track", segmentMessage()))
        }
        #expect(harness.buffered("events") == 1)
        #expect(harness.buffered("cloudevents") == 0)
    }

    @Test("503 with Retry-After when the buffer's byte budget is reached")
    func bufferBudget() async throws {
        let harness = try HTTPHarness { $0.maxBufferedBytes = 1_000 }
        try await harness.run { client in
            try expectAccepted(try await client.post("/v1/track", segmentMessage()))
            let batch = segmentBatch((0..<40).map { _ in segmentMessage() })
            let refused = try await client.post("/v1/batch", batch)
            let envelope = try expectError(refused, 503)
            #expect(envelope.error.hasPrefix("buffer budget reached"))
            #expect(retryAfter(refused) == 5)
        }
        #expect(harness.buffered("events") == 1)
    }

    @Test("507 with Retry-After when a partition holds max_partition_events; other partitions still take events")
    func partitionFull() async throws {
        let harness = try HTTPHarness {
            $0.bufferSize = 1
            $0.maxPartitionEvents = 3
        }
        try await harness.run { client in
            try expectAccepted(try await client.post("/v1/batch", segmentBatch([segmentMessage(), segmentMessage()])))
            // Two more would make 4: the whole batch is refused, nothing of it stored.
            let refused = try await client.post("/v1/batch", segmentBatch([segmentMessage(), segmentMessage()]))
            let envelope = try expectError(refused, 507)
            #expect(envelope.error.hasPrefix("buffer partition is full"))
            #expect(retryAfter(refused) == 5)
            try expectAccepted(try await client.post("/v1/t", segmentMessage()))
            try expectError(try await client.post("/v1/track", segmentMessage()), 507)
            // Another type is another partition.
            try expectAccepted(try await client.post("/v1/page", segmentMessage("page")))
        }
        let stats = harness.components.buffer.stats()
        #expect(stats[.init(table: "events", key: "track/2025-06-01-10")]?.count == 3)
        #expect(stats[.init(table: "events", key: "page/2025-06-01-10")]?.count == 1)
    }
}
