import Foundation
public import Logging
import Synchronization

/// A ``Catalog`` speaking the Iceberg REST catalog protocol (`rest-catalog-open-api.yaml`), as served by R2
/// Data Catalog, Polaris, Nessie or Lakekeeper.
///
/// The first call fetches `GET /v1/config?warehouse=` (its `overrides.prefix` shapes every route). Commits send
/// `CommitTableRequest`s with Floe's requirements and updates; failures are classified for ``TableAppender``:
/// 409 → `conflict`, 5xx / timeout / lost connection → `commitStateUnknown`. Reads retry transient failures
/// with jittered backoff. Loads and creates ask for vended credentials, found in ``Table/config`` and
/// ``Table/storageCredentials``. Every method may be called concurrently; tokens and settings are never logged.
///
/// ```swift
/// let catalog = RESTCatalog(configuration: .r2(uri: endpoint, warehouse: warehouse, token: token), logger: logger)
/// let table = try await catalog.loadOrCreateTable(events, schema: schema, partitionSpec: spec)
/// let s3 = table.storageConfig(for: table.metadata.location)   // vended s3.* settings, if any
/// ```
public final class RESTCatalog: Catalog {
    /// The settings this catalog was created with.
    public let configuration: Configuration
    let transport: any RESTTransport
    let logger: Logger
    let tokens: OAuth2TokenProvider?
    private let server = Mutex<RESTServerConfig?>(nil)

    /// Creates a catalog that sends its requests through `transport`; nothing is sent until the first call.
    public init(configuration: Configuration, transport: any RESTTransport, logger: Logger) {
        self.configuration = configuration
        self.transport = transport
        self.logger = logger
        if case .oauth2(let credential) = configuration.authentication {
            let endpoint = credential.tokenEndpoint ?? configuration.properties["oauth2-server-uri"]
                ?? RESTPaths(base: configuration.uri).oauthTokens
            tokens = OAuth2TokenProvider(credential: credential, endpoint: endpoint, transport: transport,
                                         timeout: configuration.timeouts.request)
        } else {
            tokens = nil
        }
    }

    /// The server's settings, fetched once (`GET /v1/config`) and then kept.
    func serverConfig() async throws -> RESTServerConfig {
        if let cached = server.withLock({ $0 }) { return cached }
        let call = Call(operation: .config, method: "GET",
                        url: RESTPaths(base: configuration.uri).config(warehouse: configuration.warehouse))
        let wire = try await send(call, server: nil, as: RESTWire.CatalogConfig.self)
        let resolved = RESTServerConfig(wire, configuration: configuration)
        server.withLock { $0 = resolved }
        logger.debug("loaded catalog configuration", metadata: [
            "iceberg.prefix": "\(resolved.paths.prefix ?? "")",
            "iceberg.idempotency": "\(resolved.idempotencyLifetime != nil)",
        ])
        return resolved
    }

    /// The catalog properties in force: server defaults, then ``Configuration/properties``, then server overrides.
    ///
    /// May hold secrets (a `token`); never log the values.
    public func catalogProperties() async throws -> [String: String] {
        try await serverConfig().properties
    }

    // MARK: Namespaces

    public func createNamespaceIfNeeded(_ namespace: [String]) async throws {
        guard !namespace.isEmpty else { throw CatalogError(.invalidArgument, "namespace is empty") }
        if try await namespaceProperties(namespace) != nil { return }
        do {
            try await createNamespace(namespace)
        } catch let error as CatalogError where error.code == .alreadyExists {
            return
        }
    }

    /// Creates a namespace (`POST /v1/{prefix}/namespaces`).
    ///
    /// - Throws: ``CatalogError`` `alreadyExists` when it exists.
    public func createNamespace(_ namespace: [String], properties: [String: String] = [:]) async throws {
        let server = try await serverConfig()
        let body = try Self.json(RESTWire.CreateNamespaceRequest(namespace: namespace, properties: properties))
        _ = try await send(Call(operation: .createNamespace, method: "POST", url: server.paths.namespaces(), body: body,
                                context: ["namespace": namespace.joined(separator: ".")]), server: server)
        logger.info("created namespace", metadata: ["iceberg.namespace": "\(namespace.joined(separator: "."))"])
    }

    /// The namespace's properties (`GET /v1/{prefix}/namespaces/{namespace}`), or nil when it does not exist.
    public func namespaceProperties(_ namespace: [String]) async throws -> [String: String]? {
        let server = try await serverConfig()
        do {
            return try await send(Call(operation: .loadNamespace, method: "GET", url: server.paths.namespace(namespace),
                                       context: ["namespace": namespace.joined(separator: ".")]),
                                  server: server, as: RESTWire.NamespaceResponse.self).properties ?? [:]
        } catch let error as CatalogError where error.code == .noSuchNamespace {
            return nil
        }
    }

