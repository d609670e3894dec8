import Foundation
@testable import Iceberg
import IcebergTestSupport
import Logging
import Testing

/// `replace` snapshots committed through ``TableAppender/replace(in:removing:adding:commitId:decidedFrom:)``:
/// removed entries marked DELETED, totals, exactly once per commit id, and refused when the files moved.
@Suite("Replace commits")
struct ReplaceCommitTests {
    let fileIO = MemoryFileIO()
    let catalog: SQLCatalog
    let table = EventsTable.identifier
    static let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    init() throws {
        catalog = try SQLCatalog(databasePath: try Fixtures.temporaryDirectory() + "/catalog.db",
                                 warehouseLocation: "file:///w", fileIO: fileIO, logger: Self.logger)
    }

    func data(_ tag: String, hour: Int32 = 473352, rows: Int64 = 4) -> DataFile {
        EventsTable.dataFile(location: "file:///w/analytics/events/data/\(tag).parquet", type: "track", hour: hour, rows: rows)
    }

    func live(_ table: Table) async throws -> [LiveFile] {
        try await TableMaintenance(catalog: catalog, fileIO: fileIO, logger: Self.logger).liveFiles(of: table, id: self.table)
    }

    @Test("a replace removes the named files, adds the new one, and keeps the rest")
    func replace() async throws {
        _ = try await catalog.loadOrCreateTable(table, schema: EventsTable.schema, partitionSpec: EventsTable.spec)
        let appender = TableAppender(catalog: catalog, fileIO: fileIO, logger: Self.logger)
        _ = try await appender.append(to: table, files: [data("a"), data("other", hour: 473353)], commitId: "a")
        _ = try await appender.append(to: table, files: [data("b")], commitId: "b")
        let base = try await appender.append(to: table, files: [deleteFile("d", rows: 1)], commitId: "d").snapshotId
        let removing: Set<String> = [data("a").filePath, data("b").filePath, deleteFile("d", rows: 1).filePath]
        let replaced = try await appender.replace(in: table, removing: removing, adding: [data("c", rows: 7)],
                                                  commitId: "c", decidedFrom: base)
        let snapshot = try #require(replaced.table.metadata.currentSnapshot)
        #expect(snapshot.summary["operation"] == "replace")
        #expect(snapshot.summary["added-data-files"] == "1" && snapshot.summary["deleted-data-files"] == "2")
        #expect(snapshot.summary["added-records"] == "7" && snapshot.summary["deleted-records"] == "8")
        #expect(snapshot.summary["removed-position-deletes"] == "1" && snapshot.summary["total-position-deletes"] == "0")
        #expect(snapshot.summary["total-records"] == "11" && snapshot.summary["total-data-files"] == "2")
        #expect(snapshot.summary["total-delete-files"] == "0")
        let files = try await live(replaced.table)
        #expect(Set(files.map(\.location)) == [data("c").filePath, data("other", hour: 473353).filePath])
        #expect(files.first { $0.location == data("c").filePath }?.sequenceNumber == snapshot.sequenceNumber)
        // The rewritten manifests carry the removed entries as DELETED, counted in the manifest list.
        let manifests = try ManifestListReader.read(try await fileIO.read(snapshot.manifestList))
        #expect(manifests.reduce(0) { $0 + $1.deletedFilesCount } == 3)
        #expect(manifests.reduce(0) { $0 + $1.addedFilesCount } == 1)

        // The same commit id again changes nothing.
        let again = try await appender.replace(in: table, removing: removing, adding: [data("c", rows: 7)],
                                               commitId: "c", decidedFrom: base)
        #expect(again.snapshotId == replaced.snapshotId && again.attempts == 0)

        // The next snapshot no longer carries a manifest that holds only the replace's DELETED entries.
        let next = try await appender.append(to: table, files: [data("d2")], commitId: "next")
        let carried = try ManifestListReader.read(try await fileIO.read(try #require(next.table.metadata.currentSnapshot).manifestList))
        #expect(!carried.contains { $0.addedFilesCount == 0 && $0.existingFilesCount == 0 })
        #expect(Set(try await live(next.table).map(\.location))
                == [data("c").filePath, data("other", hour: 473353).filePath, data("d2").filePath])
    }

    @Test("a replace rebases over appends, and is refused after another rewrite or when a file is gone")
    func conflicts() async throws {
        _ = try await catalog.loadOrCreateTable(table, schema: EventsTable.schema, partitionSpec: EventsTable.spec)
        let appender = TableAppender(catalog: catalog, fileIO: fileIO, logger: Self.logger)
        _ = try await appender.append(to: table, files: [data("a")], commitId: "a")
        let base = try await appender.append(to: table, files: [data("b")], commitId: "b").snapshotId
        _ = try await appender.append(to: table, files: [data("late")], commitId: "late")
        let first = try await appender.replace(in: table, removing: [data("a").filePath, data("b").filePath],
                                               adding: [data("ab", rows: 8)], commitId: "r1", decidedFrom: base)
        #expect(Set(try await live(first.table).map(\.location)) == [data("ab").filePath, data("late").filePath])
        // A second compaction decided from the same snapshot would remove files that are gone.
        await #expect(throws: CatalogError.self) {
            _ = try await appender.replace(in: table, removing: [data("a").filePath, data("b").filePath],
                                           adding: [data("ab2", rows: 8)], commitId: "r2", decidedFrom: base)
        }
        // Decided from the current snapshot, but naming a file that is not live.
        await #expect(throws: CatalogError.self) {
            _ = try await appender.replace(in: table, removing: [data("a").filePath], adding: [data("x")], commitId: "r3",
                                           decidedFrom: first.snapshotId)
        }
        let current = try await catalog.loadTable(table)
        #expect(current.metadata.currentSnapshot?.snapshotId == first.snapshotId)
    }

    @Test("expiring the snapshot before a replace deletes the files it replaced, and only those")
    func expiryDeletesReplacedFiles() async throws {
        _ = try await catalog.loadOrCreateTable(table, schema: EventsTable.schema, partitionSpec: EventsTable.spec)
        let appender = TableAppender(catalog: catalog, fileIO: fileIO, logger: Self.logger)
        for tag in ["a", "b", "keep"] {
            try await fileIO.write([1, 2, 3], to: data(tag).filePath)
            _ = try await appender.append(to: table, files: [data(tag)], commitId: tag)
        }
        let base = try await catalog.loadTable(table).metadata.currentSnapshot?.snapshotId ?? 0
        try await fileIO.write([1, 2, 3], to: data("ab").filePath)
        _ = try await appender.replace(in: table, removing: [data("a").filePath, data("b").filePath],
                                       adding: [data("ab", rows: 8)], commitId: "r", decidedFrom: base)
        let maintenance = TableMaintenance(catalog: catalog, fileIO: fileIO, logger: Self.logger)
        let result = try await maintenance.expireSnapshots(table: table, olderThan: Date().addingTimeInterval(60), retainLast: 1)
        #expect(result.expiredSnapshotIds.count == 3)
        #expect(Set(result.deletedFiles).isSuperset(of: [data("a").filePath, data("b").filePath]))
        #expect(!result.deletedFiles.contains(data("keep").filePath) && !result.deletedFiles.contains(data("ab").filePath))
        #expect(try await fileIO.read(data("keep").filePath) == [1, 2, 3])
    }

    func deleteFile(_ tag: String, rows: Int64) -> DataFile {
        DataFile(filePath: "file:///w/analytics/events/data/\(tag)-deletes.parquet", partition: [.string("track"), .int(473352)],
                 recordCount: rows, fileSizeInBytes: 300, content: .positionDeletes)
    }
}
