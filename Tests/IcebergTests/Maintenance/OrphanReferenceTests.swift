import Foundation
@testable import Iceberg
import IcebergTestSupport
import Logging
import Testing

/// What orphan removal counts as referenced, beyond snapshots: files on a local disk whose locations are
/// percent-encoded, and statistics files other engines registered.
@Suite("Orphan removal references")
struct OrphanReferenceTests {
    let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
    let table = EventsTable.identifier

    func maintenance(_ catalog: SQLCatalog, _ fileIO: any FileIO) -> TableMaintenance {
        var maintenance = TableMaintenance(catalog: catalog, fileIO: fileIO, logger: logger)
        maintenance.orphanSafetyMargin = .zero
        return maintenance
    }

    @Test("on a local disk, live files in partition directories with percent-escapes are kept, also where Floe once wrote them decoded (and linked to their literal names); a stray one is deleted")
    func percentEncodedLocalPaths() async throws {
        let root = try Fixtures.temporaryDirectory()
        let fileIO = LocalFileIO()
        let catalog = try SQLCatalog(databasePath: root + "/catalog.db", warehouseLocation: "file://\(root)/w",
                                     fileIO: fileIO, logger: logger)
        _ = try await catalog.loadOrCreateTable(table, schema: EventsTable.schema, partitionSpec: EventsTable.spec)
        let data = "file://\(root)/w/analytics/events/data"
        let directory = "\(root)/w/analytics/events/data"
        // As TableDefinition.partitionPath writes types "a b" and "100%41": percent-encoded, and so on disk.
        let live = ["\(data)/type=a%20b/f1.parquet", "\(data)/type=100%2541/f2.parquet", "\(data)/type=plain/f3.parquet"]
        let stray = "\(data)/type=a%20b/stray.parquet"
        for location in live + [stray] { try await fileIO.write([1], to: location) }
        #expect(FileManager.default.fileExists(atPath: "\(directory)/type=a%20b/f1.parquet"))
        #expect(!FileManager.default.fileExists(atPath: "\(directory)/type=a b/f1.parquet"))
        // Written percent-decoded, as Floe did before it kept the escapes on disk.
        let legacy = "\(data)/type=caf%C3%A9/old.parquet"
        try FileManager.default.createDirectory(atPath: "\(directory)/type=café", withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: "\(directory)/type=café/old.parquet", contents: Data([1])))
        _ = try await TableAppender(catalog: catalog, fileIO: fileIO, logger: logger).append(
            to: table, files: (live + [legacy]).map { EventsTable.dataFile(location: $0, type: "t", hour: 1, rows: 1) },
            commitId: "c1")
        let result = try await maintenance(catalog, fileIO).deleteOrphanFiles(table: table, olderThan: .distantFuture)
        #expect(result.deletedFiles == [stray])
        for location in live + [legacy] { #expect(try await fileIO.exists(location), "\(location)") }
        #expect(FileManager.default.fileExists(atPath: "\(directory)/type=café/old.parquet"))
        #expect(try await !fileIO.exists(stray))
        // The legacy file now has its literal name too, where other readers open it; the next run keeps both.
        #expect(result.restoredNames == [legacy])
        #expect(FileManager.default.contents(atPath: "\(directory)/type=caf%C3%A9/old.parquet") == Data([1]))
        let again = try await maintenance(catalog, fileIO).deleteOrphanFiles(table: table, olderThan: .distantFuture)
        #expect(again.deletedFiles.isEmpty && again.restoredNames.isEmpty)
        #expect(FileManager.default.fileExists(atPath: "\(directory)/type=café/old.parquet"))
    }

