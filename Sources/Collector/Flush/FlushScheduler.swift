import Buffer
import Logging
import ServiceLifecycle

/// The background service that flushes ready partitions, and everything at shutdown.
///
/// Looks at the buffer's in-memory counters every ``interval``; a partition is ready at
/// `buffer_size` events or when its oldest event is `buffer_timeout` old. While partitions are
/// ready it runs flush cycles back to back, so under a sustained load flushing never waits for
/// the next look. Beside the flush loop, a watcher publishes the buffer gauges and the due
/// backlog to ``FlushBacklog`` (which refuses new events early when it is too large) and writes
/// the pending ``RefusalLog`` line every ``interval``, also while a cycle waits on a slow or
/// unreachable catalog. On graceful shutdown (after the HTTP server has stopped) it runs a last
/// flush of everything, then returns.
struct FlushScheduler: Service {
    let coordinator: FlushCoordinator
    let buffer: EventBuffer
    let settings: FlushSettings
    let logger: Logger
    var backlog: FlushBacklog?
    var refusals: RefusalLog?
    var interval: Duration = .milliseconds(50)

    func run() async throws {
        let watcher = Task {
            while !Task.isCancelled {
                observe()
                try? await Task.sleep(for: interval)
            }
        }
        defer { watcher.cancel() }
        var failures = 0
        var retryAt = ContinuousClock.now
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let due = settings.dueEvents(in: buffer.stats(), nowMicros: FlushCoordinator.nowMicros())
            // Nothing due, or backing off after a failure (the watcher keeps the backlog current).
            if due == 0 || ContinuousClock.now < retryAt {
                try? await Task.sleep(for: interval)
                continue
            }
            do {
                _ = try await coordinator.flush(.ready(nowMicros: FlushCoordinator.nowMicros()))
                failures = 0
            } catch {
                failures += 1
                retryAt = ContinuousClock.now + .seconds(min(30, 1 << min(failures, 5)))
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

    /// Publishes the buffer's gauges and due backlog, and the pending refusal log line.
    private func observe() {
        let stats = buffer.stats()
        coordinator.metrics.observe(stats)
        backlog?.publish(dueEvents: settings.dueEvents(in: stats, nowMicros: FlushCoordinator.nowMicros()))
        refusals?.flushLog()
    }
}
