import Logging
import ServiceLifecycle

/// The first service to shut down: on SIGTERM it makes `/health/ready` answer 503 and waits
/// ``delay`` while requests are still served, so that a load balancer stops sending before the
/// HTTP server stops accepting.
struct DrainService: Service {
    let readiness: Readiness
    let delay: Duration
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        readiness.drain()
        logger.info("draining: not ready, still serving", metadata: ["floe.drain_ms": "\(delay.inMilliseconds)"])
        try? await Task.sleep(for: delay)
    }
}
