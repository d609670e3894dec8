import Foundation
import Iceberg
import Logging
import Parquet

/// Rewrites the small data files of a table's closed partitions into files of about the target size,
/// sorted by event time, and commits them as one `replace` snapshot per run (docs/design.md §7, Compaction).
///
/// Rows are read back from the data files themselves (the buffer has purged them long ago), one file
/// at a time, with the partition's position deletes applied; they are encoded a row group at a time
/// (at most ``rowGroupBytes`` of values, sorted by event time) into an output file that is uploaded
/// once it reaches the target size. Memory holds one input file, one row group of values and one
/// output file, whatever the partition's size. Decoding and encoding run on the lowest-priority
/// ``EncodingPool/maintenance`` thread.
///
/// Exactly once across crashes without any state of its own: the commit removes the inputs only if
/// they are all still live and nothing but appends came after the listing (a flush's appends rebase;
/// another rewrite or a delete makes the run give up). A run that dies or gives up before its commit
/// leaves only its uploaded outputs, which no snapshot references: orphan-file removal deletes them.
public struct Compactor {
    let tables: TableWriter
    let maintenance: TableMaintenance
    let fileIO: any FileIO
    let planner: CompactionPlanner
    /// How outputs are encoded (codec and level of the configuration).
    let options: WriterOptions
    let logger: Logger

    /// Values per row group of a compacted file (about 64 MiB decoded).
    static let rowGroupBytes = 64 * 1024 * 1024

    init(tables: TableWriter, maintenance: TableMaintenance, fileIO: any FileIO, settings: MaintenanceSettings,
         options: WriterOptions, logger: Logger) {
        self.tables = tables
        self.maintenance = maintenance
        self.fileIO = fileIO
        planner = CompactionPlanner(targetFileSizeBytes: Int64(settings.targetFileSizeBytes),
                                    graceMs: Int64(settings.partitionGraceMs), maxBytes: Int64(settings.compactionMaxBytes))
        var options = options
        options.rowGroupSize = Int.max
        self.options = options
        self.logger = logger
    }

    /// What one run did to one table.
    public struct Result: Sendable, Codable {
        public var table: String
        public var partitions = 0
        public var filesRemoved = 0
        public var deleteFilesRemoved = 0
        public var filesAdded = 0
        public var rows = 0
        public var bytesRead: Int64 = 0
        public var bytesWritten: Int64 = 0
        /// Bins over the run's byte budget, left for the next run.
        public var deferred = 0
        public var snapshotId: Int64?
        /// Data files in the table after the commit (`total-data-files`), for metrics; not part of the JSON.
        var dataFiles: Int?

        enum CodingKeys: String, CodingKey {
            case table, partitions, filesRemoved = "files_removed", deleteFilesRemoved = "delete_files_removed"
            case filesAdded = "files_added", rows, bytesRead = "bytes_read", bytesWritten = "bytes_written"
            case deferred, snapshotId = "snapshot_id"
        }
    }

    /// Runs the commit of a compaction; `floe serve` runs it between its own flush cycles.
    typealias CommitGate = @Sendable (_ commit: @Sendable () async throws -> AppendResult) async throws -> AppendResult

