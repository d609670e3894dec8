/// One entry of a manifest list: a manifest, its counts, and a summary of its partition values.
///
/// See <https://iceberg.apache.org/spec/#manifest-lists> (`manifest_file`, field ids 500–519).
public struct ManifestFile: Sendable, Hashable {
    /// A summary of one partition field's values over the manifest's entries (`field_summary`, 508).
    public struct FieldSummary: Sendable, Hashable {
        public var containsNull: Bool
        public var containsNaN: Bool?
        /// Single-value serialization of the smallest non-null value.
        public var lowerBound: [UInt8]?
        public var upperBound: [UInt8]?

        /// Creates a summary.
        public init(containsNull: Bool, containsNaN: Bool? = false, lowerBound: [UInt8]?, upperBound: [UInt8]?) {
            self.containsNull = containsNull
            self.containsNaN = containsNaN
            self.lowerBound = lowerBound
            self.upperBound = upperBound
        }
    }

    /// What a manifest tracks (`content`, 517).
    public enum Content: Int32, Sendable, Hashable {
        case data = 0
        case deletes = 1
    }

    public var manifestPath: String
    /// Bytes.
    public var manifestLength: Int64
    public var partitionSpecId: Int32
    public var content: Content
    public var sequenceNumber: Int64
    public var minSequenceNumber: Int64
    public var addedSnapshotId: Int64
    public var addedFilesCount: Int32
    public var existingFilesCount: Int32
    public var deletedFilesCount: Int32
    public var addedRowsCount: Int64
    public var existingRowsCount: Int64
    public var deletedRowsCount: Int64
    public var partitions: [FieldSummary]?
    public var keyMetadata: [UInt8]?

    /// Creates an entry.
    public init(manifestPath: String, manifestLength: Int64, partitionSpecId: Int32, content: Content = .data,
                sequenceNumber: Int64, minSequenceNumber: Int64, addedSnapshotId: Int64,
                addedFilesCount: Int32, existingFilesCount: Int32, deletedFilesCount: Int32,
                addedRowsCount: Int64, existingRowsCount: Int64, deletedRowsCount: Int64,
                partitions: [FieldSummary]?, keyMetadata: [UInt8]? = nil) {
        self.manifestPath = manifestPath
        self.manifestLength = manifestLength
        self.partitionSpecId = partitionSpecId
        self.content = content
        self.sequenceNumber = sequenceNumber
        self.minSequenceNumber = minSequenceNumber
        self.addedSnapshotId = addedSnapshotId
        self.addedFilesCount = addedFilesCount
        self.existingFilesCount = existingFilesCount
        self.deletedFilesCount = deletedFilesCount
        self.addedRowsCount = addedRowsCount
        self.existingRowsCount = existingRowsCount
        self.deletedRowsCount = deletedRowsCount
        self.partitions = partitions
        self.keyMetadata = keyMetadata
    }
}
