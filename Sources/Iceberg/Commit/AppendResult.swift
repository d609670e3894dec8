/// The outcome of ``TableAppender/append(to:files:commitId:)``.
public struct AppendResult: Sendable {
    /// The snapshot holding the files (found, not created, when the commit id was already committed).
    public var snapshotId: Int64
    public var sequenceNumber: Int64
    /// The table after the commit.
    public var table: Table
    /// Commit attempts made; 0 when the commit id was already in the table.
    public var attempts: Int

    /// Creates a result.
    public init(snapshotId: Int64, sequenceNumber: Int64, table: Table, attempts: Int) {
        self.snapshotId = snapshotId
        self.sequenceNumber = sequenceNumber
        self.table = table
        self.attempts = attempts
    }
}
