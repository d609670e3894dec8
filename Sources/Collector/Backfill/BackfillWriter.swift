import Foundation
import Iceberg
import Logging
import Parquet

/// Writes a backfill unit's data files and commits them, one snapshot per table.
struct BackfillWriter: Sendable {
    let catalog: any Catalog
    let fileIO: StorageRouter
    let namespace: [String]
    let logger: Logger
    let parquet: WriterOptions
    let tableProperties: [String: String]
    /// Recorded as `floe.instance-id` in the summary of each backfill snapshot.
    var instanceId: String?

    struct Result {
        var files = 0
        var commits = 0
        var bytes = 0
    }

    func isCommitted(table: String, commitId: String) async throws -> Bool {
        let appender = TableAppender(catalog: catalog, fileIO: fileIO, logger: logger)
        do {
            return try await appender.findCommit(in: TableIdentifier(namespace: namespace, name: table), commitId: commitId) != nil
        } catch let error as CatalogError where error.code == .noSuchTable || error.code == .noSuchNamespace {
            return false
        }
    }

    /// Encodes (every core) and uploads every file, then appends each table's files under its commit id.
    func commit(_ files: [BackfillUnitBuilder.FileRows],
                commitIds: [String: String], skipping committed: Set<String>) async throws -> Result {
        var result = Result()
        for (tableName, commitId) in commitIds.sorted(by: { $0.key < $1.key }) where !committed.contains(tableName) {
            let tableFiles = files.filter { $0.table.name == tableName }
            guard let definition = tableFiles.first?.table else { continue }
            let table = try await definition.evolve(
                try await catalog.loadOrCreateTable(TableIdentifier(namespace: namespace, name: tableName),
                                                    schema: definition.icebergSchema,
                                                    partitionSpec: definition.partitionSpec,
                                                    properties: tableProperties),
                in: catalog, logger: logger)
            try fileIO.applyVendedConfig(table.storageConfig(for: table.metadata.location))
            let location = table.metadata.location
            var options = self.parquet
            if tableFiles.count > 1 { options.maxThreads = 1 }  // files are encoded side by side
            let parquet = options
            let fileIO = self.fileIO
            // Two more files than cores: their uploads (or fsyncs) overlap the encoding of others.
            let width = max(1, ProcessInfo.processInfo.activeProcessorCount) + 2
            let written = try await BoundedTasks.map(count: tableFiles.count, width: width) { index in
                let file = tableFiles[index]
                guard let values = definition.partitionValues(forKey: file.key) else {
                    throw CatalogError(.invalidArgument, "unparseable partition key", context: ["partition": file.key])
                }
                let path = "\(location)/data/\(definition.partitionPath(type: values.type, hours: values.hours))/\(commitId)-\(index).parquet"
                let encoded = try ParquetFileWriter.write(schema: definition.parquetSchema, columns: file.columns(),
                                                          rowCount: file.rows, options: parquet)
                try await fileIO.write(encoded.bytes, to: path)
                return definition.dataFile(path: path, type: values.type, hours: values.hours, file: encoded)
            }
            var appender = TableAppender(catalog: catalog, fileIO: fileIO, logger: logger)
            if let instanceId { appender.summaryProperties = [FloeConfiguration.instanceSummaryKey: instanceId] }
            let append = try await appender.append(to: TableIdentifier(namespace: namespace, name: tableName),
                                                   files: written, commitId: commitId)
            result.files += written.count
            result.commits += 1
            result.bytes += written.reduce(0) { $0 + Int($1.fileSizeInBytes) }
            logger.info("backfill committed", metadata: [
                "floe.table": "\(tableName)", "floe.commit_id": "\(commitId)", "floe.snapshot_id": "\(append.snapshotId)",
                "floe.files": "\(written.count)", "floe.rows": "\(written.reduce(0) { $0 + $1.recordCount })",
            ])
        }
        return result
    }
}
