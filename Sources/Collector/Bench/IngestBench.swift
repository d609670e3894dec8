import AsyncHTTPClient
import Foundation
import NIOCore

/// `floe bench ingest`: starts `floe serve` on a temporary directory and drives it over HTTP.
///
/// `connections` tasks each send requests back to back for `seconds`: `/v1/batch` bodies of
/// `batch` events, single `/v1/track` messages (`batch` = 0), or `GET /health` (the HTTP ceiling
/// of the same server). Every event gets a fresh `messageId`, so nothing is deduplicated.
/// Latency is recorded per request in a ``LatencyHistogram``.
public enum IngestBench {
    public struct Options: Sendable {
        public var input: String
        public var batch = 100
        public var connections = 16
        public var seconds = 10.0
        public var health = false
        public var executable: String
        public var durability = "fsync"
        /// Requests per second over all connections, paced (latency counts from each request's
        /// scheduled time, so a stall is not hidden); nil sends back to back.
        public var rate: Double?
        /// Stop after this many events (split evenly over the connections) instead of at `seconds`.
        public var events: Int?
        /// Never flush while the benchmark runs (the buffer keeps every event; for `rss_mb` with N buffered).
        public var noFlush = false

        public init(input: String, executable: String) {
            self.input = input
            self.executable = executable
        }
    }

