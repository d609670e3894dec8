import Foundation
import NIOPosix
import SQLite
public import Logging
import FloeSupport

/// The embedded catalog: one SQLite file with the Iceberg JDBC catalog schema, readable and writable by
/// pyiceberg's `SqlCatalog` and Java's `JdbcCatalog`.
///
/// A commit writes `{location}/metadata/{version:05d}-{uuid}.metadata.json` through the ``FileIO``, then swaps
/// the table row's `metadata_location` with a compare-and-set `UPDATE`; zero rows changed is a conflict.
/// Each call opens its own connection (busy timeout ``defaultBusyTimeoutMs``) on NIO's blocking-I/O thread pool
/// and closes it there, so calls may run concurrently, with each other and with other processes, and a call
/// waiting for another process's lock holds up no Swift task but its own.
///
/// ```swift
/// let catalog = try SQLCatalog(databasePath: "floe-data/catalog.db",
///                              warehouseLocation: "file:///srv/floe-data/warehouse",
///                              fileIO: LocalFileIO(), logger: logger)
/// let table = try await catalog.loadTable(TableIdentifier(namespace: ["analytics"], name: "events"))
/// ```
public final class SQLCatalog: Catalog {
    /// How long a call waits for another writer's lock before failing, in milliseconds: 5000.
    public static let defaultBusyTimeoutMs: Int32 = 5000

    public let databasePath: String
    public let catalogName: String
    /// The URI under which table locations are assigned: `{warehouse}/{namespace}/{table}`.
    public let warehouseLocation: String
    let fileIO: any FileIO
    let logger: Logger
    private let hasTypeColumn: Bool
    /// Each table's metadata as last read or committed here, so a commit decodes it only after another writer's.
    let metadataCache = TableMetadataCache()

    /// Opens the catalog database, creating the file and the catalog tables if absent.
    ///
    /// - Throws: ``CatalogError`` `database` when the file cannot be opened or initialised.
    public init(databasePath: String, catalogName: String = "floe", warehouseLocation: String, fileIO: any FileIO,
                logger: Logger) throws {
        self.databasePath = databasePath
        self.catalogName = catalogName
        self.warehouseLocation = warehouseLocation.hasSuffix("/") ? String(warehouseLocation.dropLast()) : warehouseLocation
        self.fileIO = fileIO
        self.logger = logger
        let connection = try Self.open(databasePath)
        do {
            try connection.execute(Self.schemaDDL)
            do {
                try connection.query("SELECT iceberg_type FROM iceberg_tables LIMIT 0")
                hasTypeColumn = true
            } catch {
                hasTypeColumn = false
            }
        } catch let failure as SQLiteError {
            throw Self.databaseError("creating the catalog tables failed", failure)
        }
    }

    /// The JDBC catalog schema exactly as pyiceberg's `SqlCatalog` creates it (v1, with `iceberg_type`).
    static let schemaDDL = """
        CREATE TABLE IF NOT EXISTS iceberg_tables (
        \tcatalog_name VARCHAR(255) NOT NULL,\u{20}
        \ttable_namespace VARCHAR(255) NOT NULL,\u{20}
        \ttable_name VARCHAR(255) NOT NULL,\u{20}
        \tmetadata_location VARCHAR(1000),\u{20}
        \tprevious_metadata_location VARCHAR(1000),\u{20}
        \ticeberg_type VARCHAR(5),\u{20}
        \tPRIMARY KEY (catalog_name, table_namespace, table_name)
        );
        CREATE TABLE IF NOT EXISTS iceberg_namespace_properties (
        \tcatalog_name VARCHAR(255) NOT NULL,\u{20}
        \tnamespace VARCHAR(255) NOT NULL,\u{20}
        \tproperty_key VARCHAR(255) NOT NULL,\u{20}
        \tproperty_value VARCHAR(1000) NOT NULL,\u{20}
        \tPRIMARY KEY (catalog_name, namespace, property_key)
        );
        """

    private static func open(_ path: String) throws -> SQLiteDatabase {
        do {
            return try SQLiteDatabase(path: path, busyTimeoutMs: defaultBusyTimeoutMs)
        } catch let failure as SQLiteError {
            throw databaseError("opening the catalog database failed", failure)
        }
    }

    private static func databaseError(_ message: String, _ failure: SQLiteError, context: [String: String] = [:]) -> CatalogError {
        var context = context
        context["sqlite_code"] = String(failure.code)
        context["sqlite_message"] = failure.message
        return CatalogError(.database, message, context: context)
    }

    /// Runs `body` on a fresh connection on NIO's blocking-I/O thread pool, converting SQLite failures.
    ///
    /// SQLite blocks: an fsync when a write commits, and up to ``defaultBusyTimeoutMs`` while another
    /// process (a second Floe, pyiceberg, a `sqlite3` shell) holds the database's lock. On one of the
    /// few threads Swift tasks run on, that wait would hold up every request the server answers.
    private func withConnection<T: Sendable>(_ message: String, context: [String: String] = [:],
                                             _ body: @escaping @Sendable (SQLiteDatabase) throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive {
            let connection = try Self.open(self.databasePath)
            do {
                return try body(connection)
            } catch let failure as SQLiteError {
                throw Self.databaseError(message, failure, context: context)
            }
        }
    }

