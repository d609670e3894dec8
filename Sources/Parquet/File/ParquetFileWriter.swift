/// Encodes columnar rows into a complete Parquet file in memory.
///
/// ```swift
/// let schema = ParquetSchema(fields: [ParquetField(name: "id", fieldId: 1, type: .string, isRequired: true)])
/// var ids = ByteArrayBuffer()
/// ids.append("a".utf8)
/// let file = try ParquetFileWriter.write(schema: schema, columns: [.byteArray(ids, validity: nil)], rowCount: 1)
/// ```
///
/// Pure and deterministic: the same input always gives the same bytes, whatever
/// `WriterOptions.maxThreads` is. Column chunks are encoded and compressed on up to that many
/// threads while the call blocks; the caller's thread takes part. Layout follows
/// [the Parquet file format](https://github.com/apache/parquet-format#file-format): `PAR1`,
/// column chunks row group by row group, the column and offset indexes, the Thrift compact
/// `FileMetaData`, its length, `PAR1`.
public enum ParquetFileWriter {
    /// Encodes `rowCount` rows, `columns[i]` holding the values of `schema.fields[i]`.
    ///
    /// Writes one row group per `options.rowGroupSize` rows (none when `rowCount` is 0).
    /// - Throws: `ParquetError.Code.schemaMismatch` when a column's case does not fit its field's
    ///   type, `.invalidColumnData` when counts, validity or offsets disagree, `.compressionFailed`
    ///   when the codec fails.
    public static func write(schema: ParquetSchema, columns: [ColumnData], rowCount: Int,
                             options: WriterOptions = WriterOptions()) throws(ParquetError) -> ParquetFile {
        var writer = try ParquetStreamWriter(schema: schema, options: options)
        try writer.append(columns: columns, rowCount: rowCount)
        return writer.finish()
    }
}

/// Builds a Parquet file in memory from rows given a batch at a time, so the caller holds one batch
/// of decoded values rather than the whole file's (compaction writes files of many row groups this way).
///
/// ```swift
/// var writer = try ParquetStreamWriter(schema: schema, options: options)
/// for batch in batches { try writer.append(columns: batch.columns, rowCount: batch.rows) }
/// let file = writer.finish()
/// ```
///
/// Each ``append(columns:rowCount:)`` encodes its rows into row groups of at most
/// `options.rowGroupSize` rows right away; ``finish()`` adds the page indexes and the footer.
public struct ParquetStreamWriter: Sendable {
    private let schema: ParquetSchema
    private let options: WriterOptions
    private let schemaElements: [SchemaElement]
    private var out: [UInt8] = []
    private var rowGroups: [RowGroup] = []
    private var summaries: [ColumnChunkSummary]?
    private var statistics: [ColumnStatistics] = []
    private var isString: [Bool] = []
    private var indexes: [[(column: ColumnIndex?, offset: OffsetIndex?)]] = []
    /// Rows appended so far.
    public private(set) var rowCount = 0

    /// Starts a file of `schema`; fails on a schema that cannot be written or a bad codec.
    public init(schema: ParquetSchema, options: WriterOptions = WriterOptions()) throws(ParquetError) {
        self.schema = schema
        self.options = options
        schemaElements = try SchemaFlattener.elements(of: schema)
        // Fail on a bad codec before any thread starts.
        _ = try PageCompressor(codec: options.codec)
        out.append(contentsOf: Self.magic)
    }

    /// Bytes encoded so far (the footer not included).
    public var byteCount: Int { out.count }

