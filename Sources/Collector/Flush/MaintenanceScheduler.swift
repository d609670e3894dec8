import Logging
import ServiceLifecycle

/// The background service that keeps the tables fast and their metadata bounded while `floe serve` runs.
///
/// Every `intervalMs` it asks the ``FlushCoordinator`` to compact the small files of closed
/// partitions, expire snapshots and remove orphan files (``MaintenanceSettings``), each part when on:
/// compaction beside the flush cycles, the expiry commit between them. A failed run is logged and tried
/// again at the next interval; maintenance never holds up ingest.
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
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            // Woken at once by a graceful shutdown, so a long interval never delays the exit.
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(settings.intervalMs)) }
            if Task.isShuttingDownGracefully || Task.isCancelled { break }
            await runOnce()
        }
    }

    /// One maintenance run: compaction, expiry, orphan removal, each logged; failures are logged.
    func runOnce() async {
        let started = ContinuousClock.now
        var metadata: Logger.Metadata = [:]
        if settings.compact {
            do {
                let compacted = try await coordinator.compact(settings).filter { $0.snapshotId != nil }
                if !compacted.isEmpty {
                    metadata["floe.compacted_files"] = "\(compacted.map { "\($0.table)=\($0.filesRemoved)->\($0.filesAdded)" }.joined(separator: ","))"
                }
            } catch {
                logger.warning("compaction failed; will retry", metadata: ["error.message": "\(error)"])
            }
        }
        if settings.expireSnapshots {
            do {
                let expired = try await coordinator.expireSnapshots(settings)
                if expired.values.contains(where: { $0 > 0 }) {
                    metadata["floe.expired"] = "\(expired.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","))"
                }
            } catch {
                logger.warning("snapshot expiry failed; will retry", metadata: ["error.message": "\(error)"])
            }
        }
        if settings.removeOrphans {
            do {
                let orphans = try await coordinator.removeOrphans(settings)
                if orphans.values.contains(where: { $0 > 0 }) {
                    metadata["floe.orphans_deleted"] = "\(orphans.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","))"
                }
            } catch {
                logger.warning("orphan removal failed; will retry", metadata: ["error.message": "\(error)"])
            }
        }
        await coordinator.maintenanceFinished()
        if !metadata.isEmpty {
            metadata["floe.duration_ms"] = "\(Int((ContinuousClock.now - started).inMilliseconds))"
            logger.info("maintained tables", metadata: metadata)
        }
    }
}
