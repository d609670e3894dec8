import Buffer
import Foundation
import Iceberg
import Logging
import Parquet
import FloeSupport

/// Runs flush cycles: buffered rows → Parquet data files → one Iceberg snapshot per table.
///
/// Implements the exactly-once protocol of docs/design.md §5: a flush intent (commit id, files, row
/// ranges) is recorded before any upload; the snapshot carries `floe.commit-id`; flushed rows are
/// deleted only after the commit. A pending intent — from a crash, a catalog outage or an
/// ambiguous commit — is resolved first on every cycle: if its commit id is in the table the rows
/// are dropped, otherwise the same files are written again and committed.
/// Cycles never overlap (``AsyncSerialLock``).
package actor FlushCoordinator {
    let buffer: EventBuffer
    let catalog: any Catalog
    let fileIO: any FileIO
    /// Loads, writes and appends to the tables (shared with backfill).
    let writer: TableWriter
    let tables: [TableDefinition]
    let settings: FlushSettings
    let logger: Logger
    let metrics: FlushMetrics
    /// Receives the rate at which commits drain the buffer (for early refusals).
    let backlog: FlushBacklog?
    let lock = AsyncSerialLock()
    /// Manifest lists read by snapshot expiry, kept between its runs.
    private let manifestLists = ManifestListCache()
    /// The last catalog check of ``readinessProblems()`` (FlushCoordinator+Health.swift).
    var lastReadinessCheck: (at: ContinuousClock.Instant, problems: [String])?
    /// A check ``knownReadinessProblems()`` started in the background is running.
    var readinessCheckRunning = false
    /// Per table: the last commit, the table's size and its failing flushes (``freshness(now:)``).
    var freshnessByTable: [String: TableFreshness] = [:]
    /// When maintenance last ran, microseconds since the epoch (nil: not yet).
    private(set) var lastMaintenanceMicros: Int64?

    init(buffer: EventBuffer, catalog: any Catalog, fileIO: any FileIO, namespace: [String],
         tables: [TableDefinition], settings: FlushSettings, logger: Logger, metrics: FlushMetrics = FlushMetrics(),
         backlog: FlushBacklog? = nil) {
        self.metrics = metrics
        self.backlog = backlog
        self.buffer = buffer
        self.catalog = catalog
        self.fileIO = fileIO
        writer = TableWriter(catalog: catalog, fileIO: fileIO, namespace: namespace,
                             tableProperties: settings.tableProperties, instanceId: settings.instanceId, logger: logger)
        self.tables = tables
        self.settings = settings
        self.logger = logger
    }

    /// Flushes the partitions `scope` selects in every table; answers after the commits.
    ///
    /// `.all` and `.type` repeat cycles until the selected partitions are empty (each cycle is bounded in
    /// rows, so a large backlog becomes several commits rather than one huge one); with `receivedBy`, until
    /// they hold nothing received by then. `/debug/flush` passes the time it was asked: under steady ingest
    /// the partitions are never empty, and a flush that waited for that would never answer.
    package func flush(_ scope: FlushScope, receivedBy: Int64 = .max) async throws -> FlushReport {
        try await lock.withLock {
            var report = try await self.runCycle(scope)
            guard case .ready = scope else {
                while await self.hasRows(for: scope, receivedBy: receivedBy) {
                    let next = try await self.runCycle(scope)
                    if next.tables.isEmpty { break }
                    report.tables += next.tables
                }
                return report
            }
            return report
        }
    }

    private func hasRows(for scope: FlushScope, receivedBy: Int64) -> Bool {
        let stats = buffer.stats()
        return tables.contains { definition in
            stats.contains {
                $0.key.table == definition.name && $0.value.oldestReceivedAt <= receivedBy
                    && selects(scope, partition: $0.key, stats: $0.value, in: definition)
            }
        }
    }

    /// Expires each existing table's snapshots past the settings' age and count; returns the number
    /// expired per table.
    ///
    /// Only the expiry commit (one metadata write) runs between flush cycles, so it never races
    /// Floe's own commits; reading manifests and deleting the files only expired snapshots reached
    /// runs beside the flushes, with the manifest lists read by earlier runs remembered.
    func expireSnapshots(_ settings: MaintenanceSettings) async throws -> [String: Int] {
        var expired: [String: Int] = [:]
        var configured = TableMaintenance(catalog: catalog, fileIO: fileIO, logger: logger)
        configured.manifestLists = manifestLists
        let maintenance = configured
        for definition in tables {
            try Task.checkCancellation()
            let id = writer.identifier(definition)
            guard try await writer.existingTable(definition) != nil else { continue }
            let cutoff = Date().addingTimeInterval(-Double(settings.maxSnapshotAgeMs) / 1000)
            let committed = try await lock.withLock {
                try await maintenance.commitExpiry(table: id, olderThan: cutoff, retainLast: 1,
                                                   keepAtMost: settings.maxSnapshots)
            }
            if !committed.expired.isEmpty {
                _ = try await maintenance.removeUnreachable(expired: committed.expired, table: committed.table)
            }
            expired[definition.name] = committed.expired.count
            metrics.maintained(table: definition.name, snapshots: committed.table.metadata.snapshots.count,
                               expired: committed.expired.count)
            freshnessByTable[definition.name, default: TableFreshness(table: definition.name)].snapshots = committed.table.metadata.snapshots.count
        }
        return expired
    }

    /// Records that a maintenance run finished now (``freshness(now:)``, `/metrics`).
    func maintenanceFinished() {
        lastMaintenanceMicros = WallClock.nowMicros()
        metrics.maintenanceRan(atMicros: lastMaintenanceMicros ?? 0)
    }

    /// Loads every table that exists, which evolves the schema of one an earlier version created
    /// (``TableDefinition/evolve(_:in:logger:)``); tables not created yet are left for their first flush.
    func loadExistingTables() async throws {
        for definition in tables {
            _ = try await writer.existingTable(definition)
        }
    }

    /// The table's location, loading or creating the table on first use.
    package func location(of definition: TableDefinition) async throws -> String {
        try await writer.table(definition).metadata.location
    }

    /// The table's location if it exists (nil: not created yet; nothing is created).
    func existingLocation(of definition: TableDefinition) async throws -> String? {
        try await writer.existingTable(definition)?.metadata.location
    }

    /// Objects stored under a table's location (for `/debug/list-r2`), sorted by location.
    /// Nothing (and an empty location) for a table not created yet: a listing creates nothing.
    func listObjects(of definition: TableDefinition, prefix: String) async throws -> (location: String, files: [StoredFile]) {
        guard let location = try await existingLocation(of: definition) else { return ("", []) }
        let trimmed = prefix.hasPrefix("/") ? String(prefix.dropFirst()) : prefix
        let files = try await fileIO.listFiles(prefix: trimmed.isEmpty ? location + "/" : location + "/" + trimmed)
        return (location, files.sorted { $0.location < $1.location })
    }

    private func runCycle(_ scope: FlushScope) async throws -> FlushReport {
        var report = FlushReport()
        var firstError: (any Error)?
        for definition in tables {
            freshnessByTable[definition.name, default: TableFreshness(table: definition.name)].flushStartedMicros =
                WallClock.nowMicros()
            defer { freshnessByTable[definition.name]?.flushStartedMicros = nil }
            do {
                let reports = try await flushTable(definition, scope: scope)
                // A commit, or a pending one found committed: the table's flushes work again.
                if !reports.isEmpty { recordOutcome(definition.name, error: nil) }
                report.tables += reports
            } catch {
                metrics.failed()
                recordOutcome(definition.name, error: error)
                logger.warning("flush failed", metadata: ["floe.table": "\(definition.name)", "error.message": "\(error)"])
                firstError = firstError ?? error
            }
        }
        if let firstError { throw firstError }
        return report
    }

    private func flushTable(_ definition: TableDefinition, scope: FlushScope) async throws -> [FlushReport.TableReport] {
        var reports: [FlushReport.TableReport] = []
        if buffer.hasPendingIntents {
            let intents = try await buffer.pendingIntents().filter { $0.table == definition.name }
            // Redoing an intent appends to the table, so it must exist (it may have been dropped).
            if !intents.isEmpty { _ = try await writer.table(definition) }
            for intent in intents {
                reports.append(try await resolve(intent, definition: definition))
            }
        }
        let candidates = buffer.stats()
            .filter { $0.key.table == definition.name && selects(scope, partition: $0.key, stats: $0.value, in: definition) }
        let selected = candidates.keys.sorted()
        guard !selected.isEmpty else { return reports }

        let table = try await writer.table(definition)
        let started = ContinuousClock.now
        let commitId = UUID().uuidString.lowercased()
        var files: [FlushIntent.File] = []
        var rowsByFile: [[StoredRow]] = []
        var budget = settings.maxRowsPerCycleTotal
        for partition in selected where budget > 0 {
            guard let key = PartitionKey(partition.key) else {
                logger.error("unparseable partition key", metadata: ["floe.partition": "\(partition.key)"])
                continue
            }
            let rows = try await buffer.rows(in: partition, limit: min(settings.maxRowsPerCycle, budget))
            budget -= rows.count
            var start = 0
            while start < rows.count {
                let chunk = Array(rows[start..<min(start + settings.bufferSize, rows.count)])
                start += chunk.count
                guard let first = chunk.first, let last = chunk.last else { continue }
                files.append(FlushIntent.File(partitionKey: partition.key, firstSequence: first.sequence,
                                              lastSequence: last.sequence, rowCount: chunk.count,
                                              payloadBytes: chunk.reduce(0) { $0 + $1.payload.count },
                                              path: writer.dataFileLocation(in: table, definition: definition, key: key,
                                                                            commitId: commitId, index: files.count)))
                rowsByFile.append(chunk)
            }
        }
        guard !files.isEmpty else { return reports }
        let read = ContinuousClock.now - started
        let intent = FlushIntent(commitId: commitId, table: definition.name, target: settings.target,
                                 createdAt: WallClock.nowMicros(), files: files)
        let recording = ContinuousClock.now
        try await buffer.recordIntent(intent)
        let flushed = Set(files.map(\.partitionKey))
        let report = try await execute(intent, rows: rowsByFile, definition: definition, recovered: false,
                                       read: read, bookkeeping: ContinuousClock.now - recording,
                                       oldestReceivedAt: candidates.filter { flushed.contains($0.key.key) }.map(\.value.oldestReceivedAt))
        backlog?.drained(events: report.rows, seconds: (ContinuousClock.now - started).inSeconds)
        reports.append(report)
        return reports
    }

    /// Refuses an intent recorded for other tables (another namespace, catalog or warehouse): settled here, its
    /// rows would be committed a second time if it was committed there, and its files, under the other table's
    /// location, would be that table's orphans.
    private func checkTarget(of intent: FlushIntent) throws {
        guard let recorded = intent.target, let current = settings.target, recorded != current else { return }
        throw ConfigurationError(message: "the buffer holds a pending flush of table '\(intent.table)' (commit "
            + "\(intent.commitId)) for \(recorded), not \(current): it can be settled only there. Start once with the "
            + "catalog, warehouse and namespace it was recorded for, so that it commits, then change them")
    }

    /// Checks, before anything is served or flushed (`floe serve`, `floe flush`), that every pending flush belongs to
    /// these tables (``checkTarget(of:)``); the target does not change while the process runs.
    package func checkPendingTargets() async throws {
        guard buffer.hasPendingIntents else { return }
        for intent in try await buffer.pendingIntents() { try checkTarget(of: intent) }
    }

    /// Finishes an intent left by an earlier attempt: completes it if committed, else redoes it.
    private func resolve(_ intent: FlushIntent, definition: TableDefinition) async throws -> FlushReport.TableReport {
        if let snapshotId = try await writer.findCommit(definition, commitId: intent.commitId, writerId: buffer.writerId) {
            try await buffer.completeIntent(intent)
            logger.info("recovered committed flush", metadata: [
                "floe.table": "\(definition.name)", "floe.commit_id": "\(intent.commitId)",
                "floe.snapshot_id": "\(snapshotId)",
            ])
            return FlushReport.TableReport(table: definition.name, commitId: intent.commitId, snapshotId: snapshotId,
                                           sequenceNumber: -1, files: intent.files.map(\.path),
                                           rows: intent.files.reduce(0) { $0 + $1.rowCount },
                                           partitions: Array(Set(intent.files.map(\.partitionKey))).sorted(),
                                           recovered: true)
        }
        var rows: [[StoredRow]] = []
        for file in intent.files {
            let partition = PartitionID(table: intent.table, key: file.partitionKey)
            rows.append(try await buffer.rows(in: partition, sequences: file.firstSequence...file.lastSequence))
        }
        return try await execute(intent, rows: rows, definition: definition, recovered: true, read: .zero, bookkeeping: .zero)
    }

    /// Steps 3–5 of docs/design.md §5: encode and upload every file, commit one snapshot, drop the rows.
    private func execute(_ intent: FlushIntent, rows: [[StoredRow]], definition: TableDefinition,
                         recovered: Bool, read: Duration, bookkeeping: Duration,
                         oldestReceivedAt: [Int64] = []) async throws -> FlushReport.TableReport {
        let started = ContinuousClock.now
        let (dataFiles, tableUUID) = try await writeDataFiles(intent, rows: rows, definition: definition)
        let commitStarted = ContinuousClock.now
        let result = try await writer.append(definition, files: dataFiles, commitId: intent.commitId, writerId: buffer.writerId,
                                             tableUUID: tableUUID)
        let completing = ContinuousClock.now
        try await buffer.completeIntent(intent)
        let finished = ContinuousClock.now
        metrics.committed(durationNanoseconds: (finished - started).inNanoseconds, attempts: result.attempts)
        recordCommit(definition.name, table: result.table, oldestReceivedAt: oldestReceivedAt)
        let rowCount = dataFiles.reduce(0) { $0 + Int($1.recordCount) }
        var report = FlushReport.TableReport(
            table: definition.name, commitId: intent.commitId, snapshotId: result.snapshotId,
            sequenceNumber: result.sequenceNumber, files: dataFiles.map(\.filePath), rows: rowCount,
            partitions: Array(Set(intent.files.map(\.partitionKey))).sorted(), recovered: recovered,
            commitMillis: (completing - commitStarted).inMilliseconds)
        report.readMillis = read.inMilliseconds
        report.writeMillis = (commitStarted - started).inMilliseconds
        report.bookkeepingMillis = (bookkeeping + (finished - completing)).inMilliseconds
        logger.info("flush committed", metadata: [
            "floe.table": "\(definition.name)", "floe.commit_id": "\(intent.commitId)",
            "floe.snapshot_id": "\(result.snapshotId)", "floe.rows": "\(rowCount)", "floe.files": "\(dataFiles.count)",
            "floe.read_ms": "\(Int(report.readMillis))", "floe.write_ms": "\(Int(report.writeMillis))", "floe.commit_ms": "\(Int(report.commitMillis))",
            "floe.bookkeeping_ms": "\(Int(report.bookkeepingMillis))",
        ])
        return report
    }

    /// Encodes and uploads every file of an intent, `parallelism` at a time (encoding runs on an
    /// ``EncodingPool``, the niced one unless the flush is behind; uploads overlap), returning the
    /// data files in intent order and the `table-uuid` of the table whose field ids they carry.
    private func writeDataFiles(_ intent: FlushIntent, rows: [[StoredRow]],
                                definition: TableDefinition) async throws -> (files: [DataFile], tableUUID: String) {
        // The table's own field ids in the files (a REST catalog may have assigned others than the definition's).
        let table = try await writer.table(definition)
        let definition = definition.withFieldIds(of: table.metadata)
        let jobs = zip(intent.files.indices, zip(intent.files, rows)).filter { !$0.1.1.isEmpty }
        var options = settings.parquet
        // Files are encoded side by side on the pool's low-priority threads, one thread per file.
        options.maxThreads = 1
        let parquet = options
        // Behind (more is due than one cycle takes): encode at the requests' priority, so the
        // flush takes its share of the cores back; otherwise stay out of the requests' way.
        let behind = settings.isBehind(dueEvents: backlog?.dueEvents ?? 0)
        let pool = behind ? EncodingPool.urgent : EncodingPool.background
        let pending = try jobs.map { index, job in
            let (file, fileRows) = job
            guard let key = PartitionKey(file.partitionKey) else {
                throw RowBatchDecoder.DecodingError(message: "unparseable partition key \(file.partitionKey)")
            }
            // Under the table's location now, which a table dropped and created again since may have moved
            // (TableAppender.append(tableUUID:)); the name is the intent's (`{commit id}-{index}`).
            let location = writer.dataFileLocation(in: table, definition: definition, key: key, commitId: intent.commitId,
                                                   index: index)
            return TableWriter.PendingFile(location: location, key: key, rows: fileRows.count) {
                try await pool.run {
                    var decoder = RowBatchDecoder(table: definition, expectedRows: fileRows.count)
                    for row in fileRows { try decoder.append(row.payload) }
                    return try ParquetFileWriter.write(schema: definition.parquetSchema, columns: decoder.columns(),
                                                       rowCount: decoder.rowCount, options: parquet)
                }
            }
        }
        return (try await writer.write(pending, definition: definition, width: settings.parallelism, metrics: metrics),
                table.metadata.tableUUID)
    }

    private func selects(_ scope: FlushScope, partition: PartitionID, stats: PartitionStats,
                         in definition: TableDefinition) -> Bool {
        switch scope {
        case .all:
            return true
        case .pendingOnly:
            return false
        case .type(let type):
            return type == definition.name || PartitionKey(partition.key)?.type == type
        case .ready(let now):
            return settings.isDue(stats, nowMicros: now)
        }
    }

}
