import Buffer
import Logging
import ServiceLifecycle
import FloeSupport

/// The background service that flushes ready partitions, and everything at shutdown.
///
/// Looks at the buffer's in-memory counters every ``interval``; a partition is ready at
/// `buffer_size` events or when its oldest event is `buffer_timeout` old. While partitions are
/// ready it runs a flush cycle every `commit_interval_ms`, and cycles back to back once more is
/// due than a cycle takes (``FlushSettings/waitBeforeCycle(due:sinceLastCycle:)``): one commit per
/// table a second under a steady load, and flushing as fast as it can when it is behind. Beside the
/// flush loop, a watcher publishes the buffer gauges and the due backlog to ``FlushBacklog``
/// (which refuses new events early when it is too large) and writes the pending ``RefusalLog``
/// line every ``interval``, also while a cycle waits on a slow or unreachable catalog. It starts by
/// recovering the flushes an earlier process left pending (the instance is not ready until then).
/// On graceful shutdown (after the HTTP server has stopped) it runs a last flush of everything, cut
/// off at the shutdown deadline: what is not committed by then stays in the buffer (its intent
/// recorded) for the next start.
struct FlushScheduler: Service {
    let coordinator: FlushCoordinator
    let buffer: EventBuffer
    let settings: FlushSettings
    let logger: Logger
    var backlog: FlushBacklog?
    var refusals: RefusalLog?
    var readiness: Readiness?
    var interval: Duration = .milliseconds(50)

    func run() async throws {
        let watcher = Task {
            while !Task.isCancelled {
                observe()
                try? await Task.sleep(for: interval)
            }
        }
        defer { watcher.cancel() }
        await recover()
        loadTables()
        var failures = 0
        var retryAt = ContinuousClock.now
        var lastCycle: ContinuousClock.Instant?
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let due = settings.dueEvents(in: buffer.stats(), nowMicros: WallClock.nowMicros())
            // Nothing due, or backing off after a failure (the watcher keeps the backlog current).
            if due == 0 || ContinuousClock.now < retryAt {
                try? await Task.sleep(for: interval)
                continue
            }
            // Under load, at most one cycle per `commitIntervalMs` (looked at again every `interval`).
            if let wait = settings.waitBeforeCycle(due: due, sinceLastCycle: lastCycle.map { ContinuousClock.now - $0 }) {
                try? await Task.sleep(for: min(wait, interval))
                continue
            }
            lastCycle = ContinuousClock.now
            do {
                _ = try await coordinator.flush(.ready(nowMicros: WallClock.nowMicros()))
                failures = 0
            } catch {
                failures += 1
                retryAt = ContinuousClock.now + .seconds(min(30, 1 << min(failures, 5)))
                logger.warning("scheduled flush failed; will retry", metadata: ["error.message": "\(error)"])
            }
        }
        await finalFlush()
    }

    /// Loads the existing tables in the background, evolving the schema of one an earlier version
    /// created. Nothing waits for it: with the catalog unreachable it fails late, and the first flush
    /// loads (and evolves) each table anyway; two evolutions at once are settled by the catalog.
    private func loadTables() {
        let coordinator = self.coordinator
        let logger = self.logger
        Task {
            do {
                try await coordinator.loadExistingTables()
            } catch {
                logger.warning("loading the tables at start failed; the first flush will", metadata: ["error.message": "\(error)"])
            }
        }
    }

    /// Resolves the flushes an earlier process left pending, then marks the instance ready (also when
    /// the catalog is unreachable: the flush cycles retry, and readiness reports the catalog).
    private func recover() async {
        defer { readiness?.recovered() }
        do {
            let report = try await coordinator.flush(.pendingOnly)
            if !report.tables.isEmpty {
                logger.info("recovered pending flushes", metadata: ["floe.rows": "\(report.rows)"])
            }
        } catch {
            logger.warning("recovery of pending flushes failed; will retry", metadata: ["error.message": "\(error)"])
        }
    }

    /// Flushes everything, but returns by the shutdown deadline (half a second before it) whatever happens.
    private func finalFlush() async {
        let remaining = readiness?.deadline.map { $0 - .milliseconds(500) - ContinuousClock.now }
        logger.info("final flush before shutdown", metadata: [
            "floe.time_left_ms": "\(remaining.map { Int($0.inMilliseconds) }.map(String.init) ?? "unbounded")",
        ])
        let coordinator = self.coordinator
        let logger = self.logger
        let flush: @Sendable () async -> Bool = {
            do {
                _ = try await coordinator.flush(.all)
                return true
            } catch is CancellationError {
                // The whole service group was cancelled (the server failed to start, or a second signal).
                logger.notice("final flush cancelled; what it did not commit stays in the buffer for the next start")
                return false
            } catch {
                logger.error("final flush failed; events stay in the buffer", metadata: ["error.message": "\(error)"])
                return false
            }
        }
        guard let remaining else {
            _ = await flush()
            return
        }
        // A flush stuck in a catalog call must not hold shutdown past the deadline.
        let finished = await waitAtMost(remaining, flush) != nil
        if !finished {
            logger.warning("final flush cut off at the shutdown timeout; what it did not commit stays in the buffer for the next start",
                           metadata: ["floe.buffered_events": "\(buffer.stats().values.reduce(0) { $0 + $1.count })"])
        }
    }

    /// Publishes the buffer's gauges and due backlog, and the pending refusal log line.
    private func observe() {
        let stats = buffer.stats()
        coordinator.metrics.observe(stats, nowMicros: WallClock.nowMicros())
        backlog?.publish(dueEvents: settings.dueEvents(in: stats, nowMicros: WallClock.nowMicros()))
        refusals?.flushLog()
    }
}

