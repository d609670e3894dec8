/// Encodes the pages of one leaf column, one row group at a time, into `PendingChunk`s.
///
/// A chunk is an optional PLAIN dictionary page followed by v1 data pages (repetition levels,
/// definition levels, values). Pages end at `WriterOptions.dataPageSize` estimated bytes or
/// `maxRowsPerPage` rows, and only at row boundaries. Byte-array columns use RLE_DICTIONARY
/// when the chunk's dictionary stays under `dictionaryPageSizeLimit` and is smaller than PLAIN, else PLAIN.
struct ColumnChunkWriter {
    /// Values looked at before deciding whether a dictionary is worth building.
    static let dictionaryProbeCount = 1024

    /// Buffers reused by every chunk a thread encodes: the dictionary indices and a bitmap.
    struct Scratch {
        var indices: [UInt32] = []
        /// One bit per dictionary entry, set while finding a page's bounds; all clear between pages.
        var seen: [UInt64] = []
    }

    let leaf: LeafColumn
    let options: WriterOptions
    /// Where the next chunk starts in the leaf's levels and values.
    private var levelCursor = 0
    private var valueCursor = 0

    init(leaf: LeafColumn, options: WriterOptions) {
        self.leaf = leaf
        self.options = options
    }

    private var hasRepetition: Bool { leaf.maxRepetitionLevel > 0 }
    private var hasDefinition: Bool { leaf.maxDefinitionLevel > 0 }

