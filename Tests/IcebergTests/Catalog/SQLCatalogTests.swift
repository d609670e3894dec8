import Foundation
@testable import Iceberg
import IcebergTestSupport
import SQLite
import Logging
import Testing

@Suite("SQLCatalog")
struct SQLCatalogTests {
    let directory: String
    let fileIO = MemoryFileIO()
    let catalog: SQLCatalog

    init() throws {
        directory = try Fixtures.temporaryDirectory()
        catalog = try SQLCatalog(databasePath: directory + "/catalog.db", warehouseLocation: "file:///w/warehouse/",
                                 fileIO: fileIO, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    func createEvents(properties: [String: String] = [:]) async throws -> Table {
        try await catalog.createNamespaceIfNeeded(["analytics"])
        return try await catalog.createTable(EventsTable.identifier, schema: EventsTable.schema,
                                             partitionSpec: EventsTable.spec, properties: properties)
    }

    func appendUpdates(to table: Table, id: Int64) -> (requirements: [TableRequirement], updates: [TableUpdate]) {
        let parent = table.metadata.currentSnapshotId
        let snapshot = Snapshot(snapshotId: id, parentSnapshotId: parent, sequenceNumber: table.metadata.lastSequenceNumber + 1,
                                timestampMs: 1, manifestList: "file:///w/snap-\(id).avro", summary: ["operation": "append"],
                                schemaId: 0)
        return ([.assertTableUUID(table.metadata.tableUUID), .assertRefSnapshotID(ref: "main", snapshotId: parent)],
                [.addSnapshot(snapshot), .setSnapshotRef(name: "main", reference: SnapshotReference(snapshotId: id))])
    }

    @Test("creates the JDBC catalog tables exactly as pyiceberg does")
    func schema() throws {
        let connection = try SQLiteDatabase(path: directory + "/catalog.db", busyTimeoutMs: 100)
        let columns = try connection.query("SELECT name FROM pragma_table_info('iceberg_tables') ORDER BY cid")
            .compactMap { $0.first?.text }
        #expect(columns == ["catalog_name", "table_namespace", "table_name", "metadata_location",
                            "previous_metadata_location", "iceberg_type"])
        let keys = try connection.query("SELECT name FROM pragma_table_info('iceberg_namespace_properties') WHERE pk > 0 ORDER BY pk")
            .compactMap { $0.first?.text }
        #expect(keys == ["catalog_name", "namespace", "property_key"])
    }

    @Test("creates, lists and loads a table at {warehouse}/{namespace}/{table}")
    func createAndLoad() async throws {
        let created = try await createEvents()
        #expect(created.metadata.location == "file:///w/warehouse/analytics/events")
        #expect(created.metadataLocation.hasPrefix("file:///w/warehouse/analytics/events/metadata/00000-"))
        #expect(try await fileIO.exists(created.metadataLocation))
        let loaded = try await catalog.loadTable(EventsTable.identifier)
        #expect(loaded == created)
        #expect(try await catalog.listNamespaces() == [["analytics"]])
        #expect(try await catalog.listTables(["analytics"]) == [EventsTable.identifier])
        try await catalog.createNamespaceIfNeeded(["analytics"])
    }

    @Test("missing fields are added by a schema-evolution commit that keeps their ids; a second call changes nothing")
    func schemaEvolution() async throws {
        let created = try await createEvents()
        var wanted = EventsTable.schema
        wanted.fields.append(NestedField(id: 99, name: "source_id", required: true, type: .string))
        let evolved = try await catalog.addingMissingFields(of: wanted, to: created)
        #expect(evolved.metadata.schemas.count == 2 && evolved.metadata.currentSchemaId == 1)
        #expect(evolved.metadata.currentSchema?.field(id: 99)?.required == false)
        #expect(evolved.metadata.currentSchema?.fields.dropLast().map(\.id) == EventsTable.schema.fields.map(\.id))
        #expect(evolved.metadata.lastColumnId >= 99)
        let loaded = try await catalog.loadTable(EventsTable.identifier)
        #expect(loaded.metadata == evolved.metadata)
        let again = try await catalog.addingMissingFields(of: wanted, to: loaded)
        #expect(again.metadataLocation == loaded.metadataLocation)
        // A writer holding the metadata from before the evolution conflicts, reloads and finds nothing to add.
        let stale = try await catalog.addingMissingFields(of: wanted, to: created)
        #expect(stale.metadata.schemas.count == 2)
    }