    public static func run(_ options: Options) async throws -> String {
        let events = try loadEvents(options.input)
        guard !events.isEmpty else { throw ConfigurationError(message: "no events in \(options.input)") }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("floe-bench-ingest-\(UUID().uuidString)")
        let port = Int.random(in: 20_000...60_000)
        let server = Process()
        server.executableURL = URL(fileURLWithPath: options.executable)
        server.arguments = ["serve", "--host", "127.0.0.1", "--port", String(port), "--data-dir", directory.path]
        var environment = ProcessInfo.processInfo.environment
        environment["FLOE_MAX_PARTITION_EVENTS"] = "10000000"
        environment["FLOE_MAX_BATCH_BYTES"] = String(64 << 20)
        environment["FLOE_DURABILITY"] = options.durability
        environment["FLOE_LOG_LEVEL"] = "warning"
        if options.noFlush {
            environment["ICEBERG_BUFFER_SIZE"] = "100000000"
            environment["FLOE_MAX_PARTITION_EVENTS"] = "100000000"
            environment["ICEBERG_BUFFER_TIMEOUT_MS"] = "86400000"
        }
        server.environment = environment
        server.standardOutput = FileHandle.nullDevice
        try server.run()
        defer {
            server.terminate()
            server.waitUntilExit()
            try? FileManager.default.removeItem(at: directory)
        }
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = options.connections
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            let result = try await drive(client, port: port, events: events, options: options, server: server.processIdentifier)
            try await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    private static func drive(_ client: HTTPClient, port: Int, events: [SplitEvent], options: Options,
                              server: Int32) async throws -> String {
        let base = "http://127.0.0.1:\(port)"
        try await waitForHealth(client, base: base)

        let path = options.health ? "/health" : options.batch > 0 ? "/v1/batch" : "/v1/track"
        let deadline = ContinuousClock.now + .milliseconds(Int(options.seconds * 1000))
        let started = ContinuousClock.now
        let perRequest = max(1, options.batch)
        // Requests each connection sends when `events` is set.
        let quota = options.events.map { ($0 / perRequest + options.connections - 1) / options.connections }
        let interval: Duration? = options.rate.map { .nanoseconds(Int64(Double(options.connections) / max($0, 0.001) * 1e9)) }
        let results = try await withThrowingTaskGroup(of: (LatencyHistogram, Int, Int).self) { group in
            for worker in 0..<options.connections {
                group.addTask {
                    var histogram = LatencyHistogram()
                    var sent = 0
                    var failures = 0
                    var cursor = worker * 997 % events.count
                    var counter = 0
                    var requests = 0
                    // Staggered so paced connections do not send in lockstep.
                    var scheduled = started + (interval ?? .zero) * (Double(worker) / Double(options.connections))
                    while ContinuousClock.now < deadline || quota != nil {
                        if let quota, requests >= quota { break }
                        requests += 1
                        var request = HTTPClientRequest(url: base + path)
                        if !options.health {
                            request.method = .POST
                            request.headers.add(name: "Content-Type", value: "application/json")
                            // Bodies are spliced from pre-split bytes: the generator must not be the bottleneck.
                            var body = ByteBuffer()
                            body.reserveCapacity(options.batch > 0 ? options.batch * 800 + 16 : 1024)
                            if options.batch > 0 { body.writeString("{\"batch\":[") }
                            for index in 0..<max(1, options.batch) {
                                counter += 1
                                if index > 0 { body.writeInteger(UInt8(ascii: ",")) }
                                let event = events[cursor]
                                body.writeBytes(event.prefix)
                                body.writeString("w\(worker)-\(counter)")
                                body.writeBytes(event.suffix)
                                cursor = (cursor + 1) % events.count
                            }
                            if options.batch > 0 { body.writeString("]}") }
                            request.body = .bytes(body)
                        }
                        var before = ContinuousClock.now
                        if let interval {
                            if scheduled > before { try await Task.sleep(until: scheduled, clock: .continuous) }
                            before = scheduled
                            scheduled += interval
                        }
                        let response = try await client.execute(request, timeout: .seconds(30))
                        _ = try await response.body.collect(upTo: 1 << 20)
                        let elapsed = ContinuousClock.now - before
                        histogram.record(UInt64(max(0, elapsed.components.seconds * 1_000_000
                                                    + elapsed.components.attoseconds / 1_000_000_000_000)))
                        if response.status == .ok { sent += options.health ? 0 : max(1, options.batch) } else { failures += 1 }
                    }
                    return (histogram, sent, failures)
                }
            }
            var merged = LatencyHistogram()
            var events = 0
            var failures = 0
            for try await (histogram, sent, failed) in group {
                merged.merge(histogram)
                events += sent
                failures += failed
            }
            return (merged, events, failures)
        }
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let histogram = results.0
        func ms(_ percentile: Double) -> String {
            String(format: "%.3f", Double(histogram.value(atPercentile: percentile)) / 1000)
        }
        let memory = ProcessMemory(pid: server)
        let mode = options.health ? "health" : options.batch > 0 ? "batch" : "track"
        return "{\"mode\":\"\(mode)\",\"batch\":\(options.health ? 0 : options.batch),\"connections\":\(options.connections),"
            + "\"seconds\":\(String(format: "%.3f", seconds)),\"requests\":\(histogram.total),"
            + "\"requests_per_s\":\(Int(Double(histogram.total) / seconds)),\"events\":\(results.1),"
            + "\"events_per_s\":\(Int(Double(results.1) / seconds)),\"failed\":\(results.2),"
            + "\"p50_ms\":\(ms(50)),\"p90_ms\":\(ms(90)),\"p99_ms\":\(ms(99)),\"durability\":\"\(options.durability)\","
            + "\"rate\":\(options.rate.map { String(format: "%.1f", $0) } ?? "null"),"
            + "\"server_rss_mb\":\(memory.map { String(format: "%.1f", $0.rssMB) } ?? "null"),"
            + "\"server_rss_anon_mb\":\(memory.map { String(format: "%.1f", $0.anonymousMB) } ?? "null"),"
            + "\"server_rss_file_mb\":\(memory.map { String(format: "%.1f", $0.fileMB) } ?? "null")}"
    }

    /// An event's JSON text split around its `messageId` value, so each request can splice in a fresh id.
    struct SplitEvent: Sendable {
        var prefix: [UInt8]
        var suffix: [UInt8]
    }

    /// Events of the corpus (each given an `event` name so it is also a valid `/v1/track` message).
    private static func loadEvents(_ path: String) throws -> [SplitEvent] {
        guard let data = FileManager.default.contents(atPath: path) else { throw ConfigurationError(message: "cannot read \(path)") }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap { line in
            var text = String(line)
            if !text.contains("\"event\"") { text = text.replacingOccurrences(of: "\"type\":\"", with: "\"event\":\"Bench\",\"type\":\"") }
            guard let range = text.range(of: "\"messageId\":\""), let end = text[range.upperBound...].firstIndex(of: "\"") else {
                return nil
            }
            return SplitEvent(prefix: Array(text[..<range.upperBound].utf8), suffix: Array(text[end...].utf8))
        }
    }

    private static func waitForHealth(_ client: HTTPClient, base: String) async throws {
        for _ in 0..<200 {
            if let response = try? await client.execute(HTTPClientRequest(url: base + "/health"), timeout: .seconds(1)),
               response.status == .ok { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ConfigurationError(message: "the benchmark server did not become healthy")
    }
}
