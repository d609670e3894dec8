import Buffer
@testable import Collector
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Iceberg
import IcebergTestSupport
import Logging
import Prometheus
import Synchronization
import Testing

/// `/health`, `/health/ready`, `/metrics` and `/debug/*` through the router.
@Suite("HTTP operations routes")
struct OperationsRoutesTests {
    @Test("/health answers 200 {status: ok} whatever the phase")
    func health() async throws {
        let harness = try HTTPHarness(ready: false)
        try await harness.run { client in
            let response = try await client.get("/health")
            #expect(response.status == .ok)
            #expect(try jsonObject(response)["status"] as? String == "ok")
        }
    }

    @Test("/health/ready: 503 with Retry-After while recovering (not for ingest) and while draining, 200 when ready")
    func readinessPhases() async throws {
        let harness = try HTTPHarness(ready: false)
        let readiness = harness.readiness
        try await harness.run { client in
            let recovering = try await client.get("/health/ready")
            let envelope = try expectError(recovering, 503)
            #expect(envelope.error == "not ready: recovering")
            #expect(envelope.errors == ["recovering pending flushes"])
            #expect(retryAfter(recovering) == 1)
            // Ingest is served meanwhile, so a load balancer's `?for=ingest` probe finds the instance ready.
            try expectAccepted(try await client.post("/v1/track", segmentMessage()))
            #expect(try await client.get("/health/ready?for=ingest").status == .ok)

            readiness.recovered()
            let ready = try await client.get("/health/ready")
            #expect(ready.status == .ok)
            #expect(try jsonObject(ready)["status"] as? String == "ready")
            #expect(try await client.get("/health/ready?for=ingest").status == .ok)

            readiness.drain()
            let draining = try await client.get("/health/ready?for=ingest")
            let drained = try expectError(draining, 503)
            #expect(drained.errors == ["shutting down"])
            #expect(retryAfter(draining) == 30)
            // Still serving while draining.
            try expectAccepted(try await client.post("/v1/track", segmentMessage()))
        }
    }

    @Test("/health/ready: 503 naming the table when its metadata is gone; ?for=ingest leaves the catalog out")
    func readinessCatalogProblem() async throws {
        let harness = try HTTPHarness()
        try await harness.run { client in
            try expectAccepted(try await client.post("/v1/track", segmentMessage()))
            #expect(try await client.execute(uri: "/debug/flush", method: .post).status == .ok)
            let metadata = URL(fileURLWithPath: harness.directory.path + "/warehouse/analytics/events/metadata")
            let files = try FileManager.default.contentsOfDirectory(atPath: metadata.path).filter { $0.hasSuffix(".metadata.json") }
            #expect(!files.isEmpty)
            for file in files { try FileManager.default.removeItem(at: metadata.appendingPathComponent(file)) }

            let response = try await client.get("/health/ready")
            let envelope = try expectError(response, 503)
            #expect(envelope.error == "not ready")
            #expect(envelope.errors?.count == 1)
            #expect(envelope.errors?.first?.hasPrefix("events: ") == true)
            #expect(retryAfter(response) == 5)
            #expect(try await client.get("/health/ready?for=ingest").status == .ok)
        }
    }

    @Test("/metrics serves the registry in the Prometheus text format")
    func metrics() async throws {
        let harness = try HTTPHarness()
        let probe = MetricNameDescriptor(namespace: "floe", metricName: "test_probe", unitName: "total", helpText: "a probe")
        harness.registry.makeCounter(descriptor: probe, labels: [("route", "/v1/batch")]).increment(by: Int64(3))
        try await harness.run { client in
            let response = try await client.get("/metrics")
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
            #expect(text(response).contains(#"floe_test_probe_total{route="/v1/batch"} 3"#))
        }
    }

    @Test("/debug/status and /debug/status/{type} describe the buffered partitions (openapi Status, TypeStatus)")
    func status() async throws {
        let harness = try HTTPHarness {
            $0.bufferSize = 100
            $0.bufferTimeoutMs = 5_000
            $0.maxPartitionEvents = 1_000
            $0.maxBacklogEvents = 7_000
        }
        try await harness.run { client in
            try expectAccepted(try await client.post("/v1/batch", segmentBatch([segmentMessage(), segmentMessage(), segmentMessage("page")])))
            try expectAccepted(try await client.post("/events", cloudEvent()))

            let response = try await client.get("/debug/status")
            #expect(response.status == .ok)
            let status = try jsonObject(response)
            #expect(status["buffered_count"] as? Int == 4)
            #expect(status["max_buffer_size"] as? Int == 1_000)
            #expect(status["buffer_threshold"] as? Int == 100)
            #expect(status["buffer_timeout_ms"] as? Int == 5_000)
            #expect(status["max_backlog_events"] as? Int == 7_000)
            #expect(status["due_events"] as? Int == 0)
            #expect(status["drain_events_per_s"] as? Int == 0)
            #expect(status["last_maintenance_at"] is NSNull)
            let partitions = try #require(status["partitions"] as? [[String: Any]])
            #expect(partitions.map { $0["partition_key"] as? String } == [
                "com.example.order.created/2025-06-01-10", "page/2025-06-01-10", "track/2025-06-01-10",
            ])
            #expect(partitions.map { $0["table"] as? String } == ["cloudevents", "events", "events"])
            #expect(partitions.map { $0["buffered_count"] as? Int } == [1, 1, 2])
            for partition in partitions {
                #expect((partition["buffered_bytes"] as? Int ?? 0) > 0)
                #expect((partition["oldest_event_age_ms"] as? Int ?? -1) >= 0)
            }
            let tables = try #require(status["tables"] as? [[String: Any]])
            #expect(tables.map { $0["table"] as? String } == ["events", "cloudevents", "rejected"])
            #expect(tables.allSatisfy { $0["last_commit_at"] is NSNull })

