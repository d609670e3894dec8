import Buffer
import Logging
import ServiceLifecycle

/// The background service that flushes ready partitions, and everything at shutdown.
///
/// Checks the buffer's in-memory counters a few times a second; a partition is ready at
/// `buffer_size` events or when its oldest event is `buffer_timeout` old. On graceful shutdown
/// (after the HTTP server has stopped) it runs a last flush of everything, then returns.
struct FlushScheduler: Service {
    let coordinator: FlushCoordinator
    let buffer: EventBuffer
    let logger: Logger
    var interval: Duration = .milliseconds(200)

    func run() async throws {
        var failures = 0
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await Task.sleep(for: failures == 0 ? interval : .seconds(min(30, 1 << min(failures, 5))))
            if Task.isShuttingDownGracefully || Task.isCancelled { break }
            coordinator.metrics.observe(buffer.stats())
            do {
                _ = try await coordinator.flush(.ready(nowMicros: FlushCoordinator.nowMicros()))
                failures = 0
            } catch {
                failures += 1
                logger.warning("scheduled flush failed; will retry", metadata: ["error.message": "\(error)"])
            }
        }
        logger.info("final flush before shutdown")
        do {
            _ = try await coordinator.flush(.all)
        } catch {
            logger.error("final flush failed; events stay in the buffer", metadata: ["error.message": "\(error)"])
        }
    }
}
