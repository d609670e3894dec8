import Foundation
import Iceberg
import Logging
import Parquet

/// Writes a backfill unit's data files and commits them, one snapshot per table, through the
/// ``TableWriter`` that flushes use too.
struct BackfillWriter: Sendable {
    let tables: TableWriter
    let logger: Logger
    let parquet: WriterOptions

    struct Result {
        var files = 0
        var commits = 0
        var bytes = 0
    }

    func isCommitted(table: String, commitId: String) async throws -> Bool {
        guard let definition = TableDefinition.named(table) else { return false }
        return try await tables.findCommit(definition, commitId: commitId) != nil
    }

    /// Encodes (every core) and uploads every file, then appends each table's files under its commit id.
    func commit(_ files: [BackfillUnitBuilder.FileRows],
                commitIds: [String: String], skipping committed: Set<String>) async throws -> Result {
        var result = Result()
        for (tableName, commitId) in commitIds.sorted(by: { $0.key < $1.key }) where !committed.contains(tableName) {
            let tableFiles = files.filter { $0.table.name == tableName }
            guard let definition = tableFiles.first?.table else { continue }
            await tables.refresh(definition)  // fresh vended credentials for every unit
            let table = try await tables.table(definition)
            var options = self.parquet
            if tableFiles.count > 1 { options.maxThreads = 1 }  // files are encoded side by side
            let parquet = options
            let pending = tableFiles.enumerated().map { index, file in
                TableWriter.PendingFile(
                    location: tables.dataFileLocation(in: table, definition: definition, key: file.key,
                                                      commitId: commitId, index: index),
                    key: file.key, rows: file.rows) {
                    try ParquetFileWriter.write(schema: definition.parquetSchema, columns: file.columns(),
                                                rowCount: file.rows, options: parquet)
                }
            }
            // Two more files than cores: their uploads (or fsyncs) overlap the encoding of others.
            let width = max(1, ProcessInfo.processInfo.activeProcessorCount) + 2
            let started = ContinuousClock.now
            let written = try await tables.write(pending, definition: definition, width: width)
            let wrote = ContinuousClock.now
            let append = try await tables.append(definition, files: written, commitId: commitId)
            result.files += written.count
            result.commits += 1
            result.bytes += written.reduce(0) { $0 + Int($1.fileSizeInBytes) }
            logger.info("backfill committed", metadata: [
                "floe.table": "\(tableName)", "floe.commit_id": "\(commitId)", "floe.snapshot_id": "\(append.snapshotId)",
                "floe.files": "\(written.count)", "floe.rows": "\(written.reduce(0) { $0 + $1.recordCount })",
                "floe.write_ms": "\(Int((wrote - started).inMilliseconds))", "floe.commit_ms": "\(Int((ContinuousClock.now - wrote).inMilliseconds))",
            ])
        }
        return result
    }
}
