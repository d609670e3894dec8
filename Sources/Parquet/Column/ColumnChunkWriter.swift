/// Writes the pages of one leaf column, one row group at a time, and describes them in a `ColumnChunk`.
///
/// A chunk is an optional PLAIN dictionary page followed by v1 data pages (repetition levels,
/// definition levels, values). Pages end at `WriterOptions.dataPageSize` estimated bytes or
/// `maxRowsPerPage` rows, and only at row boundaries. Byte-array columns use RLE_DICTIONARY
/// while the dictionary stays under `dictionaryPageSizeLimit` and PLAIN afterwards.
struct ColumnChunkWriter {
    /// Values looked at before deciding whether a dictionary is worth building.
    static let dictionaryProbeCount = 1024

    /// The metadata and bounds of one written column chunk.
    struct Result {
        var chunk: ColumnChunk
        var statistics: ColumnStatistics
        /// Page bounds for page skipping; nil when disabled or some page has no usable bounds.
        var columnIndex: ColumnIndex?
        var offsetIndex: OffsetIndex?
    }

    /// Buffers reused by every chunk of a file: the page being built and the dictionary indices.
    struct Scratch {
        var page: [UInt8] = []
        var indices: [UInt32] = []
        /// One bit per dictionary entry, set while finding a page's bounds; all clear between pages.
        var seen: [UInt64] = []
    }

    let leaf: LeafColumn
    let options: WriterOptions
    let compressor: PageCompressor
    /// Where the next chunk starts in the leaf's levels and values.
    private var levelCursor = 0
    private var valueCursor = 0

    init(leaf: LeafColumn, options: WriterOptions, compressor: PageCompressor) {
        self.leaf = leaf
        self.options = options
        self.compressor = compressor
    }

    private var hasRepetition: Bool { leaf.maxRepetitionLevel > 0 }
    private var hasDefinition: Bool { leaf.maxDefinitionLevel > 0 }

