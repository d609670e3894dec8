/// Compression applied to every page of a column chunk.
public enum CompressionCodec: Sendable, Equatable {
    case uncompressed
    case snappy
    /// ZSTD at the given level; pyarrow's default is 1.
    case zstd(level: Int32)
    case gzip
}

/// Settings of the Parquet writer; every default is what a flush uses.
public struct WriterOptions: Sendable {
    public var codec: CompressionCodec = .zstd(level: 1)
    /// Upper bound of an uncompressed data page, in bytes.
    public var dataPageSize: Int = 1 << 20
    /// Upper bound of rows in one data page.
    public var maxRowsPerPage: Int = 20_000
    /// Dictionary-encode byte-array columns; falls back to PLAIN past `dictionaryPageSizeLimit`.
    public var enableDictionary: Bool = true
    public var dictionaryPageSizeLimit: Int = 1 << 20
    /// Write CRC32 on every page header.
    public var writePageChecksums: Bool = true
    /// Write a `ColumnIndex` and `OffsetIndex` per column chunk after the row groups, so that
    /// readers can skip pages ([PageIndex.md](https://github.com/apache/parquet-format/blob/master/PageIndex.md)).
    public var writePageIndex: Bool = true
    /// Write null count and min/max in every data page header.
    public var writePageStatistics: Bool = true
    /// Threads that encode and compress column chunks at once; `nil` uses every active processor.
    /// The output does not depend on it.
    public var maxThreads: Int? = nil
    /// Upper bound of rows in one row group; a file with more rows gets several row groups.
    public var rowGroupSize: Int = WriterOptions.defaultRowGroupSize
    public var createdBy: String = "floe version 0.1.0"
    public var keyValueMetadata: [(key: String, value: String)] = []

    /// Default of `rowGroupSize`: 1,048,576 rows, as pyarrow's `row_group_size`.
    public static let defaultRowGroupSize = 1_048_576

    public init() {}
}
