/// `PageHeader`: precedes every page in a column chunk.
struct PageHeader: ThriftStruct, Sendable, Equatable {
    var type: PageType
    var uncompressedPageSize: Int32
    var compressedPageSize: Int32
    var crc: Int32?
    var dataPageHeader: DataPageHeader?
    var dictionaryPageHeader: DictionaryPageHeader?

    func write(to writer: inout CompactProtocolWriter) {
        writer.writeI32(field: 1, type.rawValue)
        writer.writeI32(field: 2, uncompressedPageSize)
        writer.writeI32(field: 3, compressedPageSize)
        if let crc { writer.writeI32(field: 4, crc) }
        if let dataPageHeader { writer.writeStruct(field: 5, dataPageHeader) }
        if let dictionaryPageHeader { writer.writeStruct(field: 7, dictionaryPageHeader) }
    }
}

/// `DataPageHeader` of a v1 data page: levels and values share one compressed block.
struct DataPageHeader: ThriftStruct, Sendable, Equatable {
    var numValues: Int32
    var encoding: Encoding
    var definitionLevelEncoding: Encoding = .rle
    var repetitionLevelEncoding: Encoding = .rle
    var statistics: Statistics?

    func write(to writer: inout CompactProtocolWriter) {
        writer.writeI32(field: 1, numValues)
        writer.writeI32(field: 2, encoding.rawValue)
        writer.writeI32(field: 3, definitionLevelEncoding.rawValue)
        writer.writeI32(field: 4, repetitionLevelEncoding.rawValue)
        if let statistics { writer.writeStruct(field: 5, statistics) }
    }
}

/// `DictionaryPageHeader`: the PLAIN-encoded dictionary that RLE_DICTIONARY pages index into.
struct DictionaryPageHeader: ThriftStruct, Sendable, Equatable {
    var numValues: Int32
    var encoding: Encoding = .plain
    var isSorted: Bool?

    func write(to writer: inout CompactProtocolWriter) {
        writer.writeI32(field: 1, numValues)
        writer.writeI32(field: 2, encoding.rawValue)
        if let isSorted { writer.writeBool(field: 3, isSorted) }
    }
}
