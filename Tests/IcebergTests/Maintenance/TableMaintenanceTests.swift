import Foundation
@testable import Iceberg
import IcebergTestSupport
import Logging
import Testing

@Suite("TableMaintenance")
struct TableMaintenanceTests {
    let fileIO = MemoryFileIO()
    let catalog: SQLCatalog
    let table = EventsTable.identifier
    let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    init() throws {
        catalog = try SQLCatalog(databasePath: try Fixtures.temporaryDirectory() + "/catalog.db",
                                 warehouseLocation: "file:///w", fileIO: fileIO, logger: logger)
    }

    /// Appends `count` commits of one data file each (the data files are written too), returning their paths.
    func appendCommits(_ count: Int) async throws -> [String] {
        _ = try await catalog.loadOrCreateTable(table, schema: EventsTable.schema, partitionSpec: EventsTable.spec)
        let appender = TableAppender(catalog: catalog, fileIO: fileIO, logger: logger)
        var paths: [String] = []
        for index in 0..<count {
            let path = "file:///w/analytics/events/data/c\(index).parquet"
            try await fileIO.write([1, 2, 3], to: path)
            _ = try await appender.append(to: table, files: [EventsTable.dataFile(location: path, type: "track", hour: 1, rows: 5)],
                                          commitId: "c\(index)")
            paths.append(path)
        }
        return paths
    }

    var maintenance: TableMaintenance {
        var maintenance = TableMaintenance(catalog: catalog, fileIO: fileIO, logger: logger)
        maintenance.orphanSafetyMargin = .zero
        return maintenance
    }

    @Test("expiry keeps the newest snapshots and deletes only what they no longer reach")
    func expire() async throws {
        let dataFiles = try await appendCommits(5)
        let before = try await catalog.loadTable(table).metadata
        let result = try await maintenance.expireSnapshots(table: table, olderThan: Date().addingTimeInterval(60), retainLast: 2)
        let after = try await catalog.loadTable(table).metadata
        #expect(result.expiredSnapshotIds.count == 3)
        #expect(after.snapshots.count == 2)
        #expect(after.currentSnapshotId == before.currentSnapshotId)
        #expect(after.snapshotLog.allSatisfy { after.snapshot(id: $0.snapshotId) != nil })
        let expiredLists = before.snapshots.filter { result.expiredSnapshotIds.contains($0.snapshotId) }.map(\.manifestList)
        #expect(Set(result.deletedFiles) == Set(expiredLists), "manifests and data files are still reached by the kept snapshots")
        for list in expiredLists { #expect(try await !fileIO.exists(list)) }
        for path in dataFiles { #expect(try await fileIO.exists(path)) }
        #expect(result.failedDeletes.isEmpty)
    }

    @Test("expiry removes the statistics entries of the snapshots it removes, and keeps the others'")
    func expiryStatistics() throws {
        func entry(_ id: Int64) -> JSONValue {
            .object(["snapshot-id": .int(id), "statistics-path": .string("file:///w/metadata/s\(id).puffin"),
                     "file-size-in-bytes": .int(28)])
        }
        var metadata = TableMetadata(location: "file:///w", schema: EventsTable.schema, partitionSpec: EventsTable.spec,
                                     lastUpdatedMs: 1)
        metadata.additionalFields["statistics"] = .array([entry(1), entry(2)])
        metadata.additionalFields["partition-statistics"] = .array([entry(2)])
        let updates = TableMaintenance.expiryUpdates(removing: [2, 3], from: metadata)
        #expect(updates == [TableUpdate.removeStatistics(snapshotId: 2), .removePartitionStatistics(snapshotId: 2),
                            .removeSnapshots([2, 3])])
        // Applied, as the embedded catalog applies a commit; `remove-snapshots` alone drops them too, as Java's does.
        for snapshot in [1, 2, 3] as [Int64] {
            metadata = try metadata.applying([TableUpdate.addSnapshot(Snapshot(snapshotId: snapshot, parentSnapshotId: nil, sequenceNumber: snapshot,
                                                                    timestampMs: 5, manifestList: "m\(snapshot).avro",
                                                                    summary: ["operation": "append"], schemaId: 0))], nowMs: 6)
        }
        for applied: [TableUpdate] in [updates, [.removeSnapshots([2, 3])]] {
            let after = try metadata.applying(applied, nowMs: 7)
            #expect(after.statisticsSnapshotIds() == [1])
            #expect(after.statisticsSnapshotIds(partition: true) == [])
            #expect(TableMaintenance.statisticsFiles(of: after) == ["file:///w/metadata/s1.puffin"])
        }
    }

    @Test("expiry leaves young snapshots alone")
    func nothingOldEnough() async throws {
        _ = try await appendCommits(3)
        let result = try await maintenance.expireSnapshots(table: table, olderThan: Date().addingTimeInterval(-3600), retainLast: 1)
        #expect(result.expiredSnapshotIds.isEmpty)
        #expect(try await catalog.loadTable(table).metadata.snapshots.count == 3)
    }

