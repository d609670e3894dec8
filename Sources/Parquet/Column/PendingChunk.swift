/// A page whose body is encoded but not yet compressed.
struct PendingPage: Sendable {
    /// Sizes and CRC are filled in by `compressed(with:checksum:)`.
    var header: PageHeader
    var body: [UInt8]
    /// For data pages: index of the first row within the row group, bounds, and non-null values.
    var firstRow: Int64 = 0
    var statistics = ColumnStatistics()
    var valueCount = 0

    /// The page header and compressed body, ready to be appended to the file.
    func compressed(with compressor: PageCompressor, checksum: Bool,
                    column: [String]) throws(ParquetError) -> CompressedPage {
        guard body.count <= Int(Int32.max) else {
            throw ParquetError(.tooLarge, "page of \(body.count) bytes", context: ["column": column.joined(separator: ".")])
        }
        let bodySize = body.count
        return try compressor.compress(body) { compressed in
            var header = header
            header.uncompressedPageSize = Int32(bodySize)
            header.compressedPageSize = Int32(compressed.count)
            if checksum { header.crc = PageChecksum.crc32(compressed) }
            var writer = CompactProtocolWriter(capacity: 64 + compressed.count)
            writer.writeStructValue(header)
            let headerSize = writer.bytes.count
            writer.bytes.appendBytes(compressed)
            return CompressedPage(bytes: writer.bytes, uncompressedSize: headerSize + bodySize)
        }
    }
}

/// A page header and compressed body, back to back.
struct CompressedPage: Sendable {
    var bytes: [UInt8]
    /// Header plus uncompressed body, in bytes (what `total_uncompressed_size` adds up).
    var uncompressedSize: Int
}

/// The encoded pages of one column chunk and what its `ColumnMetaData` needs besides offsets and sizes.
struct PendingChunk: Sendable {
    let path: [String]
    let physicalType: PhysicalType
    let isString: Bool
    let codec: CompressionCodec
    let numValues: Int64
    /// The dictionary page, when there is one, then the data pages.
    var pages: [PendingPage] = []
    var hasDictionaryPage = false
    var encodings: [Encoding] = []
    var encodingStats: [PageEncodingStats] = []
    var statistics = ColumnStatistics()

    init(leaf: LeafColumn, codec: CompressionCodec, numValues: Int64) {
        path = leaf.path
        physicalType = leaf.physicalType
        isString = leaf.isString
        self.codec = codec
        self.numValues = numValues
    }

    /// The metadata and bounds of a column chunk once its pages are in the file.
    struct Result: Sendable {
        var chunk: ColumnChunk
        var statistics: ColumnStatistics
        /// Page bounds for page skipping; nil when disabled or some page has no usable bounds.
        var columnIndex: ColumnIndex?
        var offsetIndex: OffsetIndex?
    }

    /// Appends the compressed pages (one per `pages` entry, same order) to `out`, whose count is the file offset.
    func assemble(_ compressed: [CompressedPage], into out: inout [UInt8], pageIndex writesPageIndex: Bool) -> Result {
        var uncompressedSize = 0
        var compressedSize = 0
        var dictionaryPageOffset: Int64?
        var pageIndex = PageIndexBuilder()
        var dataPageOffset = Int64(out.count)
        for (position, page) in compressed.enumerated() {
            let offset = Int64(out.count)
            out.append(contentsOf: page.bytes)
            uncompressedSize += page.uncompressedSize
            compressedSize += page.bytes.count
            if position == 0 && hasDictionaryPage {
                dictionaryPageOffset = offset
                dataPageOffset = Int64(out.count)
                continue
            }
            if writesPageIndex {
                let pending = pages[position]
                pageIndex.append(offset: offset, size: Int32(page.bytes.count), firstRow: pending.firstRow,
                                 statistics: pending.statistics, valueCount: pending.valueCount, isString: isString)
            }
        }
        let metaData = ColumnMetaData(
            type: physicalType, encodings: encodings, pathInSchema: path, codec: codec.thriftValue,
            numValues: numValues, totalUncompressedSize: Int64(uncompressedSize),
            totalCompressedSize: Int64(compressedSize), dataPageOffset: dataPageOffset,
            dictionaryPageOffset: dictionaryPageOffset, statistics: statistics.thrift(isString: isString),
            encodingStats: encodingStats)
        return Result(chunk: ColumnChunk(fileOffset: dictionaryPageOffset ?? dataPageOffset, metaData: metaData),
                      statistics: statistics,
                      columnIndex: writesPageIndex ? pageIndex.columnIndex() : nil,
                      offsetIndex: writesPageIndex ? pageIndex.offsetIndex : nil)
    }
}
