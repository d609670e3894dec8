import FloeSupport
import Foundation
import Iceberg
import Logging

/// `floe maintain`: expires old snapshots and deletes orphan files of Floe's tables, and on request
/// first deletes events stored twice (`--remove-duplicates`, ``DuplicateRemover``) and compacts the
/// small files of closed partitions (`--compact`, ``Compactor``, the code `floe serve` runs).
///
/// Safe to run while `floe serve` and `floe backfill` run: expiry and position deletes are ordinary
/// catalog commits (retried on conflict), and only files older than the orphan margin that no
/// metadata references are deleted, so a flush's freshly uploaded, not yet committed files are kept.
public enum Maintenance {
    /// What maintenance did to one table.
    public struct TableResult: Sendable, Codable {
        public var table: String
        public var expiredSnapshots = 0
        public var deletedFiles = 0
        public var orphanFiles = 0
        public var failedDeletes = 0
        /// Live files an earlier Floe wrote percent-decoded, now also at their locations as written
        /// (``DeleteOrphanFilesResult/restoredNames``).
        public var relinkedFiles: Int = 0
        /// Rows deleted as duplicates (with `removeDuplicates`).
        public var duplicatesRemoved: Int?
        /// Why duplicates could not be removed from this table (expiry and orphans still ran).
        public var duplicatesError: String?
        /// What compaction did (with `compact`).
        public var compaction: Compactor.Result?
        /// Why compaction failed on this table (expiry and orphans still ran).
        public var compactionError: String?
        /// Why snapshot expiry failed on this table (orphan removal still ran, and the other tables were maintained).
        public var expiryError: String?
        /// Why orphan removal failed on this table (the other tables were still maintained).
        public var orphansError: String?
        /// Why the table could not be loaded (nothing was done to it; the other tables were still maintained).
        public var loadError: String?

        enum CodingKeys: String, CodingKey {
            case table, expiredSnapshots = "expired_snapshots", deletedFiles = "deleted_files"
            case orphanFiles = "orphan_files", failedDeletes = "failed_deletes", relinkedFiles = "relinked_files"
            case duplicatesRemoved = "duplicates_removed"
            case duplicatesError = "duplicates_error", compaction, compactionError = "compaction_error"
            case expiryError = "expiry_error", orphansError = "orphans_error", loadError = "load_error"
        }

        /// Whether the table's upkeep failed: loading it, expiring its snapshots or removing its orphans (`floe
        /// maintain` then exits 1). What duplicate removal and compaction could not do, often for good (a table of
        /// another writer's files), is reported in their errors alone.
        public var failed: Bool {
            loadError != nil || expiryError != nil || orphansError != nil
        }
    }

