#if canImport(CMalloc)
import CMalloc
#endif
import Logging
import ServiceLifecycle

/// The background service that keeps the tables fast and their metadata bounded while `floe serve` runs.
///
/// Every `intervalMs` it asks the ``FlushCoordinator`` to compact the small files of closed
/// partitions, expire snapshots and remove orphan files (``MaintenanceSettings``), each part when on:
/// compaction beside the flush cycles, the expiry commit between them. A failed run is logged and tried
/// again at the next interval; maintenance never holds up ingest, nor the shutdown (a run in progress is
/// cancelled and stops at its next step; what it did not commit is left for orphan removal).
///
/// A run reads every manifest of the tables and the manifest lists of every snapshot it expires, seconds
/// of CPU on a table committed to several times a second. It runs on the lowest-priority thread
/// (``EncodingPool/maintenance``, its preferred task executor), so that it takes only the CPU that
/// requests and flushes leave: at the requests' priority its runs were the cause of every latency spike
/// of a 10-minute run at 100,000 events/s (Benchmarks/README.md, session 11). Its commits, which hold
/// the flush lock, go back to the normal priority (``AsyncSerialLock``).
struct MaintenanceScheduler: Service {
    let coordinator: FlushCoordinator
    let settings: MaintenanceSettings
    let logger: Logger

    func run() async throws {
        guard settings.isEnabled else {
            // Off: a service that returns early stops the group, so wait for shutdown instead.
            try? await gracefulShutdown()
            return
        }
        // The first orphan removal comes one interval after the start: it is the costly part, and a restart
        // (a deploy, a crash) should not bring it forward.
        var lastOrphanRemoval = ContinuousClock.now
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            // Woken at once by a graceful shutdown, so a long interval never delays the exit.
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(settings.intervalMs)) }
            if Task.isShuttingDownGracefully || Task.isCancelled { break }
            let orphansDue = ContinuousClock.now - lastOrphanRemoval >= .milliseconds(settings.orphanIntervalMs)
            // A shutdown cancels a run in progress, which stops at its next step: the final flush after it must
            // not wait behind a compaction or a stalled catalog call.
            await cancelWhenGracefulShutdown { await runOnce(removeOrphans: settings.removeOrphans && orphansDue) }
            if settings.removeOrphans && orphansDue { lastOrphanRemoval = .now }
        }
    }

    /// One maintenance run: compaction, expiry and (when due) orphan removal, each timed in the log line;
    /// failures are logged.
    func runOnce(removeOrphans: Bool) async {
        let started = ContinuousClock.now
        var metadata: Logger.Metadata = [:]
        /// Runs one part, logging a failure; records its duration and, when it did something, its counts.
        func part(_ name: String, _ failure: String, _ body: () async throws -> [String: Int]) async {
            guard !Task.isCancelled else { return }
            let partStarted = ContinuousClock.now
            do {
                let counts = try await body()
                if counts.values.contains(where: { $0 > 0 }) {
                    metadata["floe.\(name)"] = "\(counts.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","))"
                }
            } catch where Task.isCancelled {
                logger.info("\(failure) stopped for shutdown")
            } catch {
                logger.warning("\(failure) failed; will retry", metadata: ["error.message": "\(error)"])
            }
            metadata["floe.\(name)_ms"] = "\(Int((ContinuousClock.now - partStarted).inMilliseconds))"
        }
        await withTaskExecutorPreference(EncodingPool.maintenance) {
            if settings.compact {
                await part("compacted_files", "compaction") {
                    Dictionary(await coordinator.compact(settings).map { ($0.table, $0.filesRemoved) }, uniquingKeysWith: +)
                }
            }
            if settings.expireSnapshots {
                await part("expired", "snapshot expiry") { try await coordinator.expireSnapshots(settings) }
            }
            if removeOrphans {
                await part("orphans_deleted", "orphan removal") { try await coordinator.removeOrphans(settings) }
            }
        }
        guard !Task.isCancelled else { return }
        await coordinator.maintenanceFinished()
        #if canImport(CMalloc)
        // A run decodes and encodes whole partitions and manifests; give the freed heap back to the system
        // so that the process's resident size reflects what it holds, not its largest run. (At the normal
        // priority: trimming holds the allocator's locks, which request threads wait for.)
        _ = malloc_trim(0)
        #endif
        if metadata.keys.contains(where: { !$0.hasSuffix("_ms") }) {
            metadata["floe.duration_ms"] = "\(Int((ContinuousClock.now - started).inMilliseconds))"
            logger.info("maintained tables", metadata: metadata)
        }
    }
}
