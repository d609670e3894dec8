@testable import Collector
import Foundation
@testable import Iceberg
import IcebergTestSupport
import Logging
import Testing

/// A table another writer created is written only when its field ids, types and partitioning are Floe's.
@Suite("Table compatibility")
struct TableCompatibilityTests {
    let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
    let definition = TableDefinition.events

    func writer(creating schema: Schema, spec: PartitionSpec, name: String = TableDefinition.events.name) async throws -> (TableWriter, SQLCatalog) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("compat-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let catalog = try SQLCatalog(databasePath: directory + "/catalog.db",
                                     warehouseLocation: "file:///w", fileIO: MemoryFileIO(), logger: logger)
        let id = TableIdentifier(namespace: ["analytics"], name: name)
        try await catalog.createNamespaceIfNeeded(["analytics"])
        _ = try await catalog.createTable(id, schema: schema, partitionSpec: spec, properties: [:])
        return (TableWriter(catalog: catalog, fileIO: MemoryFileIO(), namespace: ["analytics"], tableProperties: [:],
                            instanceId: nil, logger: logger), catalog)
    }

    @Test("Floe's own schema and spec, and a table that only lacks columns, are written (evolved)")
    func compatible() async throws {
        #expect(definition.incompatibilities(with: try await writer(creating: definition.icebergSchema, spec: definition.partitionSpec)
            .1.loadTable(TableIdentifier(namespace: ["analytics"], name: definition.name)).metadata).isEmpty)
        let fewer = Schema(schemaId: 0, fields: definition.icebergSchema.fields.filter { $0.name != "source_id" })
        let (writer, _) = try await writer(creating: fewer, spec: definition.partitionSpec)
        let table = try await writer.table(definition)
        #expect(table.metadata.currentSchema?.fields.contains { $0.name == "source_id" } == true)
    }

    @Test("a table with other field ids (a REST catalog's fresh ids) is written with its ids, taken by name")
    func otherIds() async throws {
        var fields = definition.icebergSchema.fields
        (fields[0].id, fields[1].id) = (fields[1].id, fields[0].id)  // message_id and type swapped
        var spec = definition.partitionSpec
        spec.fields[0].sourceId = fields[1].id  // the identity partition reads `type`, by its id in this table
        let (writer, _) = try await writer(creating: Schema(schemaId: 0, fields: fields), spec: spec)
        let table = try await writer.table(definition)
        let written = definition.withFieldIds(of: table.metadata)
        #expect(written.columns[0].name == "message_id" && written.columns[0].id == 2)
        #expect(written.parquetSchema.fields[1].fieldId == 1)

        // What pyiceberg's and Java's fresh ids give `cloudevents`: top-level columns 1...n first, then the map's.
        let cloud = TableDefinition.cloudEvents
        var next: Int32 = 0
        var fresh = cloud.icebergSchema.fields.map { field -> NestedField in
            next += 1
            var copy = field
            copy.id = next
            return copy
        }
        for index in fresh.indices {
            if case .map(_, let key, _, let value, let valueRequired) = fresh[index].type {
                fresh[index].type = .map(keyId: next + 1, key: key, valueId: next + 2, value: value, valueRequired: valueRequired)
                next += 2
            }
        }
        let metadataOnly = try await self.writer(creating: Schema(schemaId: 0, fields: fresh), spec: cloud.partitionSpec,
                                                 name: cloud.name).1
            .loadTable(TableIdentifier(namespace: ["analytics"], name: cloud.name)).metadata
        #expect(cloud.incompatibilities(with: metadataOnly).isEmpty)
        let remapped = cloud.withFieldIds(of: metadataOnly)
        #expect(remapped.icebergSchema.fields.map(\.id) == fresh.map(\.id))
        #expect(remapped.icebergSchema.fields.map(\.type) == fresh.map(\.type))
    }

    @Test("other types or partitioning are refused before anything is written or evolved")
    func refused() async throws {
        var (writer, catalog) = try await writer(creating: Schema(schemaId: 0, fields: definition.icebergSchema.fields
            .filter { $0.name != "source_id" }), spec: { var spec = definition.partitionSpec; spec.fields[1].transform = "day"; return spec }())
        let id = TableIdentifier(namespace: ["analytics"], name: definition.name)
        await #expect { try await writer.table(definition) } throws: { error in
            (error as? CatalogError)?.message.contains("partitioned by [identity(type), day(timestamp)]") == true
        }
        #expect(try await catalog.loadTable(id).metadata.schemas.count == 1, "a refused table is not evolved")

        var typed = definition.icebergSchema.fields
        typed[typed.firstIndex { $0.name == "timestamp" } ?? 0].type = .timestamp
        (writer, _) = try await self.writer(creating: Schema(schemaId: 0, fields: typed), spec: definition.partitionSpec)
        await #expect { try await writer.table(definition) } throws: { error in
            (error as? CatalogError)?.message.contains("column timestamp is timestamp; Floe writes timestamptz") == true
        }
    }
}

