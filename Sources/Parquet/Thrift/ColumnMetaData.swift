/// `ColumnMetaData`: sizes, offsets, encodings and statistics of one column chunk.
struct ColumnMetaData: ThriftStruct, Sendable, Equatable {
    var type: PhysicalType
    var encodings: [Encoding]
    var pathInSchema: [String]
    var codec: Int32
    var numValues: Int64
    var totalUncompressedSize: Int64
    var totalCompressedSize: Int64
    var dataPageOffset: Int64
    var dictionaryPageOffset: Int64?
    var statistics: Statistics?
    var encodingStats: [PageEncodingStats]

    func write(to writer: inout CompactProtocolWriter) {
        writer.writeI32(field: 1, type.rawValue)
        writer.writeI32List(field: 2, encodings.map(\.rawValue))
        writer.writeStringList(field: 3, pathInSchema)
        writer.writeI32(field: 4, codec)
        writer.writeI64(field: 5, numValues)
        writer.writeI64(field: 6, totalUncompressedSize)
        writer.writeI64(field: 7, totalCompressedSize)
        writer.writeI64(field: 9, dataPageOffset)
        if let dictionaryPageOffset { writer.writeI64(field: 11, dictionaryPageOffset) }
        if let statistics { writer.writeStruct(field: 12, statistics) }
        if !encodingStats.isEmpty { writer.writeStructList(field: 13, encodingStats) }
    }
}

/// `PageEncodingStats`: how many pages of a type used an encoding.
struct PageEncodingStats: ThriftStruct, Sendable, Equatable {
    var pageType: PageType
    var encoding: Encoding
    var count: Int32

    func write(to writer: inout CompactProtocolWriter) {
        writer.writeI32(field: 1, pageType.rawValue)
        writer.writeI32(field: 2, encoding.rawValue)
        writer.writeI32(field: 3, count)
    }
}
