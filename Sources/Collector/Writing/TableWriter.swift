import Foundation
import Iceberg
import Logging
import Parquet

/// Writes Floe's tables, for flush and backfill alike: loads each table once (creating it when
/// missing and evolving its schema to the definition), applies the storage credentials the catalog
/// vends, decides where data files go, encodes and uploads them with bounded parallelism, and
/// appends them in one snapshot under a commit id (docs/design.md §5).
actor TableWriter {
    let catalog: any Catalog
    let fileIO: any FileIO
    let namespace: [String]
    private let tableProperties: [String: String]
    private let appender: TableAppender
    private let logger: Logger
    private var loaded: [String: Table] = [:]
    /// When the storage credentials the catalog vended with each loaded table expire, where it said so.
    private var credentialsExpire: [String: Date] = [:]
    /// How long before vended credentials expire the table is loaded again for fresh ones.
    static let credentialsRenewalLead: TimeInterval = 300
    /// The least time between two such loads of a table (30 s): a catalog that keeps vending a set about to expire
    /// (or an expiry in other units than ms) costs a load this often, not every flush cycle.
    private let credentialsRenewalInterval: Duration
    /// When each table was last loaded for its credentials.
    private var loadedAt: [String: ContinuousClock.Instant] = [:]

    /// `instanceId` is recorded as `floe.instance-id` in the summary of every snapshot appended.
    init(catalog: any Catalog, fileIO: any FileIO, namespace: [String], tableProperties: [String: String],
         instanceId: String?, logger: Logger, credentialsRenewalInterval: Duration = .seconds(30)) {
        self.credentialsRenewalInterval = credentialsRenewalInterval
        self.catalog = catalog
        self.fileIO = fileIO
        self.namespace = namespace
        self.tableProperties = tableProperties
        var appender = TableAppender(catalog: catalog, fileIO: fileIO, logger: logger)
        if let instanceId { appender.summaryProperties = [FloeConfiguration.instanceSummaryKey: instanceId] }
        appender.mergeAhead = ManifestMergeAhead()
        self.appender = appender
        self.logger = logger
    }

    nonisolated func identifier(_ definition: TableDefinition) -> TableIdentifier {
        TableIdentifier(namespace: namespace, name: definition.name)
    }

    /// The table, loaded once and evolved to the definition's schema; created when missing and
    /// `create` (else the catalog's `noSuchTable` is thrown); `rejected` when another writer made it with other
    /// field ids, types or partitioning (``TableDefinition/incompatibilities(with:)``). Loaded again, for fresh credentials, when the
    /// storage credentials the catalog vended expire within ``credentialsRenewalLead``
    /// (`s3.session-token-expires-at-ms`) or the store refused them (``renewCredentials(after:of:)``).
    func table(_ definition: TableDefinition, create: Bool = true) async throws -> Table {
        if let table = loaded[definition.name] {
            let due = credentialsExpire[definition.name].map { $0.timeIntervalSinceNow <= Self.credentialsRenewalLead } ?? false
            let recent = loadedAt[definition.name].map { ContinuousClock.now - $0 < credentialsRenewalInterval } ?? false
            if !due || recent { return table }
        }
        let id = identifier(definition)
        var table: Table
        do {
            table = try await catalog.loadTable(id)
            // Checked before evolving too, so that a table another writer made is not changed either.
            if let incompatible = definition.incompatibility(with: table) { throw incompatible }
            table = try await definition.evolve(table, in: catalog, logger: logger)
        } catch let error as CatalogError where create && error.isMissingTable {
            try await catalog.createNamespaceIfNeeded(namespace)
            do {
                table = try await catalog.createTable(id, schema: definition.icebergSchema,
                                                      partitionSpec: definition.partitionSpec,
                                                      properties: tableProperties)
                logger.info("table created", metadata: ["floe.table": "\(id)", "floe.location": "\(table.metadata.location)"])
            } catch let error as CatalogError where error.code == .alreadyExists {
                table = try await catalog.loadTable(id)
            }
        }
        if let incompatible = definition.incompatibility(with: table) { throw incompatible }
        let storage = table.storageConfig(for: table.metadata.location)
        if let router = fileIO as? StorageRouter {
            try router.applyVendedConfig(storage)
        }
        credentialsExpire[definition.name] = storage[Self.credentialsExpiryKey]
            .flatMap { Int64($0) }.map { Date(timeIntervalSince1970: Double($0) / 1000) }
        loadedAt[definition.name] = .now
        loaded[definition.name] = table
        return table
    }

    /// The property a catalog vends with temporary storage credentials: when they expire, in ms since the epoch.
    static let credentialsExpiryKey = "s3.session-token-expires-at-ms"

    /// Forgets the loaded table when `error` says the store refused the credentials (an expired session
    /// token), so that the next ``table(_:create:)`` loads it again and applies what the catalog vends then.
    nonisolated func renewCredentials(after error: any Error, of definition: TableDefinition) async {
        let underlying = (error as? CatalogError)?.underlying ?? error
        guard (underlying as? FileIOError)?.code == .credentialsRefused else { return }
        logger.warning("storage refused the credentials; the table is loaded again for fresh ones",
                       metadata: ["floe.table": "\(definition.name)"])
        await refresh(definition)
    }

    /// Forgets the loaded table, so the next ``table(_:create:)`` loads it again and applies the
    /// storage credentials the catalog vends then (temporary credentials expire; a backfill
    /// reloads once per unit).
    func refresh(_ definition: TableDefinition) {
        loaded[definition.name] = nil
        credentialsExpire[definition.name] = nil
    }

    /// The table if it exists (loaded and evolved), nil when it was not created yet.
    func existingTable(_ definition: TableDefinition) async throws -> Table? {
        do {
            return try await table(definition, create: false)
        } catch let error as CatalogError where error.isMissingTable {
            return nil
        }
    }

    /// Where a data file of a commit goes: `{table}/data/{partition path}/{commit id}-{index}.parquet`
    /// (`{commit id}-deletes-{index}.parquet` for a position delete file).
    nonisolated func dataFileLocation(in table: Table, definition: TableDefinition, key: PartitionKey,
                                      commitId: String, index: Int, deletes: Bool = false) -> String {
        "\(table.metadata.location)/data/\(definition.partitionPath(key))/\(commitId)-\(deletes ? "deletes-" : "")\(index).parquet"
    }

    /// A data file to write: its location, partition and rows, and how to encode it.
    struct PendingFile: Sendable {
        var location: String
        var key: PartitionKey
        var rows: Int
        var encode: @Sendable () async throws -> ParquetFile
        /// The manifest entry of the written file; nil: a data file of the table (``TableDefinition/dataFile(path:key:file:)``).
        var entry: (@Sendable (ParquetFile) -> DataFile)? = nil
    }

    /// Encodes and uploads `files`, `width` at a time (uploads overlap other files' encoding), then
    /// makes them durable together (one file-system sync for local files); returns their data-file
    /// entries in order. Nothing references the files before this returns, so a crash in between
    /// leaves only orphans.
    nonisolated func write(_ files: [PendingFile], definition: TableDefinition, width: Int,
                           metrics: FlushMetrics? = nil) async throws -> [DataFile] {
        let fileIO = self.fileIO
        let written = try await BoundedTasks.map(count: files.count, width: width) { index in
            let file = files[index]
            let encoded = try await file.encode()
            do {
                try await fileIO.writeUnsynced(encoded.bytes, to: file.location)
            } catch {
                metrics?.storageError()
                await self.renewCredentials(after: error, of: definition)
                throw error
            }
            metrics?.wroteFile(bytes: encoded.bytes.count, rows: file.rows)
            return file.entry?(encoded) ?? definition.dataFile(path: file.location, key: file.key, file: encoded)
        }
        do {
            try await fileIO.persist(files.map(\.location))
        } catch {
            metrics?.storageError()
            await renewCredentials(after: error, of: definition)
            throw error
        }
        return written
    }

    /// Appends `files` to the table in one snapshot carrying `commitId` (nothing new when a snapshot
    /// with it is already there); `writerId` as in ``Iceberg/TableAppender``. `tableUUID` is the table they were
    /// written for (its field ids are in them); when the catalog's is another (dropped and created again), the
    /// commit is refused and the table forgotten, so that the next attempt loads and checks it and writes the files
    /// anew.
    func append(_ definition: TableDefinition, files: [DataFile], commitId: String,
                writerId: String? = nil, onlyAppendsSince: Int64? = nil, tableUUID: String) async throws -> AppendResult {
        let result = try await committing(definition) {
            try await appender.append(to: identifier(definition), files: files, commitId: commitId,
                                      writerId: writerId, onlyAppendsSince: onlyAppendsSince, tableUUID: tableUUID)
        }
        prepareMergeIfWanted(identifier(definition))
        return result
    }

    /// Writes the table's next manifest merge ahead of need when an append asked for it
    /// (``Iceberg/ManifestMergeAhead``), on the maintenance thread, so that it takes only the CPU that
    /// requests and flushes leave and the commit that needs it only swaps it in.
    private func prepareMergeIfWanted(_ id: TableIdentifier) {
        guard let mergeAhead = appender.mergeAhead, mergeAhead.startPreparing(id) else { return }
        let appender = appender, logger = logger
        Task {
            await withTaskExecutorPreference(EncodingPool.maintenance) {
                do {
                    try await appender.prepareMerge(in: id)
                } catch {
                    logger.warning("writing a manifest merge ahead failed; appends merge when due",
                                   metadata: ["floe.table": "\(id)", "error.message": "\(error)"])
                }
            }
        }
    }

    /// Replaces live files by `files` in one `replace` snapshot (compaction); as
    /// ``Iceberg/TableAppender/replace(in:removing:adding:commitId:decidedFrom:)``.
    func replace(_ definition: TableDefinition, removing: Set<String>, adding files: [DataFile], commitId: String,
                 decidedFrom base: Int64) async throws -> AppendResult {
        try await committing(definition) {
            try await appender.replace(in: identifier(definition), removing: removing, adding: files,
                                       commitId: commitId, decidedFrom: base)
        }
    }

    /// Runs a commit to the table and keeps the table it returns; forgets the table when it was dropped
    /// meanwhile (the next cycle creates it again).
    private func committing(_ definition: TableDefinition,
                            _ commit: () async throws -> AppendResult) async throws -> AppendResult {
        do {
            let result = try await commit()
            loaded[definition.name] = result.table
            return result
        } catch let error as CatalogError where error.isMissingTable || error.isReplacedTable {
            loaded[definition.name] = nil
            if error.isReplacedTable {
                logger.warning("the table was replaced behind Floe; it is loaded and checked again, and the files written anew",
                               metadata: ["floe.table": "\(definition.name)", "error.message": "\(error)"])
            }
            throw error
        } catch {
            await renewCredentials(after: error, of: definition)
            throw error
        }
    }

    /// The snapshot that committed `commitId`, nil when none did (or the table does not exist).
    func findCommit(_ definition: TableDefinition, commitId: String, writerId: String? = nil) async throws -> Int64? {
        do {
            return try await appender.findCommit(in: identifier(definition), commitId: commitId, writerId: writerId)
        } catch let error as CatalogError where error.isMissingTable {
            loaded[definition.name] = nil
            return nil
        }
    }
}
