/// `ColumnIndex`: per-page bounds and null counts of one column chunk, for page skipping.
///
/// Written after the row groups and referenced from `ColumnChunk.column_index_offset`, as
/// [PageIndex.md](https://github.com/apache/parquet-format/blob/master/PageIndex.md) describes.
/// `minValues`/`maxValues` are empty for pages whose `nullPages` entry is true.
struct ColumnIndex: ThriftStruct, Sendable, Equatable {
    var nullPages: [Bool]
    var minValues: [[UInt8]]
    var maxValues: [[UInt8]]
    var boundaryOrder: BoundaryOrder
    var nullCounts: [Int64]

    func write(to writer: inout CompactProtocolWriter) {
        writer.writeFieldHeader(.list, id: 1)
        writer.writeListHeader(.booleanTrue, count: nullPages.count)
        // Booleans inside a list are one byte each: 1 for true, 2 for false, as the C++ and Java writers do.
        for isNull in nullPages { writer.bytes.append(isNull ? 1 : 2) }
        writer.writeBinaryList(field: 2, minValues)
        writer.writeBinaryList(field: 3, maxValues)
        writer.writeI32(field: 4, boundaryOrder.rawValue)
        writer.writeFieldHeader(.list, id: 5)
        writer.writeListHeader(.i64, count: nullCounts.count)
        for count in nullCounts { writer.writeZigZag(count) }
    }
}

/// `OffsetIndex`: where each page of a column chunk starts and its first row.
struct OffsetIndex: ThriftStruct, Sendable, Equatable {
    var pageLocations: [PageLocation]

    func write(to writer: inout CompactProtocolWriter) {
        writer.writeStructList(field: 1, pageLocations)
    }
}

/// `PageLocation`: one data page of an `OffsetIndex`.
struct PageLocation: ThriftStruct, Sendable, Equatable {
    /// File offset of the page header.
    var offset: Int64
    /// Header plus compressed body, in bytes.
    var compressedPageSize: Int32
    /// Index of the page's first row within its row group.
    var firstRowIndex: Int64

    func write(to writer: inout CompactProtocolWriter) {
        writer.writeI64(field: 1, offset)
        writer.writeI32(field: 2, compressedPageSize)
        writer.writeI64(field: 3, firstRowIndex)
    }
}
