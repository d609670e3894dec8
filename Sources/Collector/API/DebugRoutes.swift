import Buffer
import Foundation
import Hummingbird
import Iceberg
import Prometheus
import FloeSupport

/// `/health`, `/debug/status[/{type}]` and `/debug/flush[/{type}]` for operators.
struct DebugRoutes: Sendable {
    let buffer: EventBuffer
    let coordinator: FlushCoordinator
    let settings: FlushSettings
    let maxPartitionEvents: Int
    var backlog: FlushBacklog?
    let authenticator: Authenticator
    let metricsRegistry: PrometheusCollectorRegistry?
    /// Not ready while recovering or draining (nil: always past those phases, as in tests).
    var readiness: Readiness?

    func register(on router: Router<FloeRequestContext>) {
        router.get("/health") { _, _ in JSONResponse.ok("{\"status\":\"ok\"}") }
        // `?for=ingest` (what a load balancer should probe) leaves out recovery and the catalog and storage checks:
        // when the catalog is down for every instance, they still take events into their buffers.
        router.get("/health/ready") { request, _ -> Response in
            let forIngest = request.uri.queryParameters.get("for") == "ingest"
            // Recovery waits on the catalog, while ingest is served from the start: an instance restarted during a
            // catalog outage must not stay out of its load balancer (docs/scaling.md).
            if let phase = readiness?.phase, phase == .draining || (phase == .recovering && !forIngest) {
                // Recovery that takes long is waiting on the catalog or storage: say which, as last checked.
                let reasons = phase == .draining ? ["shutting down"]
                    : ["recovering pending flushes"] + (await coordinator.knownReadinessProblems())
                throw APIError(status: .serviceUnavailable, message: "not ready: \(phase.rawValue)", errors: reasons,
                               retryAfterSeconds: phase == .draining ? 30 : 1, isProbeAnswer: true)
            }
            var problems: [String] = []
            do {
                try await buffer.checkWritable()
            } catch {
                problems.append("buffer: \(error)")
            }
            if !forIngest {
                problems += await coordinator.readinessProblems()
            }
            guard problems.isEmpty else {
                throw APIError(status: .serviceUnavailable, message: "not ready", errors: problems, retryAfterSeconds: 5,
                               isProbeAnswer: true)
            }
            return JSONResponse.ok("{\"status\":\"ready\"}")
        }
        router.get("/metrics") { request, _ -> Response in
            try authenticator.authorizeAdmin(request)
            var bytes: [UInt8] = []
            metricsRegistry?.emit(into: &bytes)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
        let debug = router.group("/debug").add(middleware: AdminGate(authenticator: authenticator))
        debug.get("/status") { _, _ -> Response in
            let now = WallClock.nowMicros()
            let tables = await coordinator.freshness(now: now)
            let maintained = await coordinator.lastMaintenanceMicros
            let partitions = buffer.stats().sorted { $0.key < $1.key }.map { partitionStatus($0.key, $0.value, now: now) }
            let status = OverallStatus(bufferedCount: partitions.reduce(0) { $0 + $1.bufferedCount },
                                       maxBufferSize: maxPartitionEvents, bufferThreshold: settings.bufferSize,
                                       bufferTimeoutMs: settings.bufferTimeoutMs,
                                       dueEvents: backlog?.dueEvents ?? 0, maxBacklogEvents: backlog?.limit ?? 0,
                                       drainEventsPerSecond: Int(backlog?.drainPerSecond ?? 0), partitions: partitions,
                                       tables: tables, lastMaintenanceAt: maintained.map(Timestamp.rfc3339))
            return try JSONResponse.encode(status)
        }
        debug.get("/status/:type") { request, context -> Response in
            let type = Self.eventType(context)
            let definition = try Self.table(of: type, named: request.uri.queryParameters.get("table"))
            let now = WallClock.nowMicros()
            let partitions = buffer.stats()
                .filter { $0.key.table == definition.name && PartitionKey($0.key.key)?.type == type }
                .sorted { $0.key < $1.key }
                .map { partitionStatus($0.key, $0.value, now: now) }
            // A GET changes nothing: a table not created yet has no location.
            let location = try? await coordinator.existingLocation(of: definition)
            let currentKey = PartitionKey(type: type, hours: Timestamp.hours(now)).description
            let status = TypeStatus(
                partitionKey: partitions.last?.partitionKey ?? currentKey, table: definition.name, type: type,
                bufferedCount: partitions.reduce(0) { $0 + $1.bufferedCount }, maxBufferSize: maxPartitionEvents,
                bufferThreshold: settings.bufferSize, bufferTimeoutMs: settings.bufferTimeoutMs,
                tableLocation: location ?? "", oldestEventAgeMs: partitions.map(\.oldestEventAgeMs).max() ?? 0,
                partitions: partitions)
            return try JSONResponse.encode(status)
        }
        debug.get("/list-r2") { request, _ -> Response in
            let query = request.uri.queryParameters
            let tableName = query.get("table") ?? TableDefinition.events.name
            guard let definition = TableDefinition.named(tableName) else {
                throw APIError.badRequest("unknown table '\(tableName)'; use \(TableDefinition.all.map(\.name).joined(separator: ", "))")
            }
            let limitText = query.get("limit")
            guard let limit = limitText.map({ Int($0) }) ?? 1000, (1...10_000).contains(limit) else {
                throw APIError.badRequest("limit must be a whole number from 1 to 10000, got '\(limitText ?? "")'")
            }
            let after = query.get("start_after")
            let prefix = query.get("prefix") ?? ""
            // The listing stays under the table's location: no `..` segment, written or escaped, and no zero byte.
            guard !prefix.utf8.contains(0) else { throw APIError.badRequest("prefix must not contain a zero byte") }
            for form in [prefix, prefix.removingPercentEncoding ?? prefix]
            where form.split(separator: "/", omittingEmptySubsequences: false).contains("..") {
                throw APIError.badRequest("prefix must stay under the table's location: no '..' segments")
            }
            let listing: (location: String, files: [StoredFile])
            do {
                listing = try await coordinator.listObjects(of: definition, prefix: prefix)
            } catch {
                throw APIError(status: .serviceUnavailable, message: "listing failed: \(error)", retryAfterSeconds: 5)
            }
            let remaining = listing.files.filter { after == nil || $0.location > (after ?? "") }
            let page = remaining.prefix(limit)
            let objects = page.map { file in
                ListedObject(key: file.location.hasPrefix(listing.location + "/")
                                 ? String(file.location.dropFirst(listing.location.count + 1)) : file.location,
                             location: file.location, size: file.size,
                             lastModified: file.lastModified.map(WallClock.millis))
            }
            return try JSONResponse.encode(ObjectListing(
                tableLocation: listing.location, prefix: prefix, objects: Array(objects),
                truncated: remaining.count > page.count, nextStartAfter: remaining.count > page.count ? page.last?.location : nil))
        }
        debug.post("/flush") { _, _ in try await flush(.all) }
        debug.post("/flush/:type") { _, context in
            try await flush(.type(Self.eventType(context)))
        }
    }

    /// The `:type` of a route, percent-decoded: CloudEvents types may hold spaces, `/` or any Unicode.
    private static func eventType(_ context: FloeRequestContext) -> String {
        let raw = context.parameters.get("type") ?? ""
        return raw.removingPercentEncoding ?? raw
    }

    /// The table whose partitions of `type` `/debug/status/{type}` reports: `?table=` when given (a CloudEvents type
    /// may be called `track`), else `events` for a Segment type or the name `events`, else `cloudevents`.
    private static func table(of type: String, named name: String?) throws -> TableDefinition {
        let typed = [TableDefinition.events, .cloudEvents]
        if let name {
            guard let definition = typed.first(where: { $0.name == name }) else {
                throw APIError.badRequest("unknown table '\(name)'; use \(typed.map(\.name).joined(separator: " or "))")
            }
            return definition
        }
        return SegmentNormalizer.MessageType(rawValue: type) != nil || type == TableDefinition.events.name
            ? .events : .cloudEvents
    }

    private func flush(_ scope: FlushScope) async throws -> Response {
        do {
            // What is buffered now: events that arrive meanwhile are left to the schedule.
            let report = try await coordinator.flush(scope, receivedBy: WallClock.nowMicros())
            return try JSONResponse.encode(FlushResponse(success: true, rows: report.rows, tables: report.tables))
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError(status: .serviceUnavailable, message: "flush failed: \(error)", retryAfterSeconds: 5)
        }
    }

    private func partitionStatus(_ id: PartitionID, _ stats: PartitionStats, now: Int64) -> PartitionStatus {
        PartitionStatus(table: id.table, partitionKey: id.key, bufferedCount: stats.count, bufferedBytes: stats.bytes,
                        oldestEventAgeMs: max(0, (now - stats.oldestReceivedAt) / 1000))
    }
}

/// Requires the admin credential for every route of a group.
private struct AdminGate<Context: RequestContext>: RouterMiddleware {
    let authenticator: Authenticator

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        try authenticator.authorizeAdmin(request)
        return try await next(request, context)
    }
}