    /// The namespaces directly under `parent` (all top-level ones when nil), following pages.
    public func listNamespaces(parent: [String]? = nil) async throws -> [[String]] {
        let server = try await serverConfig()
        var result: [[String]] = []
        var pageToken: String?
        repeat {
            let page = try await send(Call(operation: .listNamespaces, method: "GET",
                                           url: server.paths.namespaces(parent: parent, pageToken: pageToken)),
                                      server: server, as: RESTWire.ListNamespacesResponse.self)
            result += page.namespaces ?? []
            pageToken = page.nextPageToken.flatMap { $0.isEmpty ? nil : $0 }
        } while pageToken != nil
        return result
    }

    // MARK: Tables

    /// The tables directly in `namespace`, following pages.
    public func listTables(_ namespace: [String]) async throws -> [TableIdentifier] {
        let server = try await serverConfig()
        var result: [TableIdentifier] = []
        var pageToken: String?
        repeat {
            let page = try await send(Call(operation: .listTables, method: "GET",
                                           url: server.paths.tables(in: namespace, pageToken: pageToken),
                                           context: ["namespace": namespace.joined(separator: ".")]),
                                      server: server, as: RESTWire.ListTablesResponse.self)
            result += (page.identifiers ?? []).map { TableIdentifier(namespace: $0.namespace, name: $0.name) }
            pageToken = page.nextPageToken.flatMap { $0.isEmpty ? nil : $0 }
        } while pageToken != nil
        return result
    }

    public func loadTable(_ id: TableIdentifier) async throws -> Table {
        let server = try await serverConfig()
        let result = try await send(Call(operation: .loadTable, method: "GET", url: server.paths.table(id),
                                         delegatesAccess: true, context: ["table": id.description]),
                                    server: server, as: RESTWire.LoadTableResult.self)
        return table(id, result, server: server)
    }

    /// Creates the table; the catalog assigns the location and may renumber field ids and partition field ids,
    /// so use the returned metadata's schema and spec.
    public func createTable(_ id: TableIdentifier, schema: Schema, partitionSpec: PartitionSpec,
                            properties: [String: String]) async throws -> Table {
        let server = try await serverConfig()
        let body = try Self.json(RESTWire.CreateTableRequest(
            name: id.name, location: nil, schema: schema, partitionSpec: partitionSpec, writeOrder: nil,
            stageCreate: false, properties: properties))
        let result = try await send(Call(operation: .createTable, method: "POST", url: server.paths.tables(in: id.namespace),
                                         body: body, delegatesAccess: true, context: ["table": id.description]),
                                    server: server, as: RESTWire.LoadTableResult.self)
        logger.info("created table", metadata: ["floe.table": "\(id)"])
        return table(id, result, server: server)
    }

    /// Drops the table (`DELETE …/tables/{table}`); with `purge`, the catalog also deletes its files.
    ///
    /// - Throws: ``CatalogError`` `noSuchTable`.
    public func dropTable(_ id: TableIdentifier, purge: Bool = false) async throws {
        let server = try await serverConfig()
        _ = try await send(Call(operation: .dropTable, method: "DELETE", url: server.paths.table(id, purgeRequested: purge),
                                context: ["table": id.description]), server: server)
        logger.info("dropped table", metadata: ["floe.table": "\(id)"])
    }

    public func commit(_ id: TableIdentifier, requirements: [TableRequirement], updates: [TableUpdate]) async throws -> Table {
        let server = try await serverConfig()
        let body = try Self.json(RESTWire.CommitTableRequest(
            identifier: RESTWire.TableIdentifierBody(namespace: id.namespace, name: id.name),
            requirements: requirements, updates: updates))
        let result = try await send(Call(operation: .commit, method: "POST", url: server.paths.table(id), body: body,
                                         context: ["table": id.description]),
                                    server: server, as: RESTWire.CommitTableResponse.self)
        return Table(identifier: id, metadataLocation: result.metadataLocation, metadata: result.metadata)
    }

    /// The storage settings for the table's files: its `config` overlaid with the vended credential for its
    /// location (a fresh load, so expiring credentials are renewed).
    public func storageCredentials(for id: TableIdentifier) async throws -> [String: String] {
        let table = try await loadTable(id)
        return table.storageConfig(for: table.metadata.location)
    }

    /// The table with its `config`: the storage settings of the catalog's properties (`s3.*`, `client.*`, as
    /// `GET /v1/config` settled them over the client's), overlaid with the table's own, as pyiceberg merges them.
    private func table(_ id: TableIdentifier, _ result: RESTWire.LoadTableResult, server: RESTServerConfig) -> Table {
        let catalogStorage = server.properties.filter { $0.key.hasPrefix("s3.") || $0.key.hasPrefix("client.") }
        return Table(identifier: id, metadataLocation: result.metadataLocation ?? "", metadata: result.metadata,
                     config: catalogStorage.merging(result.config ?? [:]) { _, table in table },
                     storageCredentials: result.storageCredentials ?? [])
    }
}
