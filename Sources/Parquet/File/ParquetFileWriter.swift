/// Encodes columnar rows into a complete Parquet file in memory.
///
/// ```swift
/// let schema = ParquetSchema(fields: [ParquetField(name: "id", fieldId: 1, type: .string, isRequired: true)])
/// var ids = ByteArrayBuffer()
/// ids.append("a".utf8)
/// let file = try ParquetFileWriter.write(schema: schema, columns: [.byteArray(ids, validity: nil)], rowCount: 1)
/// ```
///
/// Pure and deterministic: the same input always gives the same bytes. Layout follows
/// [the Parquet file format](https://github.com/apache/parquet-format#file-format): `PAR1`,
/// column chunks row group by row group, the Thrift compact `FileMetaData`, its length, `PAR1`.
public enum ParquetFileWriter {
    /// Encodes `rowCount` rows, `columns[i]` holding the values of `schema.fields[i]`.
    ///
    /// Writes one row group per `options.rowGroupSize` rows (none when `rowCount` is 0).
    /// - Throws: `ParquetError.Code.schemaMismatch` when a column's case does not fit its field's
    ///   type, `.invalidColumnData` when counts, validity or offsets disagree, `.compressionFailed`
    ///   when the codec fails.
    public static func write(schema: ParquetSchema, columns: [ColumnData], rowCount: Int,
                             options: WriterOptions = WriterOptions()) throws(ParquetError) -> ParquetFile {
        let schemaElements = try SchemaFlattener.elements(of: schema)
        let leaves = try LevelBuilder.leaves(schema: schema, columns: columns, rowCount: rowCount)
        let compressor = try PageCompressor(codec: options.codec)
        var writers = leaves.map { ColumnChunkWriter(leaf: $0, options: options, compressor: compressor) }

        var out: [UInt8] = []
        out.reserveCapacity(estimatedFileSize(leaves, codec: options.codec))
        out.append(contentsOf: magic)

        var scratch = ColumnChunkWriter.Scratch()
        var rowGroups: [RowGroup] = []
        var summaries = leaves.map {
            ColumnChunkSummary(path: $0.path, fieldId: $0.fieldID, valueCount: 0, nullCount: 0, compressedSize: 0,
                               minValue: nil, maxValue: nil)
        }
        var statistics = [ColumnStatistics](repeating: ColumnStatistics(), count: leaves.count)
        let groupSize = max(1, options.rowGroupSize)
        var firstRow = 0
        while firstRow < rowCount {
            let rows = min(groupSize, rowCount - firstRow)
            let groupOffset = Int64(out.count)
            var chunks: [ColumnChunk] = []
            chunks.reserveCapacity(leaves.count)
            var totalByteSize: Int64 = 0
            var totalCompressedSize: Int64 = 0
            for index in writers.indices {
                let result = try writers[index].writeChunk(rows: rows, scratch: &scratch, into: &out)
                let metaData = result.chunk.metaData
                chunks.append(result.chunk)
                totalByteSize += metaData.totalUncompressedSize
                totalCompressedSize += metaData.totalCompressedSize
                summaries[index].valueCount += metaData.numValues
                summaries[index].compressedSize += metaData.totalCompressedSize
                statistics[index].merge(result.statistics)
            }
            rowGroups.append(RowGroup(columns: chunks, totalByteSize: totalByteSize, numRows: Int64(rows),
                                      fileOffset: groupOffset, totalCompressedSize: totalCompressedSize,
                                      ordinal: Int16(truncatingIfNeeded: rowGroups.count)))
            firstRow += rows
        }
        for index in summaries.indices {
            let encoded = statistics[index].thrift(isString: leaves[index].isString)
            summaries[index].nullCount = statistics[index].nullCount
            summaries[index].minValue = encoded.minValue
            summaries[index].maxValue = encoded.maxValue
        }

        let footer = FileMetaData(
            schema: schemaElements, numRows: Int64(rowCount), rowGroups: rowGroups,
            keyValueMetadata: options.keyValueMetadata.map { KeyValue(key: $0.key, value: $0.value) },
            createdBy: options.createdBy, columnOrderCount: leaves.count)
        let footerBytes = footer.compactEncoded()
        out.append(contentsOf: footerBytes)
        let footerLength = UInt32(footerBytes.count)
        withUnsafeBytes(of: footerLength.littleEndian) { out.appendBytes($0) }
        out.append(contentsOf: magic)
        return ParquetFile(bytes: out, rowCount: Int64(rowCount), columns: summaries)
    }

    private static let magic: [UInt8] = Array("PAR1".utf8)

    /// A capacity guess for the output buffer from the raw value sizes and the codec.
    private static func estimatedFileSize(_ leaves: [LeafColumn], codec: CompressionCodec) -> Int {
        var raw = 0
        for leaf in leaves {
            raw += leaf.values.plainSize(0..<leaf.values.count) + leaf.levelCount / 4
        }
        switch codec {
        case .uncompressed: return raw + 4096
        default: return raw / 3 + 4096
        }
    }
}
