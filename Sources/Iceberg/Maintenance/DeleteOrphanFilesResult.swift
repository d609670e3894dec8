/// What ``TableMaintenance/deleteOrphanFiles(table:olderThan:)`` found and removed.
public struct DeleteOrphanFilesResult: Sendable {
    /// The files under the table location that nothing referenced and that were old enough, sorted.
    public var orphans: [String] = []
    /// The orphans actually deleted.
    public var deletedFiles: [String] = []
    /// Orphans whose deletion failed.
    public var failedDeletes: [String] = []
    /// Unreferenced files left alone because they are younger than the cutoff or of unknown age.
    public var skippedYoungFiles = 0
    /// Live files found only where an earlier Floe wrote them percent-decoded, now linked to their locations as
    /// written (``FileIO/restoreLegacyName(of:)``).
    public var restoredNames: [String] = []

    /// Creates a result.
    public init(orphans: [String] = [], deletedFiles: [String] = [], failedDeletes: [String] = [], skippedYoungFiles: Int = 0) {
        self.orphans = orphans
        self.deletedFiles = deletedFiles
        self.failedDeletes = failedDeletes
        self.skippedYoungFiles = skippedYoungFiles
    }
}