    /// Encodes the pages of the next `rows` rows, uncompressed; `PendingChunk.assemble` finishes them.
    mutating func encodeChunk(rows: Int, scratch: inout Scratch) -> PendingChunk {
        let levelStart = levelCursor
        let valueStart = valueCursor
        let levelEnd = chunkLevelEnd(from: levelStart, rows: rows)
        let valueEnd = valueStart + valueCount(levelStart..<levelEnd)
        levelCursor = levelEnd
        valueCursor = valueEnd

        var chunk = PendingChunk(leaf: leaf, codec: options.codec, numValues: Int64(levelEnd - levelStart))
        var dictionary: DictionaryEncoder?
        var dictionaryEntries = ByteArrayBuffer()
        if options.enableDictionary, case .byteArray(let buffer) = leaf.values, valueEnd > valueStart,
           let built = buildDictionary(buffer, range: valueStart..<valueEnd, indices: &scratch.indices) {
            dictionary = built
            dictionaryEntries = built.entries
            var body: [UInt8] = []
            body.reserveCapacity(built.plainSize)
            PlainEncoder.encode(dictionaryEntries, range: 0..<dictionaryEntries.count, into: &body)
            let header = PageHeader(type: .dictionaryPage, uncompressedPageSize: 0, compressedPageSize: 0,
                                    dictionaryPageHeader: DictionaryPageHeader(numValues: Int32(built.count)))
            chunk.pages.append(PendingPage(header: header, body: body))
            chunk.hasDictionaryPage = true
            if scratch.seen.count < (built.count + 63) / 64 {
                scratch.seen = Array(repeating: 0, count: (built.count + 63) / 64)
            }
        }

        var dictionaryPages: Int32 = 0
        var plainPages: Int32 = 0
        var firstRow: Int64 = 0
        var level = levelStart
        var value = valueStart
        while level < levelEnd {
            let useDictionary = dictionary != nil
            let end = pageEnd(level: level, value: value, levelEnd: levelEnd, useDictionary: useDictionary)
            var pageStatistics = ColumnStatistics()
            pageStatistics.nullCount = Int64((end.level - level) - (end.value - value))
            // A fresh body per page: pages are compressed later, possibly on another thread.
            var body: [UInt8] = []
            body.reserveCapacity(leaf.values.plainSize(value..<end.value) + (end.level - level) / 2 + 64)
            if hasRepetition {
                RLEHybridEncoder.encodeWithLengthPrefix(
                    leaf.repetitionLevels[level..<end.level],
                    bitWidth: RLEHybridEncoder.bitWidth(forMaxValue: UInt64(leaf.maxRepetitionLevel)), into: &body)
            }
            if hasDefinition {
                RLEHybridEncoder.encodeWithLengthPrefix(
                    leaf.definitionLevels[level..<end.level],
                    bitWidth: RLEHybridEncoder.bitWidth(forMaxValue: UInt64(leaf.maxDefinitionLevel)), into: &body)
            }
            if useDictionary, let dictionary {
                let bitWidth = dictionary.indexBitWidth
                body.append(UInt8(bitWidth))
                let slice = scratch.indices[(value - valueStart)..<(end.value - valueStart)]
                if !slice.isEmpty {
                    RLEHybridEncoder.encode(slice, bitWidth: bitWidth, into: &body)
                    pageStatistics.include(dictionaryEntries, indices: slice, seen: &scratch.seen)
                }
                dictionaryPages += 1
            } else {
                encodePlain(value..<end.value, into: &body)
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
            chunk.pages.append(PendingPage(header: header, body: body, firstRow: firstRow, statistics: pageStatistics,
                                           valueCount: end.value - value))
            chunk.statistics.merge(pageStatistics)
            firstRow += Int64(rowCount(level..<end.level))
            level = end.level
            value = end.value
        }

        var encodings: Set<Encoding> = []
        if dictionary != nil {
            encodings.insert(.plain)
            chunk.encodingStats.append(PageEncodingStats(pageType: .dictionaryPage, encoding: .plain, count: 1))
        }
        if hasDefinition || hasRepetition { encodings.insert(.rle) }
        if dictionaryPages > 0 {
            encodings.insert(.rleDictionary)
            chunk.encodingStats.append(PageEncodingStats(pageType: .dataPage, encoding: .rleDictionary,
                                                         count: dictionaryPages))
        }
        if plainPages > 0 {
            encodings.insert(.plain)
            chunk.encodingStats.append(PageEncodingStats(pageType: .dataPage, encoding: .plain, count: plainPages))
        }
        chunk.encodings = encodings.sorted()
        return chunk
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
    private func pageEnd(level start: Int, value startValue: Int, levelEnd: Int, useDictionary: Bool) -> (level: Int, value: Int) {
        if !hasRepetition {
            return flatPageEnd(level: start, value: startValue, levelEnd: levelEnd, useDictionary: useDictionary)
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
    private func flatPageEnd(level start: Int, value startValue: Int, levelEnd: Int,
                             useDictionary: Bool) -> (level: Int, value: Int) {
        var rows = min(max(1, options.maxRowsPerPage), levelEnd - start)
        var count = valueCount(start..<(start + rows))
        let limit = max(1, options.dataPageSize)
        func cost(_ values: Int) -> Int {
            (useDictionary ? 4 * values : leaf.values.plainSize(startValue..<(startValue + values))) + values / 4
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

    /// The dictionary of values `range`, or nil when it would pass the size limit or PLAIN is smaller.
    private func buildDictionary(_ buffer: ByteArrayBuffer, range: Range<Int>,
                                 indices: inout [UInt32]) -> DictionaryEncoder? {
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
        // A dictionary that would pass the limit is not used at all: the whole chunk is PLAIN. A chunk of
        // dictionary pages followed by PLAIN ones is valid Parquet, but fastparquet (2026.9) reads the values
        // after such a switch as nulls, silently (Benchmarks/README.md, session 29).
        guard end == range.upperBound, !range.isEmpty else { return nil }
        let dictionarySize = encoder.plainSize + (range.count * encoder.indexBitWidth + 7) / 8
        guard dictionarySize * 4 < leaf.values.plainSize(range) * 3 else { return nil }
        return encoder
    }
}

extension PageHeader {
    init(type: PageType, uncompressedPageSize: Int32, compressedPageSize: Int32,
         dataPageHeader: DataPageHeader? = nil, dictionaryPageHeader: DictionaryPageHeader? = nil) {
        self.init(type: type, uncompressedPageSize: uncompressedPageSize, compressedPageSize: compressedPageSize,
                  crc: nil, dataPageHeader: dataPageHeader, dictionaryPageHeader: dictionaryPageHeader)
    }
}
