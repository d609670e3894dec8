import Collector
import AsyncHTTPClient
import Foundation
import Iceberg
import Logging
import NIOCore
import NIOPosix

/// `floe bench ingest`: starts `floe serve` on a temporary directory and drives it over HTTP.
///
/// `connections` tasks each send requests back to back (or paced at `rate`) for `seconds`:
/// `/v1/batch` bodies of `batch` events, single `/v1/track` messages (`batch` = 0), or
/// `GET /health` (the HTTP ceiling of the same server). Every event gets a fresh `messageId`, so
/// nothing is deduplicated. Latency is recorded per request in a ``LatencyHistogram``.
///
/// The server runs with the defaults a user gets; any setting the run changes is listed in the
/// result's `settings`. An end-to-end run (the default) also watches the buffer once a second,
/// flushes at the end and counts the rows in the tables: it is `sustained` when no request was
/// refused or left unsent (a paced run ends on time, counting what it had not sent), the buffer
/// ended no larger than it started plus one flush threshold per partition (measured once the flush
/// cycle in flight when the load stopped has committed, at most 3 s later), and every accepted
/// event was committed. `--no-flush` measures the buffer alone (`kind`
/// `buffer_only`): flushing and the backlog refusal are off, so the figure is what the buffer
/// takes in while nothing is committed.
public enum IngestBench {
    /// What one run sends and how: the corpus, the request shape, the connections, the pace and the duration.
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
        /// The grid, in microseconds, that paced sends wake on (``LoadConnection/Plan/timerResolution``;
        /// 1,000 as wrk2 does); 0, the default, wakes at each request's exact time.
        public var timerResolutionMicros = 0
        /// Stop after this many events (split evenly over the connections) instead of at `seconds`.
        public var events: Int?
        /// Never flush while the benchmark runs (the buffer keeps every event; for `rss_mb` with N buffered).
        public var noFlush = false
        /// Where to write each request's send time and latency (TSV, for finding stalls); nil writes none.
        public var timeline: String?
        /// Where to write the CPU of the server (per thread name), the generator and the machine, with the
        /// requests and latency, per `cpuInterval` of the run (``CPUTimeline``, TSV); nil samples nothing.
        public var cpuTimeline: String?
        public var cpuInterval: Duration = .seconds(10)
        /// Where the server's log goes, at `info` (each flush cycle's phases); nil keeps it at `warning`, unsaved.
        public var serverLog: String?
        /// Settings given to the server as environment variables (each is listed in the result).
        public var settings: [String: String] = [:]

