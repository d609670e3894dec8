import Foundation
@testable import Iceberg
import IcebergTestSupport
import Logging
import Testing

/// Position delete files committed through ``TableAppender``: a delete manifest, a `delete` snapshot,
/// totals, and manifests that later appends and merges keep.
@Suite("Position delete commits")
struct PositionDeleteCommitTests {
    let fileIO = MemoryFileIO()
    let catalog: SQLCatalog
    let table = EventsTable.identifier
    static let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    init() throws {
        catalog = try SQLCatalog(databasePath: try Fixtures.temporaryDirectory() + "/catalog.db",
                                 warehouseLocation: "file:///w", fileIO: fileIO, logger: Self.logger)
    }

    func deleteFile(_ location: String, rows: Int64) -> DataFile {
        DataFile(filePath: location, partition: [.string("track"), .int(473352)], recordCount: rows, fileSizeInBytes: 300,
                 content: .positionDeletes)
    }

    @Test("a delete commit writes a delete manifest and a delete snapshot; appends and merges keep it")
    func deleteCommit() async throws {
        _ = try await catalog.loadOrCreateTable(table, schema: EventsTable.schema, partitionSpec: EventsTable.spec,
                                                properties: [TableProperty.manifestMinCountToMerge: "2"])
        let appender = TableAppender(catalog: catalog, fileIO: fileIO, logger: Self.logger)
        let data = EventsTable.dataFile(location: "file:///w/analytics/events/data/a.parquet", type: "track", hour: 473352, rows: 10)
        _ = try await appender.append(to: table, files: [data], commitId: "a")
        let deleted = try await appender.append(to: table, files: [deleteFile("file:///w/analytics/events/data/d.parquet", rows: 3)],
                                                commitId: "d")
        var snapshot = try #require(deleted.table.metadata.currentSnapshot)
        #expect(snapshot.summary["operation"] == "delete")
        #expect(snapshot.summary["added-position-deletes"] == "3" && snapshot.summary["added-delete-files"] == "1")
        #expect(snapshot.summary["total-position-deletes"] == "3" && snapshot.summary["total-delete-files"] == "1")
        #expect(snapshot.summary["total-records"] == "10" && snapshot.summary["total-data-files"] == "1")
        var live = try await TableMaintenance(catalog: catalog, fileIO: fileIO, logger: Self.logger).liveFiles(of: deleted.table, id: table)
        #expect(live.filter { $0.content == .positionDeletes }.map(\.location) == ["file:///w/analytics/events/data/d.parquet"])
        #expect(live.first { $0.content == .positionDeletes }?.sequenceNumber == snapshot.sequenceNumber)

        // Appends after it (with merging at 2 manifests) keep the delete manifest as it is.
        for tag in ["b", "c", "e"] {
            _ = try await appender.append(to: table, files: [EventsTable.dataFile(
                location: "file:///w/analytics/events/data/\(tag).parquet", type: "page", hour: 473353, rows: 5)], commitId: tag)
        }
        let current = try await catalog.loadTable(table)
        snapshot = try #require(current.metadata.currentSnapshot)
        #expect(snapshot.summary["operation"] == "append" && snapshot.summary["total-position-deletes"] == "3")
        let manifests = try ManifestListReader.read(try await fileIO.read(snapshot.manifestList))
        #expect(manifests.filter { $0.content == .deletes }.count == 1)
        live = try await TableMaintenance(catalog: catalog, fileIO: fileIO, logger: Self.logger).liveFiles(of: current, id: table)
        #expect(live.filter { $0.content == .data }.count == 4 && live.filter { $0.content == .positionDeletes }.count == 1)
    }

    @Test("deletes decided from a snapshot commit over later appends, and are refused after anything else")
    func onlyAppendsSince() async throws {
        _ = try await catalog.loadOrCreateTable(table, schema: EventsTable.schema, partitionSpec: EventsTable.spec)
        let appender = TableAppender(catalog: catalog, fileIO: fileIO, logger: Self.logger)
        let data = { (tag: String) in
            EventsTable.dataFile(location: "file:///w/analytics/events/data/\(tag).parquet", type: "track", hour: 473352, rows: 4)
        }
        let listed = try await appender.append(to: table, files: [data("a")], commitId: "a").snapshotId
        _ = try await appender.append(to: table, files: [data("b")], commitId: "b")
        _ = try await appender.append(to: table, files: [deleteFile("file:///w/d1.parquet", rows: 1)], commitId: "d1",
                                      onlyAppendsSince: listed)
        // d1 is a delete: deletes decided from `listed` may now name rows that are gone.
        await #expect(throws: CatalogError.self) {
            _ = try await appender.append(to: table, files: [deleteFile("file:///w/d2.parquet", rows: 1)], commitId: "d2",
                                          onlyAppendsSince: listed)
        }
        let current = try await catalog.loadTable(table)
        #expect(current.metadata.currentSnapshot?.summary["floe.commit-id"] == "d1")
    }

    @Test("data files and delete files cannot share one commit")
    func mixedCommitRefused() async throws {
        _ = try await catalog.loadOrCreateTable(table, schema: EventsTable.schema, partitionSpec: EventsTable.spec)
        let appender = TableAppender(catalog: catalog, fileIO: fileIO, logger: Self.logger)
        let data = EventsTable.dataFile(location: "file:///w/analytics/events/data/a.parquet", type: "track", hour: 473352, rows: 10)
        await #expect(throws: CatalogError.self) {
            _ = try await appender.append(to: table, files: [data, deleteFile("file:///w/d.parquet", rows: 1)], commitId: "x")
        }
    }
}