    @Test("add-schema and set-current-schema round-trip the REST wire format")
    func schemaUpdatesCodable() throws {
        let updates: [TableUpdate] = [.addSchema(Schema(schemaId: 3, fields: [NestedField(id: 1, name: "a", required: false, type: .string)]),
                                                 lastColumnId: 7),
                                      .setCurrentSchema(-1)]
        let data = try JSONEncoder().encode(updates)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"action\":\"add-schema\"") && text.contains("\"last-column-id\":7"))
        #expect(text.contains("\"action\":\"set-current-schema\"") && text.contains("\"schema-id\":-1"))
        #expect(try JSONDecoder().decode([TableUpdate].self, from: data) == updates)
    }

    @Test("missing tables, missing namespaces and duplicates are classified")
    func errors() async throws {
        await #expect { try await catalog.loadTable(EventsTable.identifier) } throws: { ($0 as? CatalogError)?.code == .noSuchTable }
        await #expect {
            try await catalog.createTable(EventsTable.identifier, schema: EventsTable.schema, partitionSpec: EventsTable.spec, properties: [:])
        } throws: { ($0 as? CatalogError)?.code == .noSuchNamespace }
        _ = try await createEvents()
        await #expect {
            try await catalog.createTable(EventsTable.identifier, schema: EventsTable.schema, partitionSpec: EventsTable.spec, properties: [:])
        } throws: { ($0 as? CatalogError)?.code == .alreadyExists }
    }

    @Test("a commit writes the next metadata version and swaps the row")
    func commit() async throws {
        let table = try await createEvents()
        let (requirements, updates) = appendUpdates(to: table, id: 7)
        let committed = try await catalog.commit(EventsTable.identifier, requirements: requirements, updates: updates)
        #expect(committed.metadataLocation.contains("/metadata/00001-"))
        #expect(committed.metadata.currentSnapshotId == 7)
        #expect(committed.metadata.metadataLog.map(\.metadataFile) == [table.metadataLocation])
        #expect(try await catalog.loadTable(EventsTable.identifier) == committed)
    }

    @Test("metadata is decoded once per location: a commit's own is kept, another writer's is read")
    func metadataCache() async throws {
        let table = try await createEvents()
        let first = appendUpdates(to: table, id: 7)
        let committed = try await catalog.commit(EventsTable.identifier, requirements: first.requirements, updates: first.updates)
        // The file under the committed location is no longer read: what this catalog committed is kept.
        try await fileIO.write(Array("not json".utf8), to: committed.metadataLocation)
        #expect(try await catalog.loadTable(EventsTable.identifier) == committed)
        let other = try SQLCatalog(databasePath: directory + "/catalog.db", warehouseLocation: "file:///w/warehouse/",
                                   fileIO: fileIO, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        await #expect { try await other.loadTable(EventsTable.identifier) } throws: { ($0 as? CatalogError)?.code == .invalidMetadata }
        // Another writer's commit moves the row: the next load reads the new file.
        try await fileIO.write(try committed.metadata.jsonBytes(), to: committed.metadataLocation)
        let second = appendUpdates(to: committed, id: 8)
        _ = try await other.commit(EventsTable.identifier, requirements: second.requirements, updates: second.updates)
        #expect(try await catalog.loadTable(EventsTable.identifier).metadata.currentSnapshotId == 8)
    }

    @Test("a stale commit is a conflict and changes nothing")
    func conflict() async throws {
        let table = try await createEvents()
        let first = appendUpdates(to: table, id: 7)
        _ = try await catalog.commit(EventsTable.identifier, requirements: first.requirements, updates: first.updates)
        let stale = appendUpdates(to: table, id: 8)
        await #expect {
            try await catalog.commit(EventsTable.identifier, requirements: stale.requirements, updates: stale.updates)
        } throws: { ($0 as? CatalogError)?.code == .conflict }
        #expect(try await catalog.loadTable(EventsTable.identifier).metadata.currentSnapshotId == 7)
    }

    @Test("the metadata log keeps previous-versions-max entries and deletes the rest when asked")
    func metadataLog() async throws {
        var table = try await createEvents(properties: [
            TableProperty.metadataPreviousVersionsMax: "2", TableProperty.metadataDeleteAfterCommit: "true",
        ])
        var locations = [table.metadataLocation]
        for id in Int64(1)...4 {
            let (requirements, updates) = appendUpdates(to: table, id: id)
            table = try await catalog.commit(EventsTable.identifier, requirements: requirements, updates: updates)
            locations.append(table.metadataLocation)
        }
        #expect(table.metadata.metadataLog.map(\.metadataFile) == Array(locations[2...3]))
        #expect(try await fileIO.exists(locations[0]) == false)
        #expect(try await fileIO.exists(locations[1]) == false)
        #expect(try await fileIO.exists(locations[2]))
        #expect(table.metadataLocation.contains("/metadata/00004-"))
    }

    @Test("metadata versions are parsed from file names", arguments: [
        ("file:///t/metadata/00012-abc.metadata.json", Optional(12)), ("/t/metadata/v3.metadata.json", nil),
    ])
    func versions(location: String, version: Int?) {
        #expect(SQLCatalog.metadataVersion(of: location) == version)
    }
}
