public import Foundation
public import Logging

/// Removes what a table no longer needs: snapshots past their retention (and the files only they reach), and
/// orphan files no snapshot or metadata file references. Works with any ``Catalog`` and ``FileIO``.
///
/// A REST catalog such as R2 Data Catalog may expire snapshots itself; these calls are for catalogs that don't
/// (the embedded ``SQLCatalog``). Both may run while writers append: expiry commits with the same requirements
/// as an append and retries conflicts, and orphan removal only touches files older than a safety margin.
///
/// ```swift
/// let maintenance = TableMaintenance(catalog: catalog, fileIO: LocalFileIO(), logger: logger)
/// let week = Date().addingTimeInterval(-7 * 86_400)
/// _ = try await maintenance.expireSnapshots(table: events, olderThan: week, retainLast: 10)
/// _ = try await maintenance.deleteOrphanFiles(table: events, olderThan: week)
/// ```
public struct TableMaintenance: Sendable {
    /// How many snapshots of each branch are kept whatever their age: 1.
    public static let defaultRetainLast = 1
    /// The youngest a file may be for ``deleteOrphanFiles(table:olderThan:)`` to delete it: 24 hours, so that
    /// files of commits still in flight (written but not yet committed) are never taken for orphans.
    public static let defaultOrphanSafetyMargin: Duration = .seconds(24 * 3600)
    /// Attempts at the `remove-snapshots` commit when other writers keep winning: 5.
    public static let defaultCommitAttempts = 5

    let catalog: any Catalog
    let fileIO: any FileIO
    let logger: Logger
    /// See ``defaultOrphanSafetyMargin``; the cutoff of an orphan search is never later than now minus this.
    public var orphanSafetyMargin: Duration = defaultOrphanSafetyMargin
    /// See ``defaultCommitAttempts``.
    public var commitAttempts: Int = defaultCommitAttempts
    /// Manifest lists already read (they never change), kept between runs by a caller that expires often.
    public var manifestLists: ManifestListCache?

    /// Creates a maintenance runner for tables of `catalog` whose files `fileIO` reaches.
    public init(catalog: any Catalog, fileIO: any FileIO, logger: Logger) {
        self.catalog = catalog
        self.fileIO = fileIO
        self.logger = logger
    }

    /// Removes snapshots older than `olderThan` beyond the newest `retainLast` of each branch (and, with
    /// `keepAtMost`, every snapshot of a branch's history beyond its newest `keepAtMost`, whatever its age),
    /// then deletes the manifest lists, manifests and data files that no remaining snapshot reaches.
    ///
    /// Snapshots a ref points at are always kept, and so are snapshots in no branch's history that are not old
    /// enough. Files are deleted only after the commit succeeded; a file that cannot be deleted is logged and
    /// counted in ``ExpireSnapshotsResult/failedDeletes``.
    /// - Throws: ``CatalogError`` from loading or committing (`conflict` after ``commitAttempts`` lost races,
    ///   `commitStateUnknown` when the outcome stayed unknown).
    public func expireSnapshots(table id: TableIdentifier, olderThan: Date, retainLast: Int = defaultRetainLast,
                                keepAtMost: Int? = nil) async throws -> ExpireSnapshotsResult {
        let (expired, table) = try await commitExpiry(table: id, olderThan: olderThan, retainLast: retainLast,
                                                      keepAtMost: keepAtMost)
        guard !expired.isEmpty else { return ExpireSnapshotsResult(table: table) }
        return try await removeUnreachable(expired: expired, table: table)
    }

    /// The updates that expire the snapshots `ids`: their statistics entries first (a catalog keeps them otherwise,
    /// and with them their files, which orphan removal then counts as live), then the snapshots.
    static func expiryUpdates(removing ids: [Int64], from metadata: TableMetadata) -> [TableUpdate] {
        let removed = Set(ids)
        return metadata.statisticsSnapshotIds().filter(removed.contains).map { TableUpdate.removeStatistics(snapshotId: $0) }
            + metadata.statisticsSnapshotIds(partition: true).filter(removed.contains).map { .removePartitionStatistics(snapshotId: $0) }
            + [.removeSnapshots(ids)]
    }