private struct PartitionStatus: Encodable {
    var table: String
    var partitionKey: String
    var bufferedCount: Int
    var bufferedBytes: Int
    var oldestEventAgeMs: Int64

    enum CodingKeys: String, CodingKey {
        case table, partitionKey = "partition_key", bufferedCount = "buffered_count"
        case bufferedBytes = "buffered_bytes", oldestEventAgeMs = "oldest_event_age_ms"
    }
}

private struct OverallStatus: Encodable {
    var bufferedCount: Int
    var maxBufferSize: Int
    var bufferThreshold: Int
    var bufferTimeoutMs: Int
    /// Events due for a flush and not yet committed; above `maxBacklogEvents` requests get 503.
    var dueEvents: Int
    var maxBacklogEvents: Int
    /// Smoothed rate at which commits drain the buffer (0 before the first commit).
    var drainEventsPerSecond: Int
    var partitions: [PartitionStatus]
    /// Per table: last commit, snapshots, data files, oldest buffered event.
    var tables: [TableFreshness]
    /// When snapshot expiry last ran in this process (RFC 3339; nil before the first run).
    var lastMaintenanceAt: String?

    enum CodingKeys: String, CodingKey {
        case bufferedCount = "buffered_count", maxBufferSize = "max_buffer_size", bufferThreshold = "buffer_threshold"
        case bufferTimeoutMs = "buffer_timeout_ms", dueEvents = "due_events", maxBacklogEvents = "max_backlog_events"
        case drainEventsPerSecond = "drain_events_per_s", partitions, tables, lastMaintenanceAt = "last_maintenance_at"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(bufferedCount, forKey: .bufferedCount)
        try container.encode(maxBufferSize, forKey: .maxBufferSize)
        try container.encode(bufferThreshold, forKey: .bufferThreshold)
        try container.encode(bufferTimeoutMs, forKey: .bufferTimeoutMs)
        try container.encode(dueEvents, forKey: .dueEvents)
        try container.encode(maxBacklogEvents, forKey: .maxBacklogEvents)
        try container.encode(drainEventsPerSecond, forKey: .drainEventsPerSecond)
        try container.encode(partitions, forKey: .partitions)
        try container.encode(tables, forKey: .tables)
        try container.encode(lastMaintenanceAt, forKey: .lastMaintenanceAt)
    }
}

