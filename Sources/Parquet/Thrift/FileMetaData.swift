/// `FileMetaData`: the footer describing schema, row groups and column orders.
struct FileMetaData: ThriftStruct, Sendable, Equatable {
    var version: Int32 = 2
    var schema: [SchemaElement]
    var numRows: Int64
    var rowGroups: [RowGroup]
    var keyValueMetadata: [KeyValue]
    var createdBy: String?
    /// One `TYPE_ORDER` per leaf column, so that engines trust min/max.
    var columnOrderCount: Int

    func write(to writer: inout CompactProtocolWriter) {
        writer.writeI32(field: 1, version)
        writer.writeStructList(field: 2, schema)
        writer.writeI64(field: 3, numRows)
        writer.writeStructList(field: 4, rowGroups)
        if !keyValueMetadata.isEmpty { writer.writeStructList(field: 5, keyValueMetadata) }
        if let createdBy { writer.writeString(field: 6, createdBy) }
        if columnOrderCount > 0 {
            writer.writeFieldHeader(.list, id: 7)
            writer.writeListHeader(.struct, count: columnOrderCount)
            for _ in 0..<columnOrderCount {
                // ColumnOrder union with member 1, TYPE_ORDER (an empty TypeDefinedOrder).
                writer.beginStruct()
                writer.writeEmptyStruct(field: 1)
                writer.endStruct()
            }
        }
    }
}
