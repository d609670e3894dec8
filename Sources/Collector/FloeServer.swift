import Buffer
import Foundation
import Hummingbird
import Iceberg
import Logging
import Metrics
import NIOCore
import NIOPosix
import Prometheus
import ServiceLifecycle

/// Assembles and runs Floe: buffer, catalog, flush scheduler and HTTP server as one service group.
///
/// Services start in the order buffer-owning scheduler, maintenance, HTTP, drain; on SIGTERM/SIGINT
/// `/health/ready` turns 503 for the drain delay while requests are still served, then the HTTP
/// server stops (in-flight requests finish, for at most half the time left: ``HTTPStopBound``), then the scheduler flushes what it can before the
/// shutdown timeout (docs/scaling.md).
///
/// ```swift
/// var configuration = FloeConfiguration()
/// try configuration.apply(environment: ProcessInfo.processInfo.environment)
/// try await FloeServer(configuration: configuration, logger: logger).run()
/// ```
public struct FloeServer: Sendable {
    public let configuration: FloeConfiguration
    public let logger: Logger

    public init(configuration: FloeConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// The parts shared by `serve` and offline commands.
    package struct Components: Sendable {
        /// Held as long as the components are: no other process flushes this buffer meanwhile.
        package var lock: DataDirectoryLock
        package var buffer: EventBuffer
        package var coordinator: FlushCoordinator
        var settings: FlushSettings
        var backlog: FlushBacklog
    }

    package func makeComponents() throws -> Components {
        try configuration.validate()
        try createDataDirectory()
        let lock = try DataDirectoryLock(.buffer, in: configuration.dataDirectoryURL)
        let buffer = try EventBuffer(configuration: configuration.bufferConfiguration, logger: logger)
        let (catalog, fileIO) = try makeStorage()
        let settings = try configuration.flushSettings()
        let backlog = FlushBacklog(limit: configuration.maxBacklogEvents)
        let coordinator = FlushCoordinator(buffer: buffer, catalog: catalog, fileIO: fileIO,
                                           namespace: configuration.namespace.split(separator: ".").map(String.init),
                                           tables: TableDefinition.all, settings: settings, logger: logger,
                                           backlog: backlog)
        return Components(lock: lock, buffer: buffer, coordinator: coordinator, settings: settings, backlog: backlog)
    }

    /// The catalog and the FileIO the configuration names (REST or embedded SQL; local or S3);
    /// `earlyLocalWriteback` for a backfill (see ``LocalFileIO``).
    package func makeStorage(earlyLocalWriteback: Bool = false) throws -> (catalog: any Catalog, fileIO: StorageRouter) {
        let fileIO = try makeFileIO(earlyLocalWriteback: earlyLocalWriteback)
        if let rest = try configuration.restCatalogConfiguration() {
            return (RESTCatalog(configuration: rest, logger: logger), fileIO)
        }
        let catalog = try SQLCatalog(databasePath: configuration.catalogPath, catalogName: "floe",
                                     warehouseLocation: try configuration.warehouseLocation(), fileIO: fileIO,
                                     logger: logger)
        return (catalog, fileIO)
    }

    /// The storage alone, for work that opens no catalog (a backfill's dry run); creates the data directory.
    package func makeFileIO(earlyLocalWriteback: Bool = false) throws -> StorageRouter {
        try configuration.validate()
        try createDataDirectory()
        return StorageRouter(s3: configuration.s3Configuration(), earlyLocalWriteback: earlyLocalWriteback, logger: logger)
    }

    /// Creates the data directory if needed; an error names it (and the setting) instead of Foundation's codes.
    private func createDataDirectory() throws {
        let path = configuration.dataDirectoryURL.path
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw ConfigurationError(message: "data_dir \(path) is a file, not a directory (check --data-dir)")
        }
        do {
            try FileManager.default.createDirectory(at: configuration.dataDirectoryURL, withIntermediateDirectories: true)
        } catch {
            let underlying = (error as? CocoaError)?.underlying
            let reason = (underlying as? POSIXError).map { String(cString: strerror($0.code.rawValue)) }
                ?? underlying.map { "\($0)" } ?? error.localizedDescription
            throw ConfigurationError(message: "data_dir \(path) cannot be created (check --data-dir): \(reason)")
        }
    }

