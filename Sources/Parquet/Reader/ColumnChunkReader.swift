/// Reads the pages of one flat column chunk (no repetition, definition level 0 or 1) into
/// row-ordered optional values.
///
/// A chunk is an optional dictionary page followed by data pages, v1 or v2; index pages and
/// unknown page types are skipped. Values are PLAIN or dictionary indices (PLAIN_DICTIONARY /
/// RLE_DICTIONARY). Every page must lie inside the chunk, the chunk inside the file's data area,
/// and each loop step consumes at least one byte, so malformed input throws and always ends.
struct ColumnChunkReader {
    /// Decodes `count` PLAIN values from `bytes[range]`.
    typealias PlainDecode<T> = (_ bytes: [UInt8], _ range: Range<Int>, _ count: Int,
                                _ column: String) throws(ParquetError) -> [T]

    let bytes: [UInt8]
    /// Where column chunks may lie: after the leading magic, before the footer.
    let dataArea: Range<Int>
    let column: String
    /// 0 for a required column, 1 for an optional one.
    let maxDefinitionLevel: Int
    /// Thrift `Type` the chunk must have.
    let physicalType: Int32

    private func malformed(_ message: String) -> ParquetError {
        ParquetError(.invalidColumnData, "malformed Parquet column chunk: \(message)", context: ["column": column])
    }

    /// Appends the chunk's `rows` values (nil for nulls) to `out`.
    func read<T>(_ meta: FooterColumnMetaData, rows: Int, into out: inout [T?],
                 plain: PlainDecode<T>) throws(ParquetError) {
        guard meta.type == physicalType else {
            throw ParquetError(.schemaMismatch, "column chunk has physical type \(meta.type), schema says \(physicalType)",
                               context: ["column": column])
        }
        guard meta.numValues == Int64(rows) else {
            throw malformed("\(meta.numValues) values for \(rows) rows of a flat column")
        }
        var start = meta.dataPageOffset
        if let dictionaryOffset = meta.dictionaryPageOffset, dictionaryOffset >= Int64(dataArea.lowerBound),
           dictionaryOffset < start {
            start = dictionaryOffset
        }
        guard start >= Int64(dataArea.lowerBound), start <= Int64(dataArea.upperBound),
              meta.totalCompressedSize <= Int64(dataArea.upperBound) - start else {
            throw malformed("chunk at \(start) of \(meta.totalCompressedSize) bytes lies outside the data area")
        }
        let end = Int(start) + Int(meta.totalCompressedSize)
        var position = Int(start)
        var dictionary: [T]?
        var levelsRead = 0

        while levelsRead < rows {
            guard position < end else { throw malformed("chunk ends after \(levelsRead) of \(rows) values") }
            var reader = ThriftCompactReader(bytes: bytes, range: position..<end)
            let header = try FooterPageHeader(from: &reader)
            let bodyStart = reader.position
            guard Int(header.compressedPageSize) <= end - bodyStart else {
                throw malformed("page of \(header.compressedPageSize) bytes runs past the chunk")
            }
            let body = bodyStart..<(bodyStart + Int(header.compressedPageSize))
            position = body.upperBound
            if let crc = header.crc {
                let actual = bytes.withUnsafeBytes { PageChecksum.crc32(UnsafeRawBufferPointer(rebasing: $0[body])) }
                guard actual == crc else { throw malformed("page checksum mismatch") }
            }

            switch header.type {
            case PageType.dictionaryPage.rawValue:
                guard let dictionaryHeader = header.dictionaryPage else { throw malformed("dictionary page without its header") }
                guard dictionary == nil, levelsRead == 0 else { throw malformed("dictionary page after data") }
                guard dictionaryHeader.encoding == Encoding.plain.rawValue || dictionaryHeader.encoding == Encoding.plainDictionary.rawValue else {
                    throw malformed("dictionary page encoding \(dictionaryHeader.encoding) is not PLAIN")
                }
                let page = try PageDecompressor.decompress(bytes[body], codec: meta.codec,
                                                           uncompressedSize: Int(header.uncompressedPageSize),
                                                           column: column)
                dictionary = try plain(page, 0..<page.count, Int(dictionaryHeader.numValues), column)

            case PageType.dataPage.rawValue:
                guard let dataHeader = header.dataPage else { throw malformed("data page without its header") }
                let count = try pageCount(dataHeader.numValues, remaining: rows - levelsRead)
                let page = try PageDecompressor.decompress(bytes[body], codec: meta.codec,
                                                           uncompressedSize: Int(header.uncompressedPageSize),
                                                           column: column)
                var valueStart = 0
                var levels: [UInt32]?
                if maxDefinitionLevel > 0 {
                    guard dataHeader.definitionLevelEncoding == Encoding.rle.rawValue else {
                        throw malformed("definition level encoding \(dataHeader.definitionLevelEncoding) is not RLE")
                    }
                    guard page.count >= 4 else { throw malformed("definition levels length past the page") }
                    let length = Int(PlainDecoder.readUInt32(page, at: 0))
                    guard length <= page.count - 4 else { throw malformed("definition levels past the page") }
                    levels = try RLEHybridDecoder.decode(page, range: 4..<(4 + length), bitWidth: 1, count: count,
                                                         column: column)
                    valueStart = 4 + length
                }
                try appendPage(levels: levels, count: count, encoding: dataHeader.encoding, page: page,
                               values: valueStart..<page.count, dictionary: dictionary, plain: plain, into: &out)
                levelsRead += count

            case PageType.dataPageV2.rawValue:
                guard let v2 = header.dataPageV2 else { throw malformed("data page v2 without its header") }
                let count = try pageCount(v2.numValues, remaining: rows - levelsRead)
                let repetitionLength = Int(v2.repetitionLevelsByteLength)
                let definitionLength = Int(v2.definitionLevelsByteLength)
                guard repetitionLength >= 0, definitionLength >= 0,
                      repetitionLength + definitionLength <= body.count,
                      repetitionLength + definitionLength <= Int(header.uncompressedPageSize) else {
                    throw malformed("level lengths past the page")
                }
                let definitionStart = body.lowerBound + repetitionLength
                let valuesStart = definitionStart + definitionLength
                var levels: [UInt32]?
                if maxDefinitionLevel > 0 {
                    levels = try RLEHybridDecoder.decode(bytes, range: definitionStart..<valuesStart, bitWidth: 1,
                                                         count: count, column: column)
                }
                let valuesSize = Int(header.uncompressedPageSize) - repetitionLength - definitionLength
                let page = try PageDecompressor.decompress(bytes[valuesStart..<body.upperBound],
                                                           codec: v2.isCompressed ? meta.codec : 0,
                                                           uncompressedSize: valuesSize, column: column)
                try appendPage(levels: levels, count: count, encoding: v2.encoding, page: page,
                               values: 0..<page.count, dictionary: dictionary, plain: plain, into: &out)
                levelsRead += count

            default:
                continue
            }
        }
    }