        public init(input: String, executable: String) {
            self.input = input
            self.executable = executable
        }
    }

    public static func run(_ options: Options) async throws -> String {
        let events = try loadEvents(options.input)
        guard !events.isEmpty else { throw ConfigurationError(message: "no events in \(options.input)") }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("floe-bench-ingest-\(UUID().uuidString)")
        let port = try await freePort()
        let server = Process()
        server.executableURL = URL(fileURLWithPath: options.executable)
        server.arguments = ["serve", "--host", "127.0.0.1", "--port", String(port), "--data-dir", directory.path]
        var environment = ProcessInfo.processInfo.environment.filter {
            // The server gets the defaults, not whatever the caller's shell sets.
            !($0.key.hasPrefix("FLOE_") || $0.key.hasPrefix("ICEBERG_") || $0.key.hasPrefix("R2_")
              || $0.key.hasPrefix("AUTH_") || $0.key.hasPrefix("AWS_") || $0.key == "ALLOWED_ORIGINS")
        }
        environment["FLOE_LOG_LEVEL"] = "warning"
        if let serverLog = options.serverLog {
            guard FileManager.default.createFile(atPath: serverLog, contents: nil),
                  let handle = FileHandle(forWritingAtPath: serverLog) else {
                throw ConfigurationError(message: "cannot write \(serverLog)")
            }
            environment["FLOE_LOG_LEVEL"] = "info"
            environment["FLOE_LOG_FORMAT"] = "json"
            server.standardError = handle
        }
        let changed = changedSettings(options)
        environment.merge(changed) { _, new in new }
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
            var result = try await drive(client, port: port, events: events, options: options, server: server.processIdentifier)
            try await client.shutdown()
            result.settings = changed
            if !options.noFlush && !options.health {
                server.terminate()
                server.waitUntilExit()
                result.committed = try await committedRows(directory: directory)
            }
            return result.json(options)
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    /// Settings the run gives the server that differ from the defaults, as environment variables.
    static func changedSettings(_ options: Options) -> [String: String] {
        var changed: [String: String] = [:]
        if options.durability != "fsync" { changed["FLOE_DURABILITY"] = options.durability }
        if options.noFlush {
            changed["ICEBERG_BUFFER_SIZE"] = "100000000"
            changed["FLOE_MAX_PARTITION_EVENTS"] = "100000000"
            changed["ICEBERG_BUFFER_TIMEOUT_MS"] = "86400000"
            changed["FLOE_MAX_BACKLOG_EVENTS"] = "0"
        }
        changed.merge(options.settings) { _, explicit in explicit }
        return changed
    }

    private static func drive(_ client: HTTPClient, port: Int, events: [SplitEvent], options: Options,
                              server: Int32) async throws -> Result {
        let base = "http://127.0.0.1:\(port)"
        try await waitForHealth(client, base: base)
        let watcher = BufferWatcher(client: client, base: base)
        let watching = Task { await watcher.watch() }

        let path = options.health ? "/health" : options.batch > 0 ? "/v1/batch" : "/v1/track"
        let startedAt = Date()
        let started = NIODeadline.now()
        let cpuAtStart = CPUUsage.Sample(server: server)
        let sampling = options.cpuTimeline.map { _ in
            Task { await CPUTimeline.record(server: server, started: started, every: options.cpuInterval) }
        }
        defer { sampling?.cancel() }
        let perRequest = max(1, options.batch)
        // Requests each connection sends when `events` is set.
        let quota = options.events.map { ($0 / perRequest + options.connections - 1) / options.connections }
        let interval: TimeAmount? = options.rate.map { .nanoseconds(Int64(Double(options.connections) / max($0, 0.001) * 1e9)) }
        var runs: [EventLoopFuture<LoadConnection.Outcome>] = []
        for worker in 0..<options.connections {
            // Staggered so paced connections do not send in lockstep.
            let offset = interval.map { TimeAmount.nanoseconds($0.nanoseconds * Int64(worker) / Int64(options.connections)) } ?? .zero
            let plan = LoadConnection.Plan(started: started, firstSend: started + offset, interval: interval,
                                           timerResolution: options.timerResolutionMicros > 0
                                               ? .microseconds(Int64(options.timerResolutionMicros)) : nil,
                                           deadline: started + .milliseconds(Int64(options.seconds * 1000)), quota: quota,
                                           eventsPerRequest: options.health ? 0 : perRequest,
                                           keepsTimeline: options.timeline != nil || options.cpuTimeline != nil)
            var request = RequestWriter(path: path, events: options.health ? [] : events, batch: options.batch,
                                        worker: worker, cursor: worker * 997 % events.count)
            runs.append(LoadConnection.run(port: port, plan: plan) { request.write(into: &$0) })
        }
        var total = LoadConnection.Outcome()
        for run in runs { total.merge(try await run.get()) }
        let elapsed = NIODeadline.now() - started
        let seconds = Double(elapsed.nanoseconds) / 1e9
        let cpu = cpuAtStart.flatMap { start in CPUUsage.Sample(server: server).map { CPUUsage(from: start, to: $0, seconds: seconds) } }
        sampling?.cancel()
        // After the clock stops: writing millions of lines takes seconds.
        if let path = options.timeline { try TimelineEntry.write(total.timeline, startedAt: startedAt, to: path) }
        if let path = options.cpuTimeline, let sampling {
            try await sampling.value.write(requests: total.timeline, startedAt: startedAt, to: path)
        }
        watching.cancel()
        var result = Result(seconds: seconds, histogram: total.histogram, events: total.events,
                            failed: total.failures, memory: ProcessMemory(pid: server))
        result.cpu = cpu
        result.unsent = total.unsent
        result.buffer = await watcher.summary()
        // The buffer at the end: once the cycle in flight when the load stopped has committed (nothing due,
        // scheduled flushing only, at most 3 s: a real backlog cannot drain that fast).
        if let stop = try? await BufferWatcher.status(client, base: base) {
            result.buffer.atStop = stop.events
            result.buffer.end = stop.events
            let deadline = ContinuousClock.now + .seconds(3)
            // A partition that crossed the threshold since the server last published its due count
            // shows as not yet due: wait for that flush too.
            let settled = result.buffer.start + max(1, result.buffer.partitions) * FlushSettings().bufferSize
            while ContinuousClock.now < deadline, let now = try? await BufferWatcher.status(client, base: base) {
                result.buffer.end = now.events
                if now.due == 0 && (options.noFlush || now.events < settled) { break }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        if !options.noFlush && !options.health {
            // Commit everything accepted; the rows are counted once the server has stopped.
            var flush = HTTPClientRequest(url: base + "/debug/flush")
            flush.method = .POST
            _ = try await client.execute(flush, timeout: .seconds(300)).body.collect(upTo: 16 << 20)
        }
        return result
    }

    /// What a run measured.
    struct Result {
        var seconds: Double
        var histogram: LatencyHistogram
        var events: Int
        var failed: Int
        /// Paced requests the run did not send because the server was behind when it ended.
        var unsent = 0
        var memory: ProcessMemory?
        /// CPU time while the load ran (not the final flush).
        var cpu: CPUUsage?
        var buffer = BufferWatcher.Summary()
        var settings: [String: String] = [:]
        /// Rows in the tables after the final flush (end-to-end runs).
        var committed: Int?

        func json(_ options: Options) -> String {
            func ms(_ percentile: Double) -> String {
                String(format: "%.3f", Double(histogram.value(atPercentile: percentile)) / 1000)
            }
            let mode = options.health ? "health" : options.batch > 0 ? "batch" : "track"
            let kind = options.health ? "http" : options.noFlush ? "buffer_only" : "end_to_end"
            let allowance = buffer.partitions * (options.noFlush ? 0 : FlushSettings().bufferSize)
            let bounded = buffer.end <= buffer.start + allowance
            let allCommitted = committed.map { $0 == events } ?? false
            let sustained = kind == "end_to_end" && failed == 0 && unsent == 0 && bounded && allCommitted
            let settingsJSON = settings.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\"\($0.value)\"" }.joined(separator: ",")
            func number(_ value: Double?) -> String { value.map { String(format: "%.1f", $0) } ?? "null" }
            var fields: [String] = []
            fields.append("\"mode\":\"\(mode)\",\"kind\":\"\(kind)\",\"batch\":\(options.health ? 0 : options.batch)")
            fields.append("\"connections\":\(options.connections),\"seconds\":\(String(format: "%.3f", seconds))")
            fields.append("\"requests\":\(histogram.total),\"requests_per_s\":\(Int(Double(histogram.total) / seconds))")
            fields.append("\"events\":\(events),\"events_per_s\":\(Int(Double(events) / seconds)),\"failed\":\(failed),\"unsent\":\(unsent)")
            fields.append("\"p50_ms\":\(ms(50)),\"p90_ms\":\(ms(90)),\"p99_ms\":\(ms(99))")
            fields.append("\"durability\":\"\(options.durability)\",\"rate\":\(number(options.rate))")
            fields.append("\"pacing_timer_us\":\(options.rate == nil ? "null" : String(options.timerResolutionMicros))")
            fields.append("\"settings\":{\(settingsJSON)}")
            fields.append("\"buffer_start\":\(buffer.start),\"buffer_at_stop\":\(buffer.atStop)")
            fields.append("\"buffer_end\":\(buffer.end),\"buffer_max\":\(buffer.max)")
            fields.append("\"buffer_partitions\":\(buffer.partitions),\"buffer_bounded\":\(bounded)")
            fields.append("\"committed\":\(committed.map(String.init) ?? "null"),\"all_committed\":\(allCommitted)")
            fields.append("\"sustained\":\(sustained)")
            fields.append("\"server_rss_mb\":\(number(memory?.rssMB)),\"server_rss_anon_mb\":\(number(memory?.anonymousMB))")
            fields.append("\"server_rss_file_mb\":\(number(memory?.fileMB))")
            func fraction(_ value: Double?) -> String { value.map { String(format: "%.3f", $0) } ?? "null" }
            let perRequest = cpu?.serverMicroseconds(perRequest: Int(histogram.total))
            fields.append("\"server_cpu_cores\":\(fraction(cpu?.serverCores)),\"server_cpu_us_per_request\":\(number(perRequest))")
            fields.append("\"generator_cpu_cores\":\(fraction(cpu?.generatorCores))")
            fields.append("\"machine_busy\":\(fraction(cpu?.machineBusy)),\"machine_steal\":\(fraction(cpu?.machineSteal))")
            return "{" + fields.joined(separator: ",") + "}"
        }
    }

    /// Rows in both tables of a stopped server's data directory (current snapshots' `total-records`).
    static func committedRows(directory: URL) async throws -> Int {
        var configuration = FloeConfiguration()
        configuration.dataDirectory = directory.path
        var logger = Logger(label: "floe.bench")
        logger.logLevel = .warning
        let (catalog, _) = try FloeServer(configuration: configuration, logger: logger).makeStorage()
        var rows = 0
        for definition in TableDefinition.all {
            do {
                let table = try await catalog.loadTable(TableIdentifier(namespace: [configuration.namespace], name: definition.name))
                rows += table.metadata.currentSnapshot.flatMap { $0.summary["total-records"] }.flatMap { Int($0) } ?? 0
            } catch let error as CatalogError where error.isMissingTable {
                continue
            }
        }
        return rows
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

    /// A TCP port on 127.0.0.1 that nothing listens on now (the kernel's pick for port 0): a random one could be
    /// taken, and the server would then stop at its start.
    private static func freePort() async throws -> Int {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        let port = channel.localAddress?.port
        try await channel.close()
        guard let port else { throw ConfigurationError(message: "no free port on 127.0.0.1") }
        return port
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
