/// A Parquet data file the caller has written, with the statistics recorded for it in the manifest.
///
/// Column statistics are keyed by schema field id. Bounds are in Iceberg's single-value binary serialization
/// (see ``SingleValueEncoding``); the caller computes them from its column statistics.
public struct DataFile: Sendable, Hashable {
    /// What a file holds (`content`, 134).
    public enum Content: Int32, Sendable, Hashable {
        /// Rows of the table.
        case data = 0
        /// Position deletes: `(file_path, pos)` rows naming rows of data files that are deleted.
        case positionDeletes = 1
    }

    /// Data rows (default) or position deletes.
    public var content: Content = .data
    /// Absolute location, with the same scheme as the table location.
    public var filePath: String
    /// One value per field of the table's default partition spec, in spec order.
    public var partition: [PartitionValue]
    /// Rows in the file.
    public var recordCount: Int64
    /// Bytes.
    public var fileSizeInBytes: Int64
    /// Bytes on disk per column.
    public var columnSizes: [Int32: Int64]
    /// Values per column, nulls included.
    public var valueCounts: [Int32: Int64]
    public var nullValueCounts: [Int32: Int64]
    public var lowerBounds: [Int32: [UInt8]]
    public var upperBounds: [Int32: [UInt8]]
    /// Row group start offsets in bytes, ascending; optional.
    public var splitOffsets: [Int64]?

    /// Creates a data file description.
    public init(filePath: String, partition: [PartitionValue], recordCount: Int64, fileSizeInBytes: Int64,
                columnSizes: [Int32: Int64] = [:], valueCounts: [Int32: Int64] = [:],
                nullValueCounts: [Int32: Int64] = [:], lowerBounds: [Int32: [UInt8]] = [:],
                upperBounds: [Int32: [UInt8]] = [:], splitOffsets: [Int64]? = nil, content: Content = .data) {
        self.content = content
        self.filePath = filePath
        self.partition = partition
        self.recordCount = recordCount
        self.fileSizeInBytes = fileSizeInBytes
        self.columnSizes = columnSizes
        self.valueCounts = valueCounts
        self.nullValueCounts = nullValueCounts
        self.lowerBounds = lowerBounds
        self.upperBounds = upperBounds
        self.splitOffsets = splitOffsets
    }
}