    /// Encodes `rowCount` more rows, `columns[i]` holding the values of `schema.fields[i]`.
    ///
    /// - Throws: as ``ParquetFileWriter/write(schema:columns:rowCount:options:)``.
    public mutating func append(columns: [ColumnData], rowCount: Int) throws(ParquetError) {
        let leaves = try LevelBuilder.leaves(schema: schema, columns: columns, rowCount: rowCount)
        var groupRows: [Int] = []
        let groupSize = max(1, options.rowGroupSize)
        var firstRow = 0
        while firstRow < rowCount {
            groupRows.append(min(groupSize, rowCount - firstRow))
            firstRow += groupRows[groupRows.count - 1]
        }
        let encoded = try ColumnChunkPool.encode(leaves: leaves, groupRows: groupRows, options: options)
        if summaries == nil {
            summaries = leaves.map {
                ColumnChunkSummary(path: $0.path, fieldId: $0.fieldID, valueCount: 0, nullCount: 0, compressedSize: 0,
                                   minValue: nil, maxValue: nil)
            }
            statistics = [ColumnStatistics](repeating: ColumnStatistics(), count: leaves.count)
            isString = leaves.map(\.isString)
        }
        out.reserveCapacity(out.count + encoded.reduce(4096) { $0 + $1.reduce(0) { $0 + $1.pages.reduce(0) { $0 + $1.bytes.count } } })
        for (group, rows) in groupRows.enumerated() {
            let groupOffset = Int64(out.count)
            var chunks: [ColumnChunk] = []
            chunks.reserveCapacity(leaves.count)
            var groupIndexes: [(column: ColumnIndex?, offset: OffsetIndex?)] = []
            var totalByteSize: Int64 = 0
            var totalCompressedSize: Int64 = 0
            for index in leaves.indices {
                let piece = encoded[index][group]
                let result = piece.chunk.assemble(piece.pages, into: &out, pageIndex: options.writePageIndex)
                let metaData = result.chunk.metaData
                chunks.append(result.chunk)
                groupIndexes.append((result.columnIndex, result.offsetIndex))
                totalByteSize += metaData.totalUncompressedSize
                totalCompressedSize += metaData.totalCompressedSize
                summaries?[index].valueCount += metaData.numValues
                summaries?[index].compressedSize += metaData.totalCompressedSize
                statistics[index].merge(result.statistics)
            }
            rowGroups.append(RowGroup(columns: chunks, totalByteSize: totalByteSize, numRows: Int64(rows),
                                      fileOffset: groupOffset, totalCompressedSize: totalCompressedSize,
                                      ordinal: Int16(truncatingIfNeeded: rowGroups.count)))
            indexes.append(groupIndexes)
        }
        self.rowCount += rowCount
    }

    /// The complete file: page indexes, footer and closing magic after the row groups. Appended in place, so
    /// the file's bytes are not copied; the writer is done afterwards.
    public mutating func finish() -> ParquetFile {
        // Page indexes follow the row groups, all column indexes first, as parquet-java lays them out.
        for group in rowGroups.indices {
            for index in indexes[group].indices {
                guard let columnIndex = indexes[group][index].column else { continue }
                let bytes = columnIndex.compactEncoded()
                rowGroups[group].columns[index].columnIndexOffset = Int64(out.count)
                rowGroups[group].columns[index].columnIndexLength = Int32(bytes.count)
                out.append(contentsOf: bytes)
            }
        }
        for group in rowGroups.indices {
            for index in indexes[group].indices {
                guard let offsetIndex = indexes[group][index].offset else { continue }
                let bytes = offsetIndex.compactEncoded()
                rowGroups[group].columns[index].offsetIndexOffset = Int64(out.count)
                rowGroups[group].columns[index].offsetIndexLength = Int32(bytes.count)
                out.append(contentsOf: bytes)
            }
        }
        var summaries = summaries ?? []
        for index in summaries.indices {
            let encoded = statistics[index].thrift(isString: isString[index])
            summaries[index].nullCount = statistics[index].nullCount
            summaries[index].minValue = encoded.minValue
            summaries[index].maxValue = encoded.maxValue
        }
        let footer = FileMetaData(
            schema: schemaElements, numRows: Int64(rowCount), rowGroups: rowGroups,
            keyValueMetadata: options.keyValueMetadata.map { KeyValue(key: $0.key, value: $0.value) },
            createdBy: options.createdBy, columnOrderCount: schemaElements.filter { $0.type != nil }.count)
        let footerBytes = footer.compactEncoded()
        out.append(contentsOf: footerBytes)
        let footerLength = UInt32(footerBytes.count)
        withUnsafeBytes(of: footerLength.littleEndian) { out.appendBytes($0) }
        out.append(contentsOf: Self.magic)
        return ParquetFile(bytes: out, rowCount: Int64(rowCount), columns: summaries)
    }

    private static let magic: [UInt8] = Array("PAR1".utf8)
}
