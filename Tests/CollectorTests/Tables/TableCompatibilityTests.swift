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

    func writer(creating schema: Schema, spec: PartitionSpec) async throws -> (TableWriter, SQLCatalog) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("compat-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let catalog = try SQLCatalog(databasePath: directory + "/catalog.db",
                                     warehouseLocation: "file:///w", fileIO: MemoryFileIO(), logger: logger)
        let id = TableIdentifier(namespace: ["analytics"], name: definition.name)
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

    @Test("other field ids, types or partitioning are refused before anything is written or evolved")
    func refused() async throws {
        var fields = definition.icebergSchema.fields.filter { $0.name != "source_id" }
        (fields[0].id, fields[1].id) = (fields[1].id, fields[0].id)  // message_id and type swapped
        var (writer, catalog) = try await writer(creating: Schema(schemaId: 0, fields: fields), spec: definition.partitionSpec)
        await #expect { try await writer.table(definition) } throws: { error in
            let error = try #require(error as? CatalogError)
            return error.code == .rejected && error.message.contains("column message_id has field id 2; Floe writes it with id 1")
        }
        let id = TableIdentifier(namespace: ["analytics"], name: definition.name)
        #expect(try await catalog.loadTable(id).metadata.schemas.count == 1, "a refused table is not evolved")

        var daily = definition.partitionSpec
        daily.fields[1].transform = "day"
        (writer, _) = try await self.writer(creating: definition.icebergSchema, spec: daily)
        await #expect { try await writer.table(definition) } throws: { error in
            (error as? CatalogError)?.message.contains("partitioned by [identity(type), day(timestamp)]") == true
        }

        var typed = definition.icebergSchema.fields
        typed[typed.firstIndex { $0.name == "timestamp" } ?? 0].type = .timestamp
        (writer, _) = try await self.writer(creating: Schema(schemaId: 0, fields: typed), spec: definition.partitionSpec)
        await #expect { try await writer.table(definition) } throws: { error in
            (error as? CatalogError)?.message.contains("column timestamp is timestamp; Floe writes timestamptz") == true
        }
    }
}