            let typed = try jsonObject(try await client.get("/debug/status/track"))
            #expect(typed["type"] as? String == "track")
            #expect(typed["table"] as? String == "events")
            #expect(typed["partition_key"] as? String == "track/2025-06-01-10")
            #expect(typed["buffered_count"] as? Int == 2)
            // Not created before the first flush, and a GET does not create it.
            #expect(typed["table_location"] as? String == "")
            #expect((typed["partitions"] as? [Any])?.count == 1)
            let cloud = try jsonObject(try await client.get("/debug/status/com.example.order.created"))
            #expect(cloud["table"] as? String == "cloudevents")
            #expect(cloud["buffered_count"] as? Int == 1)
            _ = try await client.post("/debug/flush", "")
            let flushed = try jsonObject(try await client.get("/debug/status/track"))
            #expect((flushed["table_location"] as? String)?.hasSuffix("/warehouse/analytics/events") == true)
        }
    }

    @Test("/debug/flush commits everything and answers the FlushReport; /debug/flush/{type} only that type")
    func flush() async throws {
        let harness = try HTTPHarness()
        try await harness.run { client in
            try expectAccepted(try await client.post("/v1/batch", segmentBatch([segmentMessage(), segmentMessage(), segmentMessage("page")])))
            try expectAccepted(try await client.post("/events", cloudEvent()))

            let typed = try await client.execute(uri: "/debug/flush/page", method: .post)
            #expect(typed.status == .ok)
            let partial = try jsonObject(typed)
            #expect(partial["rows"] as? Int == 1)
            #expect(harness.buffered("events") == 2)

            let response = try await client.execute(uri: "/debug/flush", method: .post)
            #expect(response.status == .ok)
            let report = try jsonObject(response)
            #expect(report["success"] as? Bool == true)
            #expect(report["rows"] as? Int == 3)
            let tables = try #require(report["tables"] as? [[String: Any]])
            #expect(Set(tables.compactMap { $0["table"] as? String }) == ["events", "cloudevents"])
            for table in tables {
                for key in ["table", "commit_id", "snapshot_id", "sequence_number", "files", "rows", "partitions", "recovered"] {
                    #expect(table[key] != nil, "\(key)")
                }
                #expect(table["recovered"] as? Bool == false)
                #expect((table["files"] as? [String])?.allSatisfy { $0.hasSuffix(".parquet") } == true)
            }
            #expect(harness.components.buffer.stats().isEmpty)

            let status = try jsonObject(try await client.get("/debug/status"))
            #expect(status["buffered_count"] as? Int == 0)
            let freshness = try #require(status["tables"] as? [[String: Any]])
            let events = try #require(freshness.first { $0["table"] as? String == "events" })
            #expect(events["last_commit_at"] is String)
            #expect(events["snapshots"] as? Int == 2)
            #expect(events["data_files"] as? Int == 2)

            // Nothing buffered: an empty report.
            let empty = try jsonObject(try await client.execute(uri: "/debug/flush", method: .post))
            #expect(empty["rows"] as? Int == 0)
        }
    }

    @Test("/debug/list-r2 lists objects under a table location, paged; 400 for an unknown table")
    func listObjects() async throws {
        let harness = try HTTPHarness()
        try await harness.run { client in
            try expectAccepted(try await client.post("/v1/batch", segmentBatch([segmentMessage(), segmentMessage("page")])))
            #expect(try await client.execute(uri: "/debug/flush", method: .post).status == .ok)

            let listing = try jsonObject(try await client.get("/debug/list-r2?prefix=data/"))
            #expect((listing["table_location"] as? String)?.hasSuffix("/warehouse/analytics/events") == true)
            let objects = try #require(listing["objects"] as? [[String: Any]])
            #expect(objects.count == 2)
            #expect(objects.allSatisfy { ($0["key"] as? String)?.hasPrefix("data/") == true })
            #expect(listing["truncated"] as? Bool == false)

            let page = try jsonObject(try await client.get("/debug/list-r2?prefix=data/&limit=1"))
            #expect((page["objects"] as? [Any])?.count == 1)
            #expect(page["truncated"] as? Bool == true)
            #expect(page["next_start_after"] is String)

            let unknown = try expectError(try await client.get("/debug/list-r2?table=nope"), 400)
            #expect(unknown.error.hasPrefix("unknown table 'nope'"))
            // Nothing outside the table's location: `..` plain, percent-encoded, or encoded twice.
            for prefix in ["../../../", "data/../../..", "%2e%2e/%2e%2e/", "%252e%252e/%252e%252e/", ".."] {
                let outside = try expectError(try await client.get("/debug/list-r2?prefix=\(prefix)"), 400)
                #expect(outside.error == "prefix must stay under the table's location: no '..' segments", "\(prefix)")
            }
            let zero = try expectError(try await client.get("/debug/list-r2?prefix=data%00x"), 400)
            #expect(zero.error == "prefix must not contain a zero byte")
        }
    }

    /// Whether the feeder of ``flushUnderSteadyIngest()`` goes on.
    final class Feeding: Sendable {
        private let state = Mutex(true)
        var on: Bool { state.withLock { $0 } }
        func stop() { state.withLock { $0 = false } }
    }

    @Test("/debug/flush answers under steady ingest: it flushes what was buffered when it was asked")
    func flushUnderSteadyIngest() async throws {
        let harness = try HTTPHarness()
        // Events keep arriving (straight into the buffer, as the ingest routes store them) while the flush runs.
        let ingestor = Ingestor(buffer: harness.components.buffer, metrics: IngestMetrics())
        let feeding = Feeding()
        try await harness.run { client in
            try expectAccepted(try await client.post("/v1/batch", segmentBatch((0..<50).map { segmentMessage(id: "early-\($0)") })))
            let feeder = Task {
                var sent = 0
                while feeding.on {
                    let request = IngestContext(receivedAt: Int64(Date().timeIntervalSince1970 * 1_000_000), clientIP: nil)
                    _ = try await ingestor.segmentMessage(Array(segmentMessage(id: "late-\(sent)").utf8), type: .track,
                                                          request: request, authorize: { _ in nil })
                    sent += 1
                    try await Task.sleep(for: .milliseconds(1))
                }
                return sent
            }
            let watchdog = Task {
                // Stops the feeding after 20 s, so that a flush waiting for empty partitions ends too.
                try await Task.sleep(for: .seconds(20))
                feeding.stop()
            }
            try await Task.sleep(for: .milliseconds(100))
            let started = ContinuousClock.now
            let response = try await client.execute(uri: "/debug/flush", method: .post)
            let took = ContinuousClock.now - started
            let wasFeeding = feeding.on
            feeding.stop()
            watchdog.cancel()
            #expect(response.status == .ok)
            #expect(wasFeeding, "/debug/flush answered only once the events stopped coming (after \(took))")
            // The 50 buffered before the call are committed.
            #expect(try jsonObject(response)["rows"] as? Int ?? 0 >= 50)
            #expect(try await feeder.value > 0)
        }
    }

    @Test("/debug/flush answers 503 with Retry-After when the flush fails; the next one recovers the pending flush")
    func flushFailure() async throws {
        let io = FaultInjectingFileIO(base: MemoryFileIO())
        let harness = try HTTPHarness(makeComponents: { configuration, directory in
            let logger = HTTPHarness.quietLogger
            var bufferConfiguration = BufferConfiguration(path: directory.appendingPathComponent("buffer.db").path)
            bufferConfiguration.durability = .os
            let buffer = try EventBuffer(configuration: bufferConfiguration, logger: logger)
            let catalog = try SQLCatalog(databasePath: directory.appendingPathComponent("catalog.db").path,
                                         warehouseLocation: "file:///floe-test/warehouse", fileIO: io, logger: logger)
            var settings = FlushSettings()
            settings.bufferSize = configuration.bufferSize
            let backlog = FlushBacklog(limit: 0)
            let coordinator = FlushCoordinator(buffer: buffer, catalog: catalog, fileIO: io, namespace: ["analytics"],
                                               tables: TableDefinition.all, settings: settings, logger: logger, backlog: backlog)
            return FloeServer.Components(lock: try DataDirectoryLock(.buffer, in: directory), buffer: buffer,
                                         coordinator: coordinator, settings: settings, backlog: backlog)
        })
        try await harness.run { client in
            try expectAccepted(try await client.post("/v1/batch", segmentBatch([segmentMessage(), segmentMessage()])))
            io.fail(.write, times: 1) { $0.hasSuffix(".parquet") }
            let failed = try await client.execute(uri: "/debug/flush", method: .post)
            let envelope = try expectError(failed, 503)
            #expect(envelope.error.hasPrefix("flush failed: "))
            #expect(retryAfter(failed) == 5)
            #expect(harness.buffered("events") == 2)

            io.fail(.list)
            let listing = try expectError(try await client.get("/debug/list-r2"), 503)
            #expect(listing.error.hasPrefix("listing failed: "))

            let recovered = try jsonObject(try await client.execute(uri: "/debug/flush", method: .post))
            #expect(recovered["rows"] as? Int == 2)
            let tables = try #require(recovered["tables"] as? [[String: Any]])
            #expect(tables.map { $0["recovered"] as? Bool } == [true])
            #expect(harness.components.buffer.stats().isEmpty)
        }
    }
}