    /// Appends the pages of the next `rows` rows to `out`, whose count is the file offset.
    mutating func writeChunk(rows: Int, scratch: inout Scratch, into out: inout [UInt8]) throws(ParquetError) -> Result {
        let levelStart = levelCursor
        let valueStart = valueCursor
        let levelEnd = chunkLevelEnd(from: levelStart, rows: rows)
        let valueEnd = valueStart + valueCount(levelStart..<levelEnd)
        levelCursor = levelEnd
        valueCursor = valueEnd

        var statistics = ColumnStatistics()
        var sizes = (uncompressed: 0, compressed: 0)
        var encodingStats: [PageEncodingStats] = []

        var dictionary: DictionaryEncoder?
        var dictionaryEnd = valueStart
        var dictionaryPageOffset: Int64?
        if options.enableDictionary, case .byteArray(let buffer) = leaf.values, valueEnd > valueStart,
           let built = buildDictionary(buffer, range: valueStart..<valueEnd, indices: &scratch.indices) {
            dictionary = built.encoder
            dictionaryEnd = built.end
            dictionaryPageOffset = Int64(out.count)
            scratch.page.removeAll(keepingCapacity: true)
            built.encoder.writePlain(into: &scratch.page)
            let header = PageHeader(type: .dictionaryPage, uncompressedPageSize: 0, compressedPageSize: 0,
                                    dictionaryPageHeader: DictionaryPageHeader(numValues: Int32(built.encoder.count)))
            let written = try emitPage(header, page: scratch.page, into: &out)
            sizes.uncompressed += written.uncompressed
            sizes.compressed += written.compressed
            encodingStats.append(PageEncodingStats(pageType: .dictionaryPage, encoding: .plain, count: 1))
            if scratch.seen.count < (built.encoder.count + 63) / 64 {
                scratch.seen = Array(repeating: 0, count: (built.encoder.count + 63) / 64)
            }
        }

        let dataPageOffset = Int64(out.count)
        var dictionaryPages: Int32 = 0
        var plainPages: Int32 = 0
        var pageIndex = PageIndexBuilder()
        var firstRow: Int64 = 0
        var level = levelStart
        var value = valueStart
        while level < levelEnd {
            var useDictionary = dictionary != nil && value < dictionaryEnd
            let end = pageEnd(level: level, value: value, levelEnd: levelEnd, dictionaryEnd: dictionaryEnd,
                              useDictionary: &useDictionary)
            var pageStatistics = ColumnStatistics()
            pageStatistics.nullCount = Int64((end.level - level) - (end.value - value))
            scratch.page.removeAll(keepingCapacity: true)
            if hasRepetition {
                RLEHybridEncoder.encodeWithLengthPrefix(
                    leaf.repetitionLevels[level..<end.level],
                    bitWidth: RLEHybridEncoder.bitWidth(forMaxValue: UInt64(leaf.maxRepetitionLevel)), into: &scratch.page)
            }
            if hasDefinition {
                RLEHybridEncoder.encodeWithLengthPrefix(
                    leaf.definitionLevels[level..<end.level],
                    bitWidth: RLEHybridEncoder.bitWidth(forMaxValue: UInt64(leaf.maxDefinitionLevel)), into: &scratch.page)
            }
            if useDictionary, let dictionary {
                let bitWidth = dictionary.indexBitWidth
                scratch.page.append(UInt8(bitWidth))
                let slice = scratch.indices[(value - valueStart)..<(end.value - valueStart)]
                if !slice.isEmpty {
                    RLEHybridEncoder.encode(slice, bitWidth: bitWidth, into: &scratch.page)
                    pageStatistics.include(dictionary.entries, indices: slice, seen: &scratch.seen)
                }
                dictionaryPages += 1
            } else {
                encodePlain(value..<end.value, into: &scratch.page)
                pageStatistics.include(leaf.values, range: value..<end.value, order: leaf.sortOrder)
                plainPages += 1
            }
            var dataPageHeader = DataPageHeader(numValues: Int32(end.level - level),
                                                encoding: useDictionary ? .rleDictionary : .plain)
            if options.writePageStatistics {
                dataPageHeader.statistics = pageStatistics.thrift(isString: leaf.isString)
            }
            let header = PageHeader(type: .dataPage, uncompressedPageSize: 0, compressedPageSize: 0,
                                    dataPageHeader: dataPageHeader)
            let pageOffset = out.count
            let written = try emitPage(header, page: scratch.page, into: &out)
            sizes.uncompressed += written.uncompressed
            sizes.compressed += written.compressed
            let pageRows = rowCount(level..<end.level)
            if options.writePageIndex {
                pageIndex.append(offset: Int64(pageOffset), size: Int32(out.count - pageOffset), firstRow: firstRow,
                                 statistics: pageStatistics, valueCount: end.value - value, isString: leaf.isString)
            }
            statistics.merge(pageStatistics)
            firstRow += Int64(pageRows)
            level = end.level
            value = end.value
        }

        var encodings: Set<Encoding> = []
        if dictionary != nil { encodings.insert(.plain) }
        if hasDefinition || hasRepetition { encodings.insert(.rle) }
        if dictionaryPages > 0 {
            encodings.insert(.rleDictionary)
            encodingStats.append(PageEncodingStats(pageType: .dataPage, encoding: .rleDictionary, count: dictionaryPages))
        }
        if plainPages > 0 {
            encodings.insert(.plain)
            encodingStats.append(PageEncodingStats(pageType: .dataPage, encoding: .plain, count: plainPages))
        }
        let metaData = ColumnMetaData(
            type: leaf.physicalType, encodings: encodings.sorted(), pathInSchema: leaf.path,
            codec: options.codec.thriftValue, numValues: Int64(levelEnd - levelStart),
            totalUncompressedSize: Int64(sizes.uncompressed), totalCompressedSize: Int64(sizes.compressed),
            dataPageOffset: dataPageOffset, dictionaryPageOffset: dictionaryPageOffset,
            statistics: statistics.thrift(isString: leaf.isString), encodingStats: encodingStats)
        return Result(chunk: ColumnChunk(fileOffset: dictionaryPageOffset ?? dataPageOffset, metaData: metaData),
                      statistics: statistics,
                      columnIndex: options.writePageIndex ? pageIndex.columnIndex() : nil,
                      offsetIndex: options.writePageIndex ? pageIndex.offsetIndex : nil)
    }

