@testable import Parquet

/// Builds Parquet files page by page, for layouts Floe's writer never produces (data page v2,
/// unknown Thrift fields, broken dictionaries).
enum HandmadeParquet {
    /// One column chunk: its schema element and its pages (header and body each), dictionary first.
    struct Column {
        var element: SchemaElement
        var type: PhysicalType
        var codec: Int32
        var pages: [[UInt8]]
        var hasDictionary: Bool
    }

    /// A `FileMetaData` followed by extra fields that the reader must skip.
    struct ExtendedFooter: ThriftStruct {
        var base: FileMetaData
        var extra: @Sendable (inout CompactProtocolWriter) -> Void

        func write(to writer: inout CompactProtocolWriter) {
            base.write(to: &writer)
            extra(&writer)
        }
    }

    static func file(rows: Int, columns: [Column],
                     extraFooterFields: @escaping @Sendable (inout CompactProtocolWriter) -> Void = { _ in }) -> [UInt8] {
        var out = Array("PAR1".utf8)
        var chunks: [ColumnChunk] = []
        for column in columns {
            let start = out.count
            for page in column.pages { out += page }
            let size = Int64(out.count - start)
            let dataOffset = column.hasDictionary ? start + (column.pages.first?.count ?? 0) : start
            let meta = ColumnMetaData(
                type: column.type, encodings: [.plain], pathInSchema: [column.element.name], codec: column.codec,
                numValues: Int64(rows), totalUncompressedSize: size, totalCompressedSize: size,
                dataPageOffset: Int64(dataOffset), dictionaryPageOffset: column.hasDictionary ? Int64(start) : nil,
                statistics: nil, encodingStats: [])
            chunks.append(ColumnChunk(fileOffset: Int64(start), metaData: meta))
        }
        let schema = [SchemaElement(name: "schema", numChildren: Int32(columns.count))] + columns.map(\.element)
        let metadata = FileMetaData(
            schema: schema, numRows: Int64(rows),
            rowGroups: [RowGroup(columns: chunks, totalByteSize: Int64(out.count), numRows: Int64(rows))],
            keyValueMetadata: [], createdBy: "handmade", columnOrderCount: 0)
        let footer = ExtendedFooter(base: metadata, extra: extraFooterFields).compactEncoded()
        out += footer
        let length = UInt32(footer.count)
        out += [UInt8(length & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length >> 16 & 0xFF), UInt8(length >> 24)]
        out += Array("PAR1".utf8)
        return out
    }

    static func compress(_ body: [UInt8], _ codec: CompressionCodec) throws -> [UInt8] {
        try PageCompressor(codec: codec).compress(body) { Array($0) }
    }

    /// A v1 data page or dictionary page with `PageHeader` as the writer encodes it.
    static func v1Page(type: PageType, numValues: Int, encoding: Encoding, body: [UInt8],
                       codec: CompressionCodec = .uncompressed) throws -> [UInt8] {
        let compressed = try compress(body, codec)
        let header = PageHeader(
            type: type, uncompressedPageSize: Int32(body.count), compressedPageSize: Int32(compressed.count),
            crc: nil,
            dataPageHeader: type == .dataPage ? DataPageHeader(numValues: Int32(numValues), encoding: encoding) : nil,
            dictionaryPageHeader: type == .dictionaryPage ? DictionaryPageHeader(numValues: Int32(numValues)) : nil)
        return header.compactEncoded() + compressed
    }

