/// A complete Parquet file in memory, with what an Iceberg data file entry needs to know about it.
public struct ParquetFile: Sendable {
    /// The whole file, `PAR1` to `PAR1`.
    public var bytes: [UInt8]
    public var rowCount: Int64
    /// One summary per leaf column, in schema order.
    public var columns: [ColumnChunkSummary]

    public init(bytes: [UInt8], rowCount: Int64, columns: [ColumnChunkSummary]) {
        self.bytes = bytes
        self.rowCount = rowCount
        self.columns = columns
    }
}

/// Totals and bounds of one leaf column over the whole file (all row groups).
public struct ColumnChunkSummary: Sendable, Equatable {
    /// Path of names from the root, e.g. `["extensions", "key_value", "key"]`.
    public var path: [String]
    public var fieldId: Int32?
    /// Number of leaf values including nulls (Parquet `num_values`).
    public var valueCount: Int64
    public var nullCount: Int64
    /// Bytes on disk for the column chunks (Parquet `total_compressed_size`, headers included).
    public var compressedSize: Int64
    /// Plain-encoded min and max as in Parquet `Statistics.min_value` / `max_value`; strings
    /// truncated to 64 bytes on a UTF-8 boundary, the max rounded up. `nil` when all null.
    public var minValue: [UInt8]?
    public var maxValue: [UInt8]?

    public init(path: [String], fieldId: Int32?, valueCount: Int64, nullCount: Int64,
                compressedSize: Int64, minValue: [UInt8]?, maxValue: [UInt8]?) {
        self.path = path
        self.fieldId = fieldId
        self.valueCount = valueCount
        self.nullCount = nullCount
        self.compressedSize = compressedSize
        self.minValue = minValue
        self.maxValue = maxValue
    }
}