    /// The level index where the row `rows` rows after `start` begins.
    private func chunkLevelEnd(from start: Int, rows: Int) -> Int {
        guard hasRepetition else { return start + rows }
        let repetition = leaf.repetitionLevels
        var level = start
        var seen = 0
        while level < leaf.levelCount {
            if repetition[level] == 0 {
                if seen == rows { break }
                seen += 1
            }
            level += 1
        }
        return level
    }

    /// Rows starting in `levels` (each row starts at a repetition level of 0).
    private func rowCount(_ levels: Range<Int>) -> Int {
        guard hasRepetition else { return levels.count }
        var count = 0
        for level in leaf.repetitionLevels[levels] where level == 0 { count += 1 }
        return count
    }

    private func valueCount(_ levels: Range<Int>) -> Int {
        guard hasDefinition else { return levels.count }
        let maxLevel = leaf.maxDefinitionLevel
        var count = 0
        for level in leaf.definitionLevels[levels] where level == maxLevel { count += 1 }
        return count
    }

    /// Where the page starting at (`level`, `value`) ends, from running size estimates.
    ///
    /// Clears `useDictionary` when the first row needs values past the end of the dictionary.
    private func pageEnd(level start: Int, value startValue: Int, levelEnd: Int, dictionaryEnd: Int,
                         useDictionary: inout Bool) -> (level: Int, value: Int) {
        if !hasRepetition {
            return flatPageEnd(level: start, value: startValue, levelEnd: levelEnd, dictionaryEnd: dictionaryEnd,
                               useDictionary: &useDictionary)
        }
        let maxRows = max(1, options.maxRowsPerPage)
        let limit = max(1, options.dataPageSize)
        let repetition = leaf.repetitionLevels
        let definition = leaf.definitionLevels
        let maxDefinition = leaf.maxDefinitionLevel
        var level = start
        var value = startValue
        var rows = 0
        var estimate = 0
        while level < levelEnd && rows < maxRows {
            var rowEnd = level + 1
            if hasRepetition {
                while rowEnd < levelEnd && repetition[rowEnd] != 0 { rowEnd += 1 }
            }
            var count = rowEnd - level
            if hasDefinition {
                count = 0
                for l in level..<rowEnd where definition[l] == maxDefinition { count += 1 }
            }
            if useDictionary && value + count > dictionaryEnd {
                if rows > 0 { break }
                useDictionary = false
            }
            let cost = (useDictionary ? 4 * count : leaf.values.plainSize(value..<(value + count))) + (rowEnd - level) / 4
            if rows > 0 && estimate + cost > limit { break }
            estimate += cost
            level = rowEnd
            value += count
            rows += 1
        }
        return (level, value)
    }

    /// `pageEnd` for columns without repetition, where a row is one level: sized in bulk, not per row.
    private func flatPageEnd(level start: Int, value startValue: Int, levelEnd: Int, dictionaryEnd: Int,
                             useDictionary: inout Bool) -> (level: Int, value: Int) {
        var rows = min(max(1, options.maxRowsPerPage), levelEnd - start)
        var count = valueCount(start..<(start + rows))
        if useDictionary && startValue + count > dictionaryEnd {
            if startValue >= dictionaryEnd {
                useDictionary = false
            } else {
                count = dictionaryEnd - startValue
                rows = rowsHolding(values: count, from: start)
            }
        }
        let limit = max(1, options.dataPageSize)
        let dictionary = useDictionary
        func cost(_ values: Int) -> Int {
            (dictionary ? 4 * values : leaf.values.plainSize(startValue..<(startValue + values))) + values / 4
        }
        if count > 1 && cost(count) > limit {
            // The largest value count that fits, by binary search over the running byte size.
            var low = 1
            var high = count
            while low < high {
                let middle = (low + high + 1) / 2
                if cost(middle) <= limit { low = middle } else { high = middle - 1 }
            }
            count = low
            rows = rowsHolding(values: count, from: start)
        }
        return (start + rows, startValue + count)
    }