/// A catalog that vends credentials with an expiry on every load, and counts the loads.
final class VendingCatalog: Catalog, @unchecked Sendable {
    // @unchecked: the count is only read after the awaited calls that change it.
    let base: SQLCatalog
    let expiresAtMs: Int64
    private(set) var loads = 0

    init(base: SQLCatalog, expiresAtMs: Int64) {
        self.base = base
        self.expiresAtMs = expiresAtMs
    }

    func createNamespaceIfNeeded(_ namespace: [String]) async throws { try await base.createNamespaceIfNeeded(namespace) }
    func loadTable(_ id: TableIdentifier) async throws -> Table {
        loads += 1
        var table = try await base.loadTable(id)
        table.config = ["s3.session-token-expires-at-ms": String(expiresAtMs)]
        return table
    }
    func createTable(_ id: TableIdentifier, schema: Schema, partitionSpec: PartitionSpec,
                     properties: [String: String]) async throws -> Table {
        try await base.createTable(id, schema: schema, partitionSpec: partitionSpec, properties: properties)
    }
    func commit(_ id: TableIdentifier, requirements: [TableRequirement], updates: [TableUpdate]) async throws -> Table {
        try await base.commit(id, requirements: requirements, updates: updates)
    }
}

@Suite("Vended credentials renewal")
struct CredentialsRenewalTests {
    let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    func catalog(expiresInSeconds: Int64) async throws -> VendingCatalog {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("renew-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let base = try SQLCatalog(databasePath: directory + "/catalog.db", warehouseLocation: "file:///w",
                                  fileIO: MemoryFileIO(), logger: logger)
        try await base.createNamespaceIfNeeded(["analytics"])
        _ = try await base.createTable(TableIdentifier(namespace: ["analytics"], name: "events"),
                                       schema: TableDefinition.events.icebergSchema,
                                       partitionSpec: TableDefinition.events.partitionSpec, properties: [:])
        return VendingCatalog(base: base, expiresAtMs: (Int64(Date().timeIntervalSince1970) + expiresInSeconds) * 1000)
    }

    func writer(_ catalog: VendingCatalog, renewalInterval: Duration) -> TableWriter {
        TableWriter(catalog: catalog, fileIO: MemoryFileIO(), namespace: ["analytics"], tableProperties: [:],
                    instanceId: nil, logger: logger, credentialsRenewalInterval: renewalInterval)
    }

    @Test("credentials that expire within five minutes are renewed by loading the table again, at most once an interval")
    func renewal() async throws {
        let soon = try await catalog(expiresInSeconds: 60)
        let eager = writer(soon, renewalInterval: .zero)
        _ = try await eager.table(.events)
        let first = soon.loads
        _ = try await eager.table(.events)
        _ = try await eager.table(.events)
        #expect(soon.loads == first + 2)

        let paced = writer(soon, renewalInterval: .seconds(30))
        _ = try await paced.table(.events)
        let again = soon.loads
        _ = try await paced.table(.events)
        #expect(soon.loads == again, "loaded again within the interval")

        let later = try await catalog(expiresInSeconds: 3_600)
        let calm = writer(later, renewalInterval: .zero)
        _ = try await calm.table(.events)
        let loaded = later.loads
        _ = try await calm.table(.events)
        #expect(later.loads == loaded, "credentials an hour from expiry are kept")
    }
}
