/// What ``TableMaintenance/expireSnapshots(table:olderThan:retainLast:keepAtMost:)`` removed.
public struct ExpireSnapshotsResult: Sendable {
    /// The table after the commit (or as loaded, when nothing was old enough).
    public var table: Table
    /// The removed snapshots' ids; empty when nothing expired.
    public var expiredSnapshotIds: [Int64] = []
    /// The deleted manifest lists, manifests and data files, in that order.
    public var deletedFiles: [String] = []
    /// Files that should have been deleted but could not be (they are orphans now).
    public var failedDeletes: [String] = []

    /// Creates a result.
    public init(table: Table, expiredSnapshotIds: [Int64] = [], deletedFiles: [String] = [], failedDeletes: [String] = []) {
        self.table = table
        self.expiredSnapshotIds = expiredSnapshotIds
        self.deletedFiles = deletedFiles
        self.failedDeletes = failedDeletes
    }
}
