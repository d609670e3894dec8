/// `SchemaElement`: one node of the flattened, depth-first schema tree in the footer.
struct SchemaElement: ThriftStruct, Sendable, Equatable {
    var type: PhysicalType?
    var typeLength: Int32?
    var repetitionType: FieldRepetitionType?
    var name: String
    var numChildren: Int32?
    var convertedType: ConvertedType?
    var scale: Int32?
    var precision: Int32?
    var fieldID: Int32?
    var logicalType: LogicalType?

    func write(to writer: inout CompactProtocolWriter) {
        if let type { writer.writeI32(field: 1, type.rawValue) }
        if let typeLength { writer.writeI32(field: 2, typeLength) }
        if let repetitionType { writer.writeI32(field: 3, repetitionType.rawValue) }
        writer.writeString(field: 4, name)
        if let numChildren { writer.writeI32(field: 5, numChildren) }
        if let convertedType { writer.writeI32(field: 6, convertedType.rawValue) }
        if let scale { writer.writeI32(field: 7, scale) }
        if let precision { writer.writeI32(field: 8, precision) }
        if let fieldID { writer.writeI32(field: 9, fieldID) }
        if let logicalType { writer.writeStruct(field: 10, logicalType) }
    }
}