    private func pageCount(_ numValues: Int32, remaining: Int) throws(ParquetError) -> Int {
        guard numValues >= 0, Int(numValues) <= remaining else {
            throw malformed("page of \(numValues) values where \(remaining) remain")
        }
        return Int(numValues)
    }

    /// Decodes a data page's values and appends one entry per level (or per value when required).
    private func appendPage<T>(levels: [UInt32]?, count: Int, encoding: Int32, page: [UInt8], values: Range<Int>,
                               dictionary: [T]?, plain: PlainDecode<T>, into out: inout [T?]) throws(ParquetError) {
        var nonNull = count
        if let levels {
            nonNull = 0
            for level in levels where level == 1 { nonNull += 1 }
        }
        let decoded: [T]
        switch encoding {
        case Encoding.plain.rawValue:
            decoded = try plain(page, values, nonNull, column)
        case Encoding.plainDictionary.rawValue, Encoding.rleDictionary.rawValue:
            guard let dictionary else { throw malformed("dictionary-encoded page without a dictionary page") }
            if nonNull == 0 {
                decoded = []
                break
            }
            guard !values.isEmpty else { throw malformed("dictionary indices without a bit width") }
            let bitWidth = Int(page[values.lowerBound])
            let indices = try RLEHybridDecoder.decode(page, range: (values.lowerBound + 1)..<values.upperBound,
                                                      bitWidth: bitWidth, count: nonNull, column: column)
            var mapped: [T] = []
            mapped.reserveCapacity(indices.count)
            for index in indices {
                guard Int(index) < dictionary.count else {
                    throw malformed("dictionary index \(index) past \(dictionary.count) entries")
                }
                mapped.append(dictionary[Int(index)])
            }
            decoded = mapped
        default:
            throw ParquetError(.invalidColumnData, "unsupported value encoding \(encoding)", context: ["column": column])
        }
        guard let levels else {
            out.append(contentsOf: decoded.lazy.map { Optional($0) })
            return
        }
        var next = 0
        for level in levels {
            if level == 1 {
                out.append(decoded[next])
                next += 1
            } else {
                out.append(nil)
            }
        }
    }
}