    private var typeFilter: String { hasTypeColumn ? " AND (iceberg_type = 'TABLE' OR iceberg_type IS NULL)" : "" }

    // MARK: Namespaces

    /// Whether the namespace exists: it has properties, or a table lives in it or below it.
    public func namespaceExists(_ namespace: [String]) async throws -> Bool {
        let name = namespace.joined(separator: ".")
        let pattern = name.replacingOccurrences(of: "!", with: "!!").replacingOccurrences(of: "_", with: "!_")
            .replacingOccurrences(of: "%", with: "!%") + ".%"
        return try await withConnection("reading namespaces failed") { connection in
            let tables = try connection.query("""
                SELECT 1 FROM iceberg_tables WHERE catalog_name = ? AND (table_namespace = ? OR table_namespace LIKE ? ESCAPE '!') LIMIT 1
                """, [.text(self.catalogName), .text(name), .text(pattern)])
            if !tables.isEmpty { return true }
            let properties = try connection.query("""
                SELECT 1 FROM iceberg_namespace_properties WHERE catalog_name = ? AND (namespace = ? OR namespace LIKE ? ESCAPE '!') LIMIT 1
                """, [.text(self.catalogName), .text(name), .text(pattern)])
            return !properties.isEmpty
        }
    }

    public func createNamespaceIfNeeded(_ namespace: [String]) async throws {
        guard !namespace.isEmpty else {
            throw CatalogError(.invalidArgument, "namespace is empty")
        }
        if try await namespaceExists(namespace) { return }
        _ = try await withConnection("creating the namespace failed") { connection in
            try connection.query("""
                INSERT OR IGNORE INTO iceberg_namespace_properties (catalog_name, namespace, property_key, property_value)
                VALUES (?, ?, 'exists', 'true')
                """, [.text(self.catalogName), .text(namespace.joined(separator: "."))])
        }
    }

    /// The top-level namespaces, sorted.
    public func listNamespaces() async throws -> [[String]] {
        return try await withConnection("listing namespaces failed") { connection in
            let rows = try connection.query("""
                SELECT table_namespace FROM iceberg_tables WHERE catalog_name = ?
                UNION SELECT namespace FROM iceberg_namespace_properties WHERE catalog_name = ?
                """, [.text(self.catalogName), .text(self.catalogName)])
            let names = Set(rows.compactMap { $0.first?.text?.split(separator: ".").first.map(String.init) })
            return names.sorted().map { [$0] }
        }
    }

    /// The tables directly in `namespace`, sorted by name.
    public func listTables(_ namespace: [String]) async throws -> [TableIdentifier] {
        return try await withConnection("listing tables failed") { connection in
            try connection.query("""
                SELECT table_name FROM iceberg_tables WHERE catalog_name = ? AND table_namespace = ?\(self.typeFilter)
                ORDER BY table_name
                """, [.text(self.catalogName), .text(namespace.joined(separator: "."))])
                .compactMap { $0.first?.text.map { TableIdentifier(namespace: namespace, name: $0) } }
        }
    }

    // MARK: Tables

    /// The current metadata location of a table, or nil if the catalog has no such table.
    func metadataLocation(of id: TableIdentifier) async throws -> String? {
        return try await withConnection("loading the table failed", context: ["table": id.description]) { connection in
            try connection.query("""
                SELECT metadata_location FROM iceberg_tables
                WHERE catalog_name = ? AND table_namespace = ? AND table_name = ?\(self.typeFilter)
                """, [.text(self.catalogName), .text(id.namespaceString), .text(id.name)]).first?.first?.text
        }
    }

    private func readMetadata(_ location: String, table id: TableIdentifier) async throws -> TableMetadata {
        let bytes: [UInt8]
        do {
            bytes = try await fileIO.read(location)
        } catch let error as FileIOError {
            throw CatalogError(.io, "reading table metadata failed",
                               context: ["table": id.description, "location": location], underlying: error)
        }
        do {
            return try TableMetadata.decode(jsonBytes: bytes)
        } catch {
            throw CatalogError(.invalidMetadata, "table metadata is not valid JSON for the v2 spec",
                               context: ["table": id.description, "location": location], underlying: error)
        }
    }

    public func loadTable(_ id: TableIdentifier) async throws -> Table {
        guard let location = try await metadataLocation(of: id) else {
            throw CatalogError(.noSuchTable, "table does not exist", context: ["table": id.description])
        }
        if let cached = metadataCache.metadata(of: id, at: location) {
            return Table(identifier: id, metadataLocation: location, metadata: cached)
        }
        let metadata = try await readMetadata(location, table: id)
        metadataCache.store(metadata, of: id, at: location)
        return Table(identifier: id, metadataLocation: location, metadata: metadata)
    }