private struct TypeStatus: Encodable {
    var partitionKey: String
    var table: String
    var type: String
    var bufferedCount: Int
    var maxBufferSize: Int
    var bufferThreshold: Int
    var bufferTimeoutMs: Int
    var tableLocation: String
    var oldestEventAgeMs: Int64
    var partitions: [PartitionStatus]

    enum CodingKeys: String, CodingKey {
        case partitionKey = "partition_key", table, type, bufferedCount = "buffered_count"
        case maxBufferSize = "max_buffer_size", bufferThreshold = "buffer_threshold"
        case bufferTimeoutMs = "buffer_timeout_ms", tableLocation = "table_location"
        case oldestEventAgeMs = "oldest_event_age_ms", partitions
    }
}

private struct ListedObject: Encodable {
    var key: String
    var location: String
    var size: Int64?
    var lastModified: Int64?

    enum CodingKeys: String, CodingKey {
        case key, location, size, lastModified = "last_modified_ms"
    }
}

private struct ObjectListing: Encodable {
    var tableLocation: String
    var prefix: String
    var objects: [ListedObject]
    var truncated: Bool
    var nextStartAfter: String?

    enum CodingKeys: String, CodingKey {
        case tableLocation = "table_location", prefix, objects, truncated, nextStartAfter = "next_start_after"
    }
}

private struct FlushResponse: Encodable {
    var success: Bool
    var rows: Int
    var tables: [FlushReport.TableReport]
}