    public static func run(configuration: FloeConfiguration, expireOlderThan: Duration, retainLast: Int,
                           orphansOlderThan: Duration, removeDuplicates: Bool = false, compact: Bool = false,
                           logger: Logger) async throws -> [TableResult] {
        // With the embedded catalog, a mistyped --data-dir would otherwise get a new, empty catalog and exit 0.
        if (configuration.catalogURI ?? "").isEmpty, !FileManager.default.fileExists(atPath: configuration.catalogPath) {
            throw ConfigurationError(message: "no catalog at \(configuration.catalogPath): no floe serve or backfill has used "
                                     + "this data directory (check --data-dir, or set the REST catalog)")
        }
        let (catalog, fileIO) = try FloeServer(configuration: configuration, logger: logger).makeStorage()
        let namespace = configuration.namespace.split(separator: ".").map(String.init)
        let writer = TableWriter(catalog: catalog, fileIO: fileIO, namespace: namespace,
                                 tableProperties: configuration.tableProperties,
                                 instanceId: configuration.resolvedInstanceId, logger: logger)
        var maintenance = TableMaintenance(catalog: catalog, fileIO: fileIO, logger: logger)
        maintenance.orphanSafetyMargin = orphansOlderThan
        let remover = DuplicateRemover(tables: writer, maintenance: maintenance, fileIO: fileIO, logger: logger)
        let compactor = Compactor(tables: writer, maintenance: maintenance, fileIO: fileIO, settings: configuration.maintenance,
                                  options: try configuration.flushSettings().parquet, logger: logger)
        var results: [TableResult] = []
        for definition in TableDefinition.all {
            let id = TableIdentifier(namespace: namespace, name: definition.name)
            let table: Table
            do {
                table = try await catalog.loadTable(id)
                try fileIO.applyVendedConfig(table.storageConfig(for: table.metadata.location))
            } catch let error as CatalogError where error.isMissingTable {
                continue
            } catch {
                var result = TableResult(table: definition.name)
                result.loadError = try failure(error, "table not maintained", definition, logger)
                results.append(result)
                continue
            }
            var duplicates: Int?
            var duplicatesError: String?
            var changed = false
            // A table Floe does not write as it is (other column types or partitioning) gets expiry and orphan
            // removal only: duplicate removal and compaction read and write its columns as Floe's.
            let incompatible = definition.incompatibility(with: table)
            if removeDuplicates, let incompatible {
                duplicatesError = "\(incompatible)"
            } else if removeDuplicates {
                do {
                    let removed = try await remover.run(definition, table: table)
                    duplicates = removed.duplicates
                    changed = removed.snapshotId != nil
                } catch {
                    // A table this cannot handle (another format version, files of other writers) still gets
                    // its expiry and orphan removal.
                    duplicatesError = "\(error)"
                    logger.warning("duplicates not removed", metadata: ["floe.table": "\(definition.name)",
                                                                         "error.message": "\(error)"])
                }
            }
            var compaction: Compactor.Result?
            var compactionError: String?
            if compact {
                do {
                    // Reloaded when removing duplicates committed since.
                    compaction = try await compactor.run(definition, table: changed ? try await catalog.loadTable(id) : table,
                                                         nowMs: WallClock.nowMillis())
                } catch {
                    compactionError = "\(error)"
                    logger.warning("compaction failed", metadata: ["floe.table": "\(definition.name)",
                                                                   "error.message": "\(error)"])
                }
            }
            let now = Date()
            var result = TableResult(table: definition.name, duplicatesRemoved: duplicates, duplicatesError: duplicatesError,
                                     compaction: compaction, compactionError: compactionError)
            // What was committed before is reported, and the other tables maintained, whatever fails here.
            do {
                let expired = try await maintenance.expireSnapshots(
                    table: id, olderThan: now.addingTimeInterval(-expireOlderThan.inSeconds), retainLast: retainLast)
                result.expiredSnapshots = expired.expiredSnapshotIds.count
                result.deletedFiles += expired.deletedFiles.count
                result.failedDeletes += expired.failedDeletes.count
            } catch {
                result.expiryError = try failure(error, "snapshots not expired", definition, logger)
            }
            do {
                let orphans = try await maintenance.deleteOrphanFiles(
                    table: id, olderThan: now.addingTimeInterval(-orphansOlderThan.inSeconds))
                result.orphanFiles = orphans.orphans.count
                result.deletedFiles += orphans.deletedFiles.count
                result.failedDeletes += orphans.failedDeletes.count
                result.relinkedFiles = orphans.restoredNames.count
            } catch {
                result.orphansError = try failure(error, "orphan files not removed", definition, logger)
            }
            results.append(result)
        }
        return results
    }

    /// A step that failed on one table: logged, and its text for the table's result; cancellation ends the run.
    private static func failure(_ error: any Error, _ message: Logger.Message, _ definition: TableDefinition,
                                _ logger: Logger) throws -> String {
        try Task.checkCancellation()
        logger.warning(message, metadata: ["floe.table": "\(definition.name)", "error.message": "\(error)"])
        return "\(error)"
    }
}