    /// A data page v2: repetition levels (none), definition levels, then values compressed with
    /// `codec` when `isCompressed` (nil leaves the field out, which means compressed).
    static func v2Page(numValues: Int, numNulls: Int, encoding: Encoding, definitionLevels: [UInt8],
                       values: [UInt8], codec: CompressionCodec, isCompressed: Bool?,
                       withUnknownFields: Bool = false) throws -> [UInt8] {
        let payload = isCompressed == false ? values : try compress(values, codec)
        var writer = CompactProtocolWriter()
        writer.beginStruct()
        writer.writeI32(field: 1, PageType.dataPageV2.rawValue)
        writer.writeI32(field: 2, Int32(definitionLevels.count + values.count))
        writer.writeI32(field: 3, Int32(definitionLevels.count + payload.count))
        writer.writeFieldHeader(.struct, id: 8)
        writer.beginStruct()
        writer.writeI32(field: 1, Int32(numValues))
        writer.writeI32(field: 2, Int32(numNulls))
        writer.writeI32(field: 3, Int32(numValues))
        writer.writeI32(field: 4, encoding.rawValue)
        writer.writeI32(field: 5, Int32(definitionLevels.count))
        writer.writeI32(field: 6, 0)
        if let isCompressed { writer.writeBool(field: 7, isCompressed) }
        if withUnknownFields {
            writer.writeBinary(field: 40, [1, 2, 3])
            writer.writeBool(field: 41, true)
        }
        writer.endStruct()
        if withUnknownFields {
            writeEveryType(&writer, from: 20)
        }
        writer.endStruct()
        return writer.bytes + definitionLevels + payload
    }

    /// Fields of every compact type with ids `first`, `first + 1`, ... (one in long form).
    static func writeEveryType(_ writer: inout CompactProtocolWriter, from first: Int16) {
        writer.writeBool(field: first, true)
        writer.writeBool(field: first + 1, false)
        writer.writeI8(field: first + 2, -7)
        writer.writeFieldHeader(.i16, id: first + 3)
        writer.writeZigZag(-300)
        writer.writeI32(field: first + 4, Int32.min)
        writer.writeI64(field: first + 5, Int64.max)
        writer.writeFieldHeader(.double, id: first + 6)
        writer.bytes += [0, 0, 0, 0, 0, 0, 0xF0, 0x3F]
        writer.writeString(field: first + 7, "unknown 😀")
        writer.writeI32List(field: first + 8, Array(0..<20))
        // set<binary>
        writer.writeFieldHeader(.set, id: first + 9)
        writer.writeListHeader(.binary, count: 2)
        writer.writeBinaryValue([1, 2])
        writer.writeBinaryValue([])
        // map<binary, i64> with 2 entries, then an empty map.
        writer.writeFieldHeader(.map, id: first + 10)
        writer.writeVarint(2)
        writer.bytes.append(0x86)
        writer.writeBinaryValue([65])
        writer.writeZigZag(1)
        writer.writeBinaryValue([66])
        writer.writeZigZag(-1)
        writer.writeFieldHeader(.map, id: first + 11)
        writer.writeVarint(0)
        // list<bool>
        writer.writeFieldHeader(.list, id: first + 12)
        writer.writeListHeader(.booleanTrue, count: 3)
        writer.bytes += [1, 2, 0]
        // list<list<struct{bool, list<i32>, struct{}}>>
        writer.writeFieldHeader(.list, id: first + 13)
        writer.writeListHeader(.list, count: 2)
        for _ in 0..<2 {
            writer.writeListHeader(.struct, count: 1)
            writer.beginStruct()
            writer.writeBool(field: 1, false)
            writer.writeI32List(field: 2, [1, -1])
            writer.writeEmptyStruct(field: 3)
            writer.endStruct()
        }
        // A long-form (backwards) field id.
        writer.writeI64(field: 2000, 42)
    }

    /// Four-byte little-endian length then the bytes, per value.
    static func plainByteArrays(_ values: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = []
        for value in values {
            let n = UInt32(value.count)
            out += [UInt8(n & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n >> 16 & 0xFF), UInt8(n >> 24)] + value
        }
        return out
    }

    static func plainInt64s(_ values: [Int64]) -> [UInt8] {
        var out: [UInt8] = []
        for value in values {
            withUnsafeBytes(of: value.littleEndian) { out += $0 }
        }
        return out
    }

    /// RLE/bit-packed levels or indices, with the 4-byte length prefix when `prefixed`.
    static func hybrid(_ values: [UInt32], bitWidth: Int, prefixed: Bool) -> [UInt8] {
        var out: [UInt8] = []
        if prefixed {
            RLEHybridEncoder.encodeWithLengthPrefix(values, bitWidth: bitWidth, into: &out)
        } else {
            RLEHybridEncoder.encode(values, bitWidth: bitWidth, into: &out)
        }
        return out
    }
}
