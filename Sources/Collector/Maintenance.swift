import Foundation
import Iceberg
import Logging

/// `floe maintain`: expires old snapshots and deletes orphan files of both tables.
///
/// Safe to run while `floe serve` and `floe backfill` run: expiry is an ordinary catalog commit
/// (retried on conflict), and only files older than the orphan margin that no metadata
/// references are deleted, so a flush's freshly uploaded, not yet committed files are kept.
public enum Maintenance {
    /// What maintenance did to one table.
    public struct TableResult: Sendable, Codable {
        public var table: String
        public var expiredSnapshots: Int
        public var deletedFiles: Int
        public var orphanFiles: Int
        public var failedDeletes: Int

        enum CodingKeys: String, CodingKey {
            case table, expiredSnapshots = "expired_snapshots", deletedFiles = "deleted_files"
            case orphanFiles = "orphan_files", failedDeletes = "failed_deletes"
        }
    }

    public static func run(configuration: FloeConfiguration, expireOlderThan: Duration, retainLast: Int,
                           orphansOlderThan: Duration, logger: Logger) async throws -> [TableResult] {
        let (catalog, fileIO) = try FloeServer(configuration: configuration, logger: logger).makeStorage()
        var maintenance = TableMaintenance(catalog: catalog, fileIO: fileIO, logger: logger)
        maintenance.orphanSafetyMargin = orphansOlderThan
        let namespace = configuration.namespace.split(separator: ".").map(String.init)
        var results: [TableResult] = []
        for definition in TableDefinition.all {
            let id = TableIdentifier(namespace: namespace, name: definition.name)
            let table: Table
            do {
                table = try await catalog.loadTable(id)
            } catch let error as CatalogError where error.isMissingTable {
                continue
            }
            try fileIO.applyVendedConfig(table.storageConfig(for: table.metadata.location))
            let now = Date()
            let expired = try await maintenance.expireSnapshots(table: id, olderThan: now.addingTimeInterval(-expireOlderThan.inSeconds),
                                                                retainLast: retainLast)
            let orphans = try await maintenance.deleteOrphanFiles(table: id, olderThan: now.addingTimeInterval(-orphansOlderThan.inSeconds))
            results.append(TableResult(table: definition.name, expiredSnapshots: expired.expiredSnapshotIds.count,
                                       deletedFiles: expired.deletedFiles.count + orphans.deletedFiles.count,
                                       orphanFiles: orphans.orphans.count,
                                       failedDeletes: expired.failedDeletes.count + orphans.failedDeletes.count))
        }
        return results
    }
}
