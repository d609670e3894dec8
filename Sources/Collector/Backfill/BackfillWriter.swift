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

    /// Loads the table, creating it when missing, ahead of the first commit (which then finds it
    /// without waiting on the catalog while the cores are idle).
    func prepare(_ definition: TableDefinition) async throws {
        _ = try await tables.table(definition)
    }

    /// One table's written files, ready to be appended under its commit id.
    struct WrittenTable: Sendable {
        var definition: TableDefinition
        var commitId: String
        var files: [DataFile]
        var writeMilliseconds: Int
        /// The `table-uuid` of the table whose field ids the files carry (``TableWriter/append``).
        var tableUUID: String
    }

    /// Encodes (every core) and uploads every file, then appends each table's files under its commit id.
    func commit(_ files: [BackfillUnitBuilder.FileRows],
                commitIds: [String: String], skipping committed: Set<String>) async throws -> Result {
        try await append(write(files, commitIds: commitIds, skipping: committed))
    }

    /// Encodes (every core) and uploads every file of the tables not in `committed`, and makes them
    /// durable; nothing references them yet.
    func write(_ files: [BackfillUnitBuilder.FileRows],
               commitIds: [String: String], skipping committed: Set<String>) async throws -> [WrittenTable] {
        var result: [WrittenTable] = []
        for (tableName, commitId) in commitIds.sorted(by: { $0.key < $1.key }) where !committed.contains(tableName) {
            let tableFiles = files.filter { $0.table.name == tableName }
            guard let unitDefinition = tableFiles.first?.table else { continue }
            await tables.refresh(unitDefinition)  // fresh vended credentials for every unit
            let table = try await tables.table(unitDefinition)
            // The table's own field ids in the files (a REST catalog may have assigned others than the definition's).
            let definition = unitDefinition.withFieldIds(of: table.metadata)
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
            result.append(WrittenTable(definition: definition, commitId: commitId, files: written,
                                       writeMilliseconds: Int((ContinuousClock.now - started).inMilliseconds),
                                       tableUUID: table.metadata.tableUUID))
        }
        return result
    }

    /// Appends each table's written files in one snapshot carrying its commit id.
    func append(_ written: [WrittenTable]) async throws -> Result {
        var result = Result()
        for table in written {
            let started = ContinuousClock.now
            let append = try await tables.append(table.definition, files: table.files, commitId: table.commitId,
                                                 tableUUID: table.tableUUID)
            result.files += table.files.count
            result.commits += 1
            result.bytes += table.files.reduce(0) { $0 + Int($1.fileSizeInBytes) }
            logger.info("backfill committed", metadata: [
                "floe.table": "\(table.definition.name)", "floe.commit_id": "\(table.commitId)",
                "floe.snapshot_id": "\(append.snapshotId)", "floe.files": "\(table.files.count)",
                "floe.rows": "\(table.files.reduce(0) { $0 + $1.recordCount })",
                "floe.write_ms": "\(table.writeMilliseconds)", "floe.commit_ms": "\(Int((ContinuousClock.now - started).inMilliseconds))",
            ])
        }
        return result
    }
}