    @Test("snapshots a ref points at and the last N of each branch are retained")
    func selection() throws {
        var metadata = TableMetadata(location: "file:///t", schema: EventsTable.schema, partitionSpec: EventsTable.spec,
                                     lastUpdatedMs: 0)
        var updates: [TableUpdate] = []
        for id in Int64(1)...5 {
            updates.append(.addSnapshot(Snapshot(snapshotId: id, parentSnapshotId: id == 1 ? nil : id - 1, sequenceNumber: id,
                                                 timestampMs: id * 1000, manifestList: "l\(id)", summary: [:], schemaId: 0)))
        }
        updates.append(.setSnapshotRef(name: "main", reference: SnapshotReference(snapshotId: 5)))
        updates.append(.setSnapshotRef(name: "audit", reference: SnapshotReference(snapshotId: 2, type: .tag)))
        metadata = try metadata.applying(updates, nowMs: 10_000)
        let expired = TableMaintenance.snapshotsToExpire(metadata, olderThanMs: 4500, retainLast: 1).map(\.snapshotId)
        #expect(expired.sorted() == [1, 3, 4])
        let removed = try metadata.applying([.removeSnapshots(expired)], nowMs: 11_000)
        #expect(removed.snapshots.map(\.snapshotId).sorted() == [2, 5])
        #expect(removed.refs["audit"]?.snapshotId == 2)
        #expect(throws: CatalogError.self) { try removed.applying([.removeSnapshots([9])], nowMs: 0) }
        // With a cap on the history, young snapshots past the newest `keepAtMost` go too (never a ref's).
        let capped = TableMaintenance.snapshotsToExpire(metadata, olderThanMs: 0, retainLast: 1, keepAtMost: 2)
        #expect(capped.map(\.snapshotId).sorted() == [1, 3])
        #expect(TableMaintenance.snapshotsToExpire(metadata, olderThanMs: 0, retainLast: 1).isEmpty)
    }

    /// A catalog that answers the first load with the table as it was before (another writer's expiry came between
    /// that load and the reading of its manifest lists).
    final class StaleOnce: Catalog, @unchecked Sendable {
        let base: any Catalog
        var stale: Table?
        init(base: any Catalog, stale: Table) {
            self.base = base
            self.stale = stale
        }
        func createNamespaceIfNeeded(_ namespace: [String]) async throws { try await base.createNamespaceIfNeeded(namespace) }
        func loadTable(_ id: TableIdentifier) async throws -> Table {
            if let table = stale {
                stale = nil
                return table
            }
            return try await base.loadTable(id)
        }
        func createTable(_ id: TableIdentifier, schema: Schema, partitionSpec: PartitionSpec,
                         properties: [String: String]) async throws -> Table {
            try await base.createTable(id, schema: schema, partitionSpec: partitionSpec, properties: properties)
        }
        func commit(_ id: TableIdentifier, requirements: [TableRequirement], updates: [TableUpdate]) async throws -> Table {
            try await base.commit(id, requirements: requirements, updates: updates)
        }
    }

    @Test("orphan removal reads the references again when another writer's expiry deleted a manifest list meanwhile")
    func orphansWhileAnotherExpires() async throws {
        _ = try await appendCommits(4)
        let before = try await catalog.loadTable(table)
        _ = try await maintenance.expireSnapshots(table: table, olderThan: Date().addingTimeInterval(60), retainLast: 1)
        let first = try #require(before.metadata.snapshots.first)
        #expect(try await !fileIO.exists(first.manifestList), "expired, its manifest list is gone")
        var stale = TableMaintenance(catalog: StaleOnce(base: catalog, stale: before), fileIO: fileIO, logger: logger)
        stale.orphanSafetyMargin = .zero
        let result = try await stale.deleteOrphanFiles(table: table, olderThan: Date().addingTimeInterval(-3600))
        #expect(result.orphans.isEmpty && result.failedDeletes.isEmpty)
        let current = try await catalog.loadTable(table)
        #expect(try await fileIO.exists(current.metadataLocation))
    }

    @Test("orphan removal deletes old unreferenced files only")
    func orphans() async throws {
        let dataFiles = try await appendCommits(2)
        let stray = "file:///w/analytics/events/data/abandoned.parquet"
        let young = "file:///w/analytics/events/metadata/in-flight.avro"
        try await fileIO.write([0], to: stray)
        try await fileIO.write([0], to: young)
        let old = Date().addingTimeInterval(-7200)
        for location in try await fileIO.list(prefix: "file:///w/") where location != young {
            fileIO.setLastModified(old, of: location)
        }
        let result = try await maintenance.deleteOrphanFiles(table: table, olderThan: Date().addingTimeInterval(-3600))
        #expect(result.orphans == [stray])
        #expect(result.deletedFiles == [stray])
        #expect(result.skippedYoungFiles == 1)
        #expect(try await !fileIO.exists(stray))
        #expect(try await fileIO.exists(young))
        for path in dataFiles { #expect(try await fileIO.exists(path)) }
        let current = try await catalog.loadTable(table)
        #expect(try await fileIO.exists(current.metadataLocation))
    }

    @Test("the safety margin protects files newer than it whatever the cutoff")
    func margin() async throws {
        _ = try await appendCommits(1)
        try await fileIO.write([0], to: "file:///w/analytics/events/data/new.parquet")
        let result = try await TableMaintenance(catalog: catalog, fileIO: fileIO, logger: logger)
            .deleteOrphanFiles(table: table, olderThan: Date().addingTimeInterval(60))
        #expect(result.orphans.isEmpty)
    }
}