    /// Compacts `table` (loaded by the caller, its storage credentials applied); the `replace` commit runs
    /// through `gate`.
    ///
    /// Inside `floe serve` the gate is the flush lock: a flush commits every few hundred milliseconds under
    /// load, and a replace that reads and rewrites the manifests before each attempt would otherwise keep
    /// losing the race to them until its retries run out.
    func run(_ definition: TableDefinition, table: Table, nowMs: Int64,
             gate: CommitGate = { try await $0() }) async throws -> Result {
        if let incompatible = definition.incompatibility(with: table) { throw incompatible }
        // The table's own field ids in the files written (a REST catalog may have assigned others than the definition's).
        let definition = definition.withFieldIds(of: table.metadata)
        var result = Result(table: definition.name)
        guard let listed = table.metadata.currentSnapshot?.snapshotId else { return result }
        let planner = self.planner
        let files = try await maintenance.liveFiles(of: table, id: tables.identifier(definition)) {
            planner.mayHoldClosedPartition($0, nowMs: nowMs)
        }
        // The closed partitions' position deletes, read before planning: a file they name is worth a rewrite alone.
        var deletesRead: [PartitionKey: PositionDeletes] = [:]
        for (key, deleteFiles) in planner.closedDeletes(files, nowMs: nowMs) {
            deletesRead[key] = try await PositionDeletes.read(deleteFiles, live: files, fileIO: fileIO, pool: .maintenance)
        }
        let named = deletesRead.values.reduce(into: Set<String>()) { set, deletes in
            for files in deletes.namedFiles.values { set.formUnion(files) }
        }
        let plan = try planner.plan(files, nowMs: nowMs, named: named)
        result.deferred = plan.deferred
        guard !plan.bins.isEmpty else { return result }
        logger.info("compacting", metadata: [
            "floe.table": "\(definition.name)", "floe.partitions": "\(Set(plan.bins.map(\.key)).count)",
            "floe.files": "\(plan.bins.reduce(0) { $0 + $1.inputs.count })", "floe.deferred": "\(plan.deferred)",
        ])
        let commitId = UUID().uuidString.lowercased()
        var added: [DataFile] = []
        var removing = Set<String>()
        var partitions = Set<PartitionKey>()
        for bin in plan.bins {
            let deletes = deletesRead[bin.key] ?? PositionDeletes()
            let outputs: (files: [DataFile], rows: Int)
            do {
                outputs = try await rewrite(bin, definition: definition, table: table, deletes: deletes,
                                            commitId: commitId, firstIndex: added.count)
            } catch let error as OutputFiles.UnknownColumns {
                // A file with columns this version does not know (a newer Floe, another engine's `ADD COLUMN`):
                // rewriting it would drop them. This bin is left as it is (files it wrote are orphans).
                logger.warning("not compacting files holding columns Floe does not know", metadata: [
                    "floe.table": "\(definition.name)", "floe.partition": "\(bin.key)", "error.message": "\(error)",
                ])
                continue
            }
            added += outputs.files
            result.rows += outputs.rows
            result.bytesRead += bin.bytes
            result.bytesWritten += outputs.files.reduce(0) { $0 + $1.fileSizeInBytes }
            removing.formUnion(bin.inputs.map(\.location))
            partitions.insert(bin.key)
        }
        // A delete file goes with the inputs once every live data file it names is rewritten (its rows are
        // gone from the outputs); one that still names other files stays.
        for (key, deletes) in deletesRead where partitions.contains(key) {
            for (location, named) in deletes.namedFiles where named.isSubset(of: removing) {
                removing.insert(location)
                result.deleteFilesRemoved += 1
            }
        }
        guard !removing.isEmpty else { return result }
        // Stopped (a shutdown): the outputs are left to orphan removal rather than committed late.
        try Task.checkCancellation()
        let tables = self.tables
        let removed = removing, outputs = added
        let committed = try await gate {
            try await tables.replace(definition, removing: removed, adding: outputs, commitId: commitId, decidedFrom: listed)
        }
        result.partitions = partitions.count
        result.filesRemoved = removing.count - result.deleteFilesRemoved
        result.filesAdded = added.count
        result.snapshotId = committed.snapshotId
        result.dataFiles = committed.table.metadata.currentSnapshot?.summary["total-data-files"].flatMap { Int($0) }
        logger.info("compacted", metadata: [
            "floe.table": "\(definition.name)", "floe.partitions": "\(result.partitions)",
            "floe.files_removed": "\(result.filesRemoved)", "floe.files_added": "\(result.filesAdded)",
            "floe.rows": "\(result.rows)", "floe.snapshot_id": "\(committed.snapshotId)",
        ])
        return result
    }