    /// Number of levels from `start` up to and including the one holding the `values`-th value.
    private func rowsHolding(values: Int, from start: Int) -> Int {
        guard hasDefinition else { return values }
        let maxLevel = leaf.maxDefinitionLevel
        let definition = leaf.definitionLevels
        var seen = 0
        var level = start
        while seen < values {
            if definition[level] == maxLevel { seen += 1 }
            level += 1
        }
        return level - start
    }

    private func encodePlain(_ range: Range<Int>, into page: inout [UInt8]) {
        switch leaf.values {
        case .boolean(let v): PlainEncoder.encode(v[range], into: &page)
        case .int32(let v): PlainEncoder.encode(v[range], into: &page)
        case .int64(let v): PlainEncoder.encode(v[range], into: &page)
        case .float(let v): PlainEncoder.encode(v[range], into: &page)
        case .double(let v): PlainEncoder.encode(v[range], into: &page)
        case .byteArray(let v): PlainEncoder.encode(v, range: range, into: &page)
        case .fixed(let bytes, let width):
            bytes.withUnsafeBytes { page.appendBytes(UnsafeRawBufferPointer(rebasing: $0[(range.lowerBound * width)..<(range.upperBound * width)])) }
        }
    }

    /// The dictionary of values `range` and the end of the values it covers, or nil when PLAIN is smaller.
    private func buildDictionary(_ buffer: ByteArrayBuffer, range: Range<Int>,
                                 indices: inout [UInt32]) -> (encoder: DictionaryEncoder, end: Int)? {
        indices.removeAll(keepingCapacity: true)
        indices.reserveCapacity(range.count)
        let probeEnd = range.lowerBound + min(range.count, Self.dictionaryProbeCount)
        var encoder = DictionaryEncoder(expectedCount: min(range.count, 4 * Self.dictionaryProbeCount))
        let limit = options.dictionaryPageSizeLimit
        var end = encoder.encode(buffer, range: range.lowerBound..<probeEnd, sizeLimit: limit, indices: &indices)
        // Ids and JSON payloads are all distinct: skip hashing the rest of them.
        if end == probeEnd && encoder.count == Self.dictionaryProbeCount { return nil }
        if end == probeEnd {
            end = encoder.encode(buffer, range: probeEnd..<range.upperBound, sizeLimit: limit, indices: &indices)
        }
        let covered = range.lowerBound..<end
        guard !covered.isEmpty else { return nil }
        let dictionarySize = encoder.plainSize + (covered.count * encoder.indexBitWidth + 7) / 8
        guard dictionarySize * 4 < leaf.values.plainSize(covered) * 3 else { return nil }
        return (encoder, end)
    }

    /// Compresses `page`, appends its header and bytes to `out`, and returns both sizes with the header.
    private func emitPage(_ header: PageHeader, page: [UInt8],
                          into out: inout [UInt8]) throws(ParquetError) -> (uncompressed: Int, compressed: Int) {
        guard page.count <= Int(Int32.max) else {
            throw ParquetError(.tooLarge, "page of \(page.count) bytes", context: ["column": leaf.path.joined(separator: ".")])
        }
        let pageSize = page.count
        let writePageChecksums = options.writePageChecksums
        return try compressor.compress(page) { compressed in
            var header = header
            header.uncompressedPageSize = Int32(pageSize)
            header.compressedPageSize = Int32(compressed.count)
            if writePageChecksums { header.crc = PageChecksum.crc32(compressed) }
            var writer = CompactProtocolWriter(capacity: 64)
            writer.writeStructValue(header)
            out.append(contentsOf: writer.bytes)
            out.appendBytes(compressed)
            return (writer.bytes.count + pageSize, writer.bytes.count + compressed.count)
        }
    }
}

extension PageHeader {
    init(type: PageType, uncompressedPageSize: Int32, compressedPageSize: Int32,
         dataPageHeader: DataPageHeader? = nil, dictionaryPageHeader: DictionaryPageHeader? = nil) {
        self.init(type: type, uncompressedPageSize: uncompressedPageSize, compressedPageSize: compressedPageSize,
                  crc: nil, dataPageHeader: dataPageHeader, dictionaryPageHeader: dictionaryPageHeader)
    }
}
