import Logging
import ServiceLifecycle

/// The background service that keeps the tables' metadata bounded while `floe serve` runs.
///
/// Every `intervalMs` it asks the ``FlushCoordinator`` to expire snapshots (``MaintenanceSettings``):
/// the commit between flush cycles, the file clean-up beside them. A failed run is logged and tried again at the next interval;
/// maintenance never holds up ingest.
struct MaintenanceScheduler: Service {
    let coordinator: FlushCoordinator
    let settings: MaintenanceSettings
    let logger: Logger

    func run() async throws {
        guard settings.expireSnapshots, settings.intervalMs > 0 else {
            // Off: a service that returns early stops the group, so wait for shutdown instead.
            try? await gracefulShutdown()
            return
        }
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            // Woken at once by a graceful shutdown, so a long interval never delays the exit.
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(settings.intervalMs)) }
            if Task.isShuttingDownGracefully || Task.isCancelled { break }
            do {
                let started = ContinuousClock.now
                let expired = try await coordinator.expireSnapshots(settings)
                if expired.values.contains(where: { $0 > 0 }) {
                    logger.info("expired snapshots", metadata: [
                        "floe.expired": "\(expired.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","))",
                        "floe.duration_ms": "\(Int((ContinuousClock.now - started).inMilliseconds))",
                    ])
                }
            } catch {
                logger.warning("maintenance failed; will retry", metadata: ["error.message": "\(error)"])
            }
        }
    }
}