    /// `{warehouse}/{namespace levels}/{table}`.
    public func defaultLocation(of id: TableIdentifier) -> String {
        ([warehouseLocation] + id.namespace + [id.name]).joined(separator: "/")
    }

    static func metadataFileLocation(_ metadata: TableMetadata, version: Int) -> String {
        let directory = metadata.properties[TableProperty.metadataPath].map {
            $0.hasSuffix("/") ? String($0.dropLast()) : $0
        } ?? metadata.location + "/metadata"
        let number = String(version)
        let padded = String(repeating: "0", count: max(0, 5 - number.count)) + number
        return "\(directory)/\(padded)-\(UUID().uuidString.lowercased()).metadata.json"
    }

    /// The version number at the start of a metadata file name (`00012-….metadata.json` → 12), or nil.
    static func metadataVersion(of location: String) -> Int? {
        let name = location.split(separator: "/").last ?? ""
        guard let dash = name.firstIndex(of: "-") else { return nil }
        return Int(name[..<dash])
    }

    public func createTable(_ id: TableIdentifier, schema: Schema, partitionSpec: PartitionSpec,
                            properties: [String: String]) async throws -> Table {
        let context = ["table": id.description]
        guard try await namespaceExists(id.namespace) else {
            throw CatalogError(.noSuchNamespace, "namespace does not exist", context: context)
        }
        if try await metadataLocation(of: id) != nil {
            throw CatalogError(.alreadyExists, "table already exists", context: context)
        }
        try await refuseForeignMetadata(at: defaultLocation(of: id), table: id)
        let metadata = TableMetadata(location: defaultLocation(of: id), schema: schema, partitionSpec: partitionSpec,
                                     properties: properties, lastUpdatedMs: WallClock.nowMillis())
        let location = Self.metadataFileLocation(metadata, version: 0)
        try await writeMetadata(metadata, to: location, table: id)
        let inserted: Bool = try await withConnection("creating the table failed", context: context) { connection in
            do {
                if self.hasTypeColumn {
                    try connection.query("""
                        INSERT INTO iceberg_tables (catalog_name, table_namespace, table_name, metadata_location,
                        previous_metadata_location, iceberg_type) VALUES (?, ?, ?, ?, NULL, 'TABLE')
                        """, [.text(self.catalogName), .text(id.namespaceString), .text(id.name), .text(location)])
                } else {
                    try connection.query("""
                        INSERT INTO iceberg_tables (catalog_name, table_namespace, table_name, metadata_location,
                        previous_metadata_location) VALUES (?, ?, ?, ?, NULL)
                        """, [.text(self.catalogName), .text(id.namespaceString), .text(id.name), .text(location)])
                }
                return true
            } catch let failure as SQLiteError where failure.isConstraint {
                return false
            }
        }
        guard inserted else {
            try? await fileIO.delete(location)
            throw CatalogError(.alreadyExists, "table already exists", context: context)
        }
        logger.info("created table", metadata: ["floe.table": "\(id)", "iceberg.metadata_location": "\(location)"])
        return Table(identifier: id, metadataLocation: location, metadata: metadata)
    }

    /// How old a metadata file at a new table's location must be to be another catalog's rather than that of a
    /// creation of the same table running at the same time.
    static let foreignMetadataAge: TimeInterval = 60

    /// Refuses to create a table where metadata files of a table this catalog does not know already lie: another
    /// embedded catalog (another data directory) with the same warehouse, or a catalog.db removed and made again.
    /// Created there, each catalog's orphan removal would delete the other's files.
    private func refuseForeignMetadata(at location: String, table id: TableIdentifier) async throws {
        let metadata = location.hasSuffix("/") ? location + "metadata/" : location + "/metadata/"
        let files = (try? await fileIO.listFiles(prefix: metadata)) ?? []
        let cutoff = Date().addingTimeInterval(-Self.foreignMetadataAge)
        guard let foreign = files.first(where: {
            $0.location.hasSuffix(".metadata.json") && ($0.lastModified ?? .distantPast) < cutoff
        }) else { return }
        guard try await metadataLocation(of: id) == nil else { return }
        throw CatalogError(.invalidArgument, """
            the warehouse already holds metadata of a table at this location that this catalog does not know: another \
            embedded catalog (catalog.db of another data directory) uses the same warehouse, or catalog.db was made \
            again; give each embedded catalog its own warehouse, or share a REST catalog (docs/scaling.md)
            """, context: ["table": id.description, "location": foreign.location])
    }

    private func writeMetadata(_ metadata: TableMetadata, to location: String, table id: TableIdentifier) async throws {
        do {
            try await fileIO.write(try metadata.jsonBytes(), to: location)
        } catch let error as FileIOError {
            throw CatalogError(.io, "writing table metadata failed",
                               context: ["table": id.description, "location": location], underlying: error)
        }
    }

}
