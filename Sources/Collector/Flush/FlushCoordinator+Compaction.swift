import Foundation
import Iceberg
import FloeSupport

extension FlushCoordinator {
    /// Compacts the closed partitions of every existing table (``Compactor``); returns what it did per table.
    ///
    /// Reading and rewriting files runs beside the flush cycles; only the `replace` commit runs between
    /// them (under the flush lock), so it does not lose every race to the flushes' appends. A table that
    /// fails is logged here and the others still run; a cancelled task (a shutdown) stops at once.
    func compact(_ settings: MaintenanceSettings, nowMs: Int64 = WallClock.nowMillis()) async -> [Compactor.Result] {
        let compactor = Compactor(tables: writer, maintenance: TableMaintenance(catalog: catalog, fileIO: fileIO, logger: logger),
                                  fileIO: fileIO, settings: settings, options: self.settings.parquet, logger: logger)
        var results: [Compactor.Result] = []
        for definition in tables {
            do {
                guard try await writer.existingTable(definition) != nil else { continue }
                // Fresh: the table writer's copy may be a few commits old.
                let table = try await catalog.loadTable(writer.identifier(definition))
                let lock = self.lock
                let result = try await compactor.run(definition, table: table, nowMs: nowMs) { commit in
                    try await lock.withLock { try await commit() }
                }
                if result.snapshotId != nil {
                    metrics.compacted(table: definition.name, removed: result.filesRemoved, dataFiles: result.dataFiles)
                    if let files = result.dataFiles {
                        freshnessByTable[definition.name, default: TableFreshness(table: definition.name)].dataFiles = files
                    }
                }
                results.append(result)
            } catch {
                // Stopped by a shutdown: the remaining tables wait for the next start.
                if Task.isCancelled { break }
                logger.warning("compaction failed; will retry", metadata: ["floe.table": "\(definition.name)",
                                                                          "error.message": "\(error)"])
            }
        }
        return results
    }

    /// Deletes the files under each existing table's location that no snapshot references and that are
    /// older than `settings.orphanAgeMs` (left by a crash during a flush or a compaction); returns the
    /// number deleted per table.
    func removeOrphans(_ settings: MaintenanceSettings) async throws -> [String: Int] {
        var maintenance = TableMaintenance(catalog: catalog, fileIO: fileIO, logger: logger)
        // The margin too: its default (a day) would otherwise hold a shorter orphan age back.
        maintenance.orphanSafetyMargin = .milliseconds(settings.orphanAgeMs)
        let cutoff = Date().addingTimeInterval(-Double(settings.orphanAgeMs) / 1000)
        var deleted: [String: Int] = [:]
        for definition in tables {
            try Task.checkCancellation()
            guard try await writer.existingTable(definition) != nil else { continue }
            let result = try await maintenance.deleteOrphanFiles(table: writer.identifier(definition), olderThan: cutoff)
            deleted[definition.name] = result.deletedFiles.count
            metrics.orphansDeleted(table: definition.name, count: result.deletedFiles.count)
        }
        return deleted
    }
}