    @Test("a merge written ahead is kept for twice the longest time an append may still swap it in, whatever the cutoff")
    func mergesWrittenAhead() async throws {
        let fileIO = MemoryFileIO()
        let catalog = try SQLCatalog(databasePath: try Fixtures.temporaryDirectory() + "/catalog.db",
                                     warehouseLocation: "file:///w", fileIO: fileIO, logger: logger)
        _ = try await catalog.loadOrCreateTable(table, schema: EventsTable.schema, partitionSpec: EventsTable.spec)
        let metadataDirectory = "file:///w/analytics/events/metadata"
        let recent = "\(metadataDirectory)/merge-1-m1.avro", old = "\(metadataDirectory)/merge-2-m1.avro"
        let other = "\(metadataDirectory)/stray-m1.avro"
        for location in [recent, old, other] { try await fileIO.write([1], to: location) }
        let longest = Double(ManifestMergeAhead.longestMaxAge.components.seconds)
        fileIO.setLastModified(Date().addingTimeInterval(-1.5 * longest), of: recent)
        fileIO.setLastModified(Date().addingTimeInterval(-2.5 * longest), of: old)
        fileIO.setLastModified(Date().addingTimeInterval(-1.5 * longest), of: other)
        let result = try await maintenance(catalog, fileIO).deleteOrphanFiles(table: table, olderThan: Date())
        #expect(Set(result.deletedFiles) == [old, other])
        #expect(try await fileIO.exists(recent))
        #expect(ManifestMergeAhead(maxAge: .seconds(86_400)).maxAge == ManifestMergeAhead.longestMaxAge)
    }

    @Test("statistics and partition statistics files the metadata names are kept")
    func statisticsFiles() async throws {
        let fileIO = MemoryFileIO()
        let databasePath = try Fixtures.temporaryDirectory() + "/catalog.db"
        let catalog = try SQLCatalog(databasePath: databasePath, warehouseLocation: "file:///w", fileIO: fileIO, logger: logger)
        _ = try await catalog.loadOrCreateTable(table, schema: EventsTable.schema, partitionSpec: EventsTable.spec)
        let loaded = try await TableAppender(catalog: catalog, fileIO: fileIO, logger: logger).append(
            to: table, files: [EventsTable.dataFile(location: "file:///w/analytics/events/data/d.parquet", type: "t", hour: 1, rows: 1)],
            commitId: "c1").table
        let metadataDirectory = "file:///w/analytics/events/metadata"
        let stats = "\(metadataDirectory)/s1.stats", partitionStats = "\(metadataDirectory)/p1.parquet"
        let stray = "\(metadataDirectory)/stray.stats"
        for location in [stats, partitionStats, stray, "file:///w/analytics/events/data/d.parquet"] {
            try await fileIO.write([1], to: location)
        }
        // As Trino's ANALYZE or Spark's compute_table_stats register them, in the current metadata file.
        var metadata = loaded.metadata
        let snapshotId = JSONValue.int(try #require(metadata.currentSnapshotId))
        metadata.additionalFields["statistics"] = .array([.object([
            "snapshot-id": snapshotId, "statistics-path": .string(stats), "file-size-in-bytes": .int(1),
            "file-footer-size-in-bytes": .int(1), "blob-metadata": .array([]),
        ])])
        metadata.additionalFields["partition-statistics"] = .array([.object([
            "snapshot-id": snapshotId, "statistics-path": .string(partitionStats), "file-size-in-bytes": .int(1),
        ])])
        try await fileIO.write(Array(try JSONEncoder().encode(metadata)), to: loaded.metadataLocation)
        let old = Date().addingTimeInterval(-7200)
        for location in try await fileIO.list(prefix: "file:///w/") { fileIO.setLastModified(old, of: location) }
        // A catalog opened afresh reads the rewritten file (an open one keeps what it decoded).
        let reopened = try SQLCatalog(databasePath: databasePath, warehouseLocation: "file:///w", fileIO: fileIO, logger: logger)
        #expect(try await reopened.loadTable(table).metadata.additionalFields["statistics"] != nil)
        let result = try await maintenance(reopened, fileIO).deleteOrphanFiles(table: table, olderThan: Date())
        #expect(result.deletedFiles == [stray])
        #expect(try await fileIO.exists(stats))
        #expect(try await fileIO.exists(partitionStats))
    }
}
