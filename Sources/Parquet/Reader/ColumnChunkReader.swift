/// Reads the pages of one column chunk: its repetition and definition levels and its non-null values
/// (``readLevels(_:into:plain:)``), or for a flat column (no repetition, definition level 0 or 1)
/// row-ordered optional values (``read(_:rows:into:plain:)``).
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
    /// 0 for a required flat column, 1 for an optional one; more inside groups.
    let maxDefinitionLevel: Int
    /// 0 for a flat column, 1 inside one repeated group (a list or a map).
    var maxRepetitionLevel = 0
    /// Thrift `Type` the chunk must have.
    let physicalType: Int32

    private func malformed(_ message: String) -> ParquetError {
        ParquetError(.invalidColumnData, "malformed Parquet column chunk: \(message)", context: ["column": column])
    }

    /// A chunk's levels and values: one repetition and one definition level per entry (empty when the
    /// maximum level is 0), and the values of the entries whose definition level is the maximum.
    struct Levels<T> {
        var repetition: [UInt32] = []
        var definition: [UInt32] = []
        var values: [T] = []
    }

    /// Appends the chunk's `rows` values (nil for nulls) to `out`; the column must be flat.
    func read<T>(_ meta: FooterColumnMetaData, rows: Int, into out: inout [T?],
                 plain: PlainDecode<T>) throws(ParquetError) {
        guard meta.numValues == Int64(rows) else {
            throw malformed("\(meta.numValues) values for \(rows) rows of a flat column")
        }
        var levels = Levels<T>()
        try readLevels(meta, into: &levels, plain: plain)
        guard maxDefinitionLevel > 0 else {
            out.append(contentsOf: levels.values.lazy.map { Optional($0) })
            return
        }
        var next = 0
        for level in levels.definition {
            if level == 1 {
                out.append(levels.values[next])
                next += 1
            } else {
                out.append(nil)
            }
        }
    }

    /// Bits of one level of at most `max` (RLE/bit-packed hybrid width).
    private static func bitWidth(_ max: Int) -> Int { max == 0 ? 0 : Int.bitWidth - max.leadingZeroBitCount }

    /// Appends the chunk's levels and values (`meta.numValues` entries) to `levels`.
    func readLevels<T>(_ meta: FooterColumnMetaData, into levels: inout Levels<T>,
                       plain: PlainDecode<T>) throws(ParquetError) {
        guard meta.type == physicalType else {
            throw ParquetError(.schemaMismatch, "column chunk has physical type \(meta.type), schema says \(physicalType)",
                               context: ["column": column])
        }
        guard meta.numValues >= 0, meta.numValues <= Int64(Int32.max) else {
            throw malformed("\(meta.numValues) values out of range")
        }
        let entries = Int(meta.numValues)
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
        let repetitionWidth = Self.bitWidth(maxRepetitionLevel), definitionWidth = Self.bitWidth(maxDefinitionLevel)

        while levelsRead < entries {
            guard position < end else { throw malformed("chunk ends after \(levelsRead) of \(entries) values") }
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
                let count = try pageCount(dataHeader.numValues, remaining: entries - levelsRead)
                let page = try PageDecompressor.decompress(bytes[body], codec: meta.codec,
                                                           uncompressedSize: Int(header.uncompressedPageSize),
                                                           column: column)
                var valueStart = 0
                // v1: each level run is prefixed by its 4-byte length, repetition levels first.
                func lengthPrefixedLevels(width: Int, encoding: Int32, name: String) throws(ParquetError) -> [UInt32] {
                    guard encoding == Encoding.rle.rawValue else {
                        throw malformed("\(name) level encoding \(encoding) is not RLE")
                    }
                    guard page.count - valueStart >= 4 else { throw malformed("\(name) levels length past the page") }
                    let length = Int(PlainDecoder.readUInt32(page, at: valueStart))
                    guard length <= page.count - valueStart - 4 else { throw malformed("\(name) levels past the page") }
                    let decoded = try RLEHybridDecoder.decode(page, range: (valueStart + 4)..<(valueStart + 4 + length),
                                                              bitWidth: width, count: count, column: column)
                    valueStart += 4 + length
                    return decoded
                }
                if maxRepetitionLevel > 0 {
                    levels.repetition += try lengthPrefixedLevels(width: repetitionWidth,
                                                                  encoding: dataHeader.repetitionLevelEncoding, name: "repetition")
                }
                var definition: [UInt32]?
                if maxDefinitionLevel > 0 {
                    definition = try lengthPrefixedLevels(width: definitionWidth,
                                                          encoding: dataHeader.definitionLevelEncoding, name: "definition")
                }
                try appendPage(definition: definition, count: count, encoding: dataHeader.encoding, page: page,
                               values: valueStart..<page.count, dictionary: dictionary, plain: plain, into: &levels)
                levelsRead += count

            case PageType.dataPageV2.rawValue:
                guard let v2 = header.dataPageV2 else { throw malformed("data page v2 without its header") }
                let count = try pageCount(v2.numValues, remaining: entries - levelsRead)
                let repetitionLength = Int(v2.repetitionLevelsByteLength)
                let definitionLength = Int(v2.definitionLevelsByteLength)
                guard repetitionLength >= 0, definitionLength >= 0,
                      repetitionLength + definitionLength <= body.count,
                      repetitionLength + definitionLength <= Int(header.uncompressedPageSize) else {
                    throw malformed("level lengths past the page")
                }
                let definitionStart = body.lowerBound + repetitionLength
                let valuesStart = definitionStart + definitionLength
                if maxRepetitionLevel > 0 {
                    levels.repetition += try RLEHybridDecoder.decode(bytes, range: body.lowerBound..<definitionStart,
                                                                     bitWidth: repetitionWidth, count: count, column: column)
                }
                var definition: [UInt32]?
                if maxDefinitionLevel > 0 {
                    definition = try RLEHybridDecoder.decode(bytes, range: definitionStart..<valuesStart,
                                                             bitWidth: definitionWidth, count: count, column: column)
                }
                let valuesSize = Int(header.uncompressedPageSize) - repetitionLength - definitionLength
                let page = try PageDecompressor.decompress(bytes[valuesStart..<body.upperBound],
                                                           codec: v2.isCompressed ? meta.codec : 0,
                                                           uncompressedSize: valuesSize, column: column)
                try appendPage(definition: definition, count: count, encoding: v2.encoding, page: page,
                               values: 0..<page.count, dictionary: dictionary, plain: plain, into: &levels)
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

    /// Decodes a data page's values (one per definition level at the maximum, or `count` when there are
    /// no definition levels) and appends them and the levels to `levels`.
    private func appendPage<T>(definition: [UInt32]?, count: Int, encoding: Int32, page: [UInt8], values: Range<Int>,
                               dictionary: [T]?, plain: PlainDecode<T>, into levels: inout Levels<T>) throws(ParquetError) {
        var nonNull = count
        if let definition {
            nonNull = 0
            let top = UInt32(maxDefinitionLevel)
            for level in definition {
                guard level <= top else { throw malformed("definition level \(level) above the maximum \(top)") }
                if level == top { nonNull += 1 }
            }
            levels.definition += definition
        }
        switch encoding {
        case Encoding.plain.rawValue:
            levels.values += try plain(page, values, nonNull, column)
        case Encoding.plainDictionary.rawValue, Encoding.rleDictionary.rawValue:
            guard let dictionary else { throw malformed("dictionary-encoded page without a dictionary page") }
            if nonNull == 0 { break }
            guard !values.isEmpty else { throw malformed("dictionary indices without a bit width") }
            let bitWidth = Int(page[values.lowerBound])
            let indices = try RLEHybridDecoder.decode(page, range: (values.lowerBound + 1)..<values.upperBound,
                                                      bitWidth: bitWidth, count: nonNull, column: column)
            levels.values.reserveCapacity(levels.values.count + indices.count)
            for index in indices {
                guard Int(index) < dictionary.count else {
                    throw malformed("dictionary index \(index) past \(dictionary.count) entries")
                }
                levels.values.append(dictionary[Int(index)])
            }
        default:
            throw ParquetError(.invalidColumnData, "unsupported value encoding \(encoding)", context: ["column": column])
        }
    }
}
