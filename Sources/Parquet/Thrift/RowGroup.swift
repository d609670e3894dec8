/// `RowGroup`: the column chunks holding one horizontal slice of the rows.
struct RowGroup: ThriftStruct, Sendable, Equatable {
    var columns: [ColumnChunk]
    var totalByteSize: Int64
    var numRows: Int64
    var fileOffset: Int64?
    var totalCompressedSize: Int64?
    var ordinal: Int16?

    func write(to writer: inout CompactProtocolWriter) {
        writer.writeStructList(field: 1, columns)
        writer.writeI64(field: 2, totalByteSize)
        writer.writeI64(field: 3, numRows)
        if let fileOffset { writer.writeI64(field: 5, fileOffset) }
        if let totalCompressedSize { writer.writeI64(field: 6, totalCompressedSize) }
        if let ordinal {
            writer.writeFieldHeader(.i16, id: 7)
            writer.writeZigZag(Int64(ordinal))
        }
    }
}

/// `ColumnChunk`: where one leaf column of a row group lives, with its metadata inline.
struct ColumnChunk: ThriftStruct, Sendable, Equatable {
    /// Offset of the chunk's first page (dictionary page if any), as parquet-java writes it.
    var fileOffset: Int64
    var metaData: ColumnMetaData
    var offsetIndexOffset: Int64?
    var offsetIndexLength: Int32?
    var columnIndexOffset: Int64?
    var columnIndexLength: Int32?

    init(fileOffset: Int64, metaData: ColumnMetaData) {
        self.fileOffset = fileOffset
        self.metaData = metaData
    }

    func write(to writer: inout CompactProtocolWriter) {
        writer.writeI64(field: 2, fileOffset)
        writer.writeStruct(field: 3, metaData)
        if let offsetIndexOffset, let offsetIndexLength {
            writer.writeI64(field: 4, offsetIndexOffset)
            writer.writeI32(field: 5, offsetIndexLength)
        }
        if let columnIndexOffset, let columnIndexLength {
            writer.writeI64(field: 6, columnIndexOffset)
            writer.writeI32(field: 7, columnIndexLength)
        }
    }
}