    /// The commit half of ``expireSnapshots(table:olderThan:retainLast:keepAtMost:)``: removes the snapshots from
    /// the table's metadata and returns them with the table after the commit; their files are left to
    /// ``removeUnreachable(expired:table:)``. Quick (one metadata write), so a writer that must not race it can
    /// hold its own lock around this call alone.
    public func commitExpiry(table id: TableIdentifier, olderThan: Date, retainLast: Int = defaultRetainLast,
                             keepAtMost: Int? = nil) async throws -> (expired: [Snapshot], table: Table) {
        let cutoffMs = Int64((olderThan.timeIntervalSince1970 * 1000).rounded(.down))
        var attempt = 0
        while true {
            attempt += 1
            let table = try await catalog.loadTable(id)
            let expired = Self.snapshotsToExpire(table.metadata, olderThanMs: cutoffMs, retainLast: max(1, retainLast),
                                                 keepAtMost: keepAtMost.map { max(1, $0) })
            guard !expired.isEmpty else { return ([], table) }
            let ids = expired.map(\.snapshotId)
            do {
                let committed = try await catalog.commit(id, requirements: [
                    .assertTableUUID(table.metadata.tableUUID),
                    .assertRefSnapshotID(ref: SnapshotReference.mainBranch, snapshotId: table.metadata.currentSnapshot?.snapshotId),
                ], updates: Self.expiryUpdates(removing: ids, from: table.metadata))
                return (expired, committed)
            } catch let error as CatalogError where error.code == .conflict || error.code == .commitStateUnknown {
                if error.code == .commitStateUnknown, let reloaded = try? await catalog.loadTable(id),
                   ids.allSatisfy({ reloaded.metadata.snapshot(id: $0) == nil }) {
                    return (expired, reloaded)
                }
                guard attempt < commitAttempts else { throw error }
                logger.warning("expiring snapshots failed, retrying", metadata: [
                    "floe.table": "\(id)", "error.code": "\(error.code)", "floe.attempt": "\(attempt)",
                ])
                try await Task.sleep(for: .milliseconds(100 * (1 << min(attempt, 6))))
            } catch let error as CatalogError where error.code == .rejected {
                // Another expiry (another instance, `floe maintain`) removed some of these snapshots first: the
                // commit does not move `main`, so its requirements hold, and a catalog refuses ids it no longer has
                // (pyiceberg's answers 400). Planned again from the table as it is now.
                guard attempt < commitAttempts, let reloaded = try? await catalog.loadTable(id),
                      ids.contains(where: { reloaded.metadata.snapshot(id: $0) == nil }) else { throw error }
                logger.info("snapshots expired meanwhile by another writer; planning the expiry again", metadata: [
                    "floe.table": "\(id)", "floe.attempt": "\(attempt)",
                ])
            }
        }
    }

    /// The snapshots of `metadata` that expiry removes (see ``expireSnapshots(table:olderThan:retainLast:keepAtMost:)``).
    static func snapshotsToExpire(_ metadata: TableMetadata, olderThanMs: Int64, retainLast: Int,
                                  keepAtMost: Int? = nil) -> [Snapshot] {
        var retained = Set<Int64>()
        var inHistory = Set<Int64>()
        for reference in metadata.refs.values {
            retained.insert(reference.snapshotId)
            guard reference.type == .branch else { continue }
            var next = metadata.snapshot(id: reference.snapshotId)
            var depth = 0
            while let snapshot = next, !inHistory.contains(snapshot.snapshotId) || depth < retainLast {
                inHistory.insert(snapshot.snapshotId)
                let young = snapshot.timestampMs >= olderThanMs && depth < (keepAtMost ?? .max)
                if depth < retainLast || young { retained.insert(snapshot.snapshotId) }
                depth += 1
                next = snapshot.parentSnapshotId.flatMap { metadata.snapshot(id: $0) }
            }
        }
        return metadata.snapshots.filter { snapshot in
            if retained.contains(snapshot.snapshotId) { return false }
            return inHistory.contains(snapshot.snapshotId) || snapshot.timestampMs < olderThanMs
        }
    }
}