    /// Reads the inputs of `bin` one by one and writes their rows (deletes applied) into new files.
    private func rewrite(_ bin: CompactionPlanner.Bin, definition: TableDefinition, table: Table,
                         deletes: PositionDeletes, commitId: String,
                         firstIndex: Int) async throws -> (files: [DataFile], rows: Int) {
        let output = OutputFiles(definition: definition, options: options,
                                 targetBytes: Int(planner.targetFileSizeBytes))
        var files: [DataFile] = []
        var rows = 0
        func upload(_ file: ParquetFile) async throws {
            let location = tables.dataFileLocation(in: table, definition: definition, key: bin.key, commitId: commitId,
                                                   index: firstIndex + files.count)
            try await fileIO.write(file.bytes, to: location)
            files.append(definition.dataFile(path: location, key: bin.key, file: file))
            rows += Int(file.rowCount)
        }
        for input in bin.inputs {
            try Task.checkCancellation()
            let bytes = try await fileIO.read(input.location)
            let deleted = deletes.positions[input.location] ?? []
            let recordCount = input.recordCount
            let finished = try await EncodingPool.maintenance.run {
                try output.add(fileBytes: bytes, expectedRows: recordCount, deleted: deleted)
            }
            if let finished { try await upload(finished) }
        }
        if let last = try await EncodingPool.maintenance.run({ try output.finish() }) { try await upload(last) }
        return (files, rows)
    }
}

/// The files one bin is written into: rows gather in ``CompactedRows`` until a row group's worth, row
/// groups go into the current file until it reaches the target size.
///
/// Used by one task at a time (each step a job on ``EncodingPool/maintenance``, awaited before the next).
final class OutputFiles: @unchecked Sendable {
    /// An input file has columns the table definition lacks: rewriting it would drop them.
    struct UnknownColumns: Error, CustomStringConvertible {
        var columns: [String]
        var description: String { "the file has columns the table definition lacks: \(columns.joined(separator: ", "))" }
    }

    private let definition: TableDefinition
    private let options: WriterOptions
    private let targetBytes: Int
    private var rows: CompactedRows
    private var writer: ParquetStreamWriter?

    init(definition: TableDefinition, options: WriterOptions, targetBytes: Int) {
        self.definition = definition
        self.options = options
        self.targetBytes = targetBytes
        rows = CompactedRows(definition: definition)
    }

    /// Adds the rows of one data file; returns a finished file when the current one reached the target size.
    ///
    /// - Throws: `ParquetError` when the file cannot be read or its row count is not `expectedRows`.
    func add(fileBytes: [UInt8], expectedRows: Int64, deleted: Set<Int64>) throws -> ParquetFile? {
        let reader = try ParquetFileReader(bytes: fileBytes)
        guard Int64(reader.rowCount) == expectedRows else {
            throw ParquetError(.invalidColumnData, "a data file's row count differs from its manifest entry",
                               context: ["rows": String(reader.rowCount), "manifest_rows": String(expectedRows)])
        }
        let present = Set(reader.fieldNames)
        let unknown = present.subtracting(definition.columns.map(\.name))
        guard unknown.isEmpty else { throw UnknownColumns(columns: unknown.sorted()) }
        let columns = try definition.columns.map { column throws(ParquetError) -> ColumnData? in
            // A column added to the table after the file was written reads as null.
            guard present.contains(column.name) else {
                guard !column.required else {
                    throw ParquetError(.schemaMismatch, "a required column is missing", context: ["column": column.name])
                }
                return nil
            }
            return try reader.columnData(column.name)
        }
        try rows.append(columns, rows: reader.rowCount, deleted: deleted)
        guard rows.byteCount >= Compactor.rowGroupBytes else { return nil }
        try writeRowGroup()
        return try takeFileIfFull()
    }

    /// The last file of the bin (nil when no rows are left).
    func finish() throws -> ParquetFile? {
        if rows.rowCount > 0 { try writeRowGroup() }
        guard var current = writer, current.rowCount > 0 else { return nil }
        writer = nil  // the local copy is then the only owner of the bytes, which finish() appends to in place
        return current.finish()
    }

    private func writeRowGroup() throws {
        let count = rows.rowCount
        guard count > 0 else { return }
        if writer == nil { writer = try ParquetStreamWriter(schema: definition.parquetSchema, options: options) }
        try writer?.append(columns: rows.take(), rowCount: count)
    }

    private func takeFileIfFull() throws -> ParquetFile? {
        guard var current = writer, current.byteCount >= targetBytes else { return nil }
        writer = nil
        return current.finish()
    }
}
