/// How tables are found, created and committed to; mirrors the REST catalog's operations.
///
/// Implementations: ``SQLCatalog`` (embedded SQLite, the JDBC catalog schema) and ``RESTCatalog`` (the Iceberg REST protocol, R2 Data Catalog).
/// Every method may be called concurrently.
public protocol Catalog: Sendable {
    /// Creates the namespace unless it exists.
    func createNamespaceIfNeeded(_ namespace: [String]) async throws
    /// The table's current metadata. Throws ``CatalogError`` `noSuchTable`.
    func loadTable(_ id: TableIdentifier) async throws -> Table
    /// Creates an empty v2 table at a location the catalog assigns, keeping the schema's field ids and the
    /// spec's partition field ids. Throws ``CatalogError`` `alreadyExists` or `noSuchNamespace`.
    func createTable(_ id: TableIdentifier, schema: Schema, partitionSpec: PartitionSpec,
                     properties: [String: String]) async throws -> Table
    /// Checks `requirements` against the current metadata and applies `updates` atomically (REST `CommitTableRequest`).
    ///
    /// - Throws: ``CatalogError`` `conflict` when a requirement fails or another writer won (nothing applied),
    ///   `commitStateUnknown` when the outcome cannot be known, `noSuchTable`, or others for fatal errors.
    func commit(_ id: TableIdentifier, requirements: [TableRequirement], updates: [TableUpdate]) async throws -> Table
}

extension Catalog {
    /// Loads the table, creating it (and its namespace) first if it does not exist yet.
    public func loadOrCreateTable(_ id: TableIdentifier, schema: Schema, partitionSpec: PartitionSpec,
                                  properties: [String: String] = [:]) async throws -> Table {
        do {
            return try await loadTable(id)
        } catch let error as CatalogError where error.code == .noSuchTable {
            try await createNamespaceIfNeeded(id.namespace)
            do {
                return try await createTable(id, schema: schema, partitionSpec: partitionSpec, properties: properties)
            } catch let error as CatalogError where error.code == .alreadyExists {
                return try await loadTable(id)
            }
        }
    }
}
