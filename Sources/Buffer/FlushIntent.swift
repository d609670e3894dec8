/// A flush recorded before any upload: which rows go into which file under which commit id.
///
/// docs/design.md §5: the intent is written in one transaction before the data files are uploaded,
/// and removed together with the flushed rows after the Iceberg commit succeeded. At start-up a
/// pending intent is either completed (its commit id is in the table) or redone.
public struct FlushIntent: Sendable, Codable, Equatable {
    /// One data file of the flush: the rows of `partitionKey` with `firstSequence...lastSequence`.
    public struct File: Sendable, Codable, Equatable {
        public var partitionKey: String
        public var firstSequence: Int64
        public var lastSequence: Int64
        public var rowCount: Int
        /// Sum of the rows' payload sizes (for the buffer's byte accounting).
        public var payloadBytes: Int
        public var path: String

        public init(partitionKey: String, firstSequence: Int64, lastSequence: Int64, rowCount: Int,
                    payloadBytes: Int = 0, path: String) {
            self.partitionKey = partitionKey
            self.firstSequence = firstSequence
            self.lastSequence = lastSequence
            self.rowCount = rowCount
            self.payloadBytes = payloadBytes
            self.path = path
        }
    }

    public var commitId: String
    public var table: String
    /// Where the table was when the intent was recorded (catalog or warehouse, and namespace): the intent
    /// can be settled only there (nil: recorded by a version that did not say).
    public var target: String?
    /// Microseconds since the epoch.
    public var createdAt: Int64
    public var files: [File]

    public init(commitId: String, table: String, target: String? = nil, createdAt: Int64, files: [File]) {
        self.commitId = commitId
        self.table = table
        self.target = target
        self.createdAt = createdAt
        self.files = files
    }
}