    /// Runs until SIGTERM/SIGINT, then flushes and returns.
    ///
    /// Bootstraps the process-wide metrics system with a Prometheus registry (served at `/metrics`).
    public func run() async throws {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(FloeMetricsFactory(registry: registry))
        let components = try makeComponents()
        defer { withExtendedLifetime(components.lock) {} }
        try await components.coordinator.checkPendingTargets()
        // Not ready until the scheduler has recovered what a previous process left half-done.
        let readiness = Readiness(shutdownTimeout: .milliseconds(configuration.shutdownTimeoutMs))
        Gauge(label: "floe_instance_info", dimensions: [("instance", configuration.resolvedInstanceId)]).record(1)
        let refusals = RefusalLog(logger: logger)
        let router = try makeRouter(components: components, registry: registry, readiness: readiness, refusals: refusals)
        let eventLoops = MultiThreadedEventLoopGroup(numberOfThreads: configuration.eventLoopThreads)
        let app = Application(
            router: router,
            server: .http1(configuration: .init(additionalChannelHandlers: [HTTPProtocolHandler()],
                                                idleTimeout: .milliseconds(Int64(configuration.idleTimeoutMs)))),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "floe"),
            onServerRunning: { [logger, configuration] channel in
                // Once bound: a port in use stops the start before this (see below).
                logger.info("floe listening", metadata: [
                    "floe.address": "\(configuration.host):\(channel.localAddress?.port ?? configuration.port)",
                    "floe.data_dir": "\(configuration.dataDirectoryURL.path)",
                ])
            },
            eventLoopGroupProvider: .shared(eventLoops),
            logger: logger)
        let scheduler = FlushScheduler(coordinator: components.coordinator, buffer: components.buffer,
                                       settings: components.settings, logger: logger, backlog: components.backlog,
                                       refusals: refusals, readiness: readiness)
        let maintenance = MaintenanceScheduler(coordinator: components.coordinator,
                                               settings: configuration.maintenance, logger: logger)
        let drain = DrainService(readiness: readiness, delay: .milliseconds(configuration.drainDelayMs), logger: logger)
        // Shut down in reverse: drain (not ready, still serving), HTTP (in-flight requests finish, within a bound),
        // maintenance, then the scheduler's final flush, bounded by the shutdown timeout.
        var groupConfiguration = ServiceGroupConfiguration(
            services: [.init(service: scheduler), .init(service: maintenance),
                       .init(service: HTTPStopBound(server: app, readiness: readiness, logger: logger)), .init(service: drain)],
            // SIGHUP too (a closed terminal, a supervisor's hangup): its default would end the process at once, with
            // no drain and no final flush.
            gracefulShutdownSignals: [.sigterm, .sigint, .sighup],
            logger: logger)
        // The final flush stops itself half a second before the shutdown timeout; whatever still runs a second
        // after it (a flush cycle stuck in catalog retries, say) is cancelled, so the exit keeps its bound.
        groupConfiguration.maximumGracefulShutdownDuration = .milliseconds(configuration.shutdownTimeoutMs) + .seconds(1)
        let group = ServiceGroup(configuration: groupConfiguration)
        do {
            try await group.run()
        } catch let error as IOError where error.errnoCode == EADDRINUSE {
            throw ConfigurationError(message: "cannot listen on \(configuration.host):\(configuration.port): the address is "
                                     + "already in use (another floe serve, or another program, listens there)")
        }
        do {
            try await components.buffer.checkpoint()
        } catch {
            logger.warning("WAL checkpoint at shutdown failed", metadata: ["error.message": "\(error)"])
        }
    }

    /// The HTTP routes and middleware of `floe serve` over the given components (also what the
    /// in-process tests drive through HummingbirdTesting).
    func makeRouter(components: Components, registry: PrometheusCollectorRegistry, readiness: Readiness,
                    refusals: RefusalLog) throws -> Router<FloeRequestContext> {
        // HEAD answers as GET without the body (load balancers' health checks often use it).
        let router = Router(context: FloeRequestContext.self, options: .autoGenerateHeadEndpoints)
        router.add(middleware: FloeCORSMiddleware(allowedOrigins: configuration.allowedOrigins))
        router.add(middleware: HTTPMetricsMiddleware())
        let routeMethods = RouteMethods()
        router.add(middleware: ErrorEnvelopeMiddleware(refusals: refusals, routeMethods: routeMethods))
        let limits = RequestLimits(maxBatchBytes: configuration.maxBatchBytes, maxEventBytes: configuration.maxEventBytes)
        let rateLimiter = configuration.rateLimitPerSecond > 0
            ? RateLimiter(ratePerSecond: configuration.rateLimitPerSecond,
                          burst: configuration.rateLimitBurst ?? configuration.rateLimitPerSecond * 2)
            : nil
        IngestRoutes(ingestor: Ingestor(buffer: components.buffer, metrics: IngestMetrics(),
                                        maxEventBytes: configuration.maxEventBytes, backlog: components.backlog,
                                        strict: configuration.strictBatches),
                     limits: limits,
                     authenticator: configuration.authenticator, rateLimiter: rateLimiter,
                     proxyHops: configuration.trustProxy.count,
                     timestampPolicy: try configuration.timestampPolicy(),
                     privacy: try configuration.privacyRules()).register(on: router)
        DebugRoutes(buffer: components.buffer, coordinator: components.coordinator, settings: components.settings,
                    maxPartitionEvents: configuration.maxPartitionEvents, backlog: components.backlog,
                    authenticator: configuration.authenticator,
                    metricsRegistry: registry, readiness: readiness).register(on: router)
        routeMethods.record(router)
        return router
    }

    /// Flushes everything buffered (for `floe flush` on a stopped server's data directory).
    public func flushOffline() async throws -> Int {
        // A mistyped --data-dir would otherwise get a new, empty buffer and "0 rows" (its flush succeeds).
        guard FileManager.default.fileExists(atPath: configuration.bufferPath) else {
            throw ConfigurationError(message: "no buffer at \(configuration.bufferPath): no floe serve has used this data "
                                     + "directory (check --data-dir)")
        }
        let components = try makeComponents()
        defer { withExtendedLifetime(components.lock) {} }
        try await components.coordinator.checkPendingTargets()
        return try await components.coordinator.flush(.all).rows
    }
}
