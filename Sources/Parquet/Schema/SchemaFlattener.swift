/// Flattens a `ParquetSchema` into the depth-first `SchemaElement` list of the footer.
///
/// Maps and lists use the three-level layouts of
/// [LogicalTypes.md](https://github.com/apache/parquet-format/blob/master/LogicalTypes.md#nested-types)
/// (`key_value` with `key`/`value`, `list` with `element`); every element with a field id carries it.
enum SchemaFlattener {
    static func elements(of schema: ParquetSchema) throws(ParquetError) -> [SchemaElement] {
        var elements = [SchemaElement(name: "schema", numChildren: Int32(schema.fields.count))]
        for field in schema.fields {
            try append(field, into: &elements)
        }
        return elements
    }

    private static func append(_ field: ParquetField, into elements: inout [SchemaElement]) throws(ParquetError) {
        let repetition: FieldRepetitionType = field.isRequired ? .required : .optional
        switch field.type {
        case .map(let key, let value):
            elements.append(SchemaElement(repetitionType: repetition, name: field.name, numChildren: 1,
                                          convertedType: .map, fieldID: field.fieldId, logicalType: .map))
            elements.append(SchemaElement(repetitionType: .repeated, name: "key_value", numChildren: 2))
            try append(key, into: &elements)
            try append(value, into: &elements)
        case .list(let element):
            elements.append(SchemaElement(repetitionType: repetition, name: field.name, numChildren: 1,
                                          convertedType: .list, fieldID: field.fieldId, logicalType: .list))
            elements.append(SchemaElement(repetitionType: .repeated, name: "list", numChildren: 1))
            try append(element, into: &elements)
        default:
            let mapping = try field.type.leafMapping(column: field.name)
            elements.append(SchemaElement(type: mapping.physicalType, typeLength: mapping.typeLength,
                                          repetitionType: repetition, name: field.name, numChildren: nil,
                                          convertedType: mapping.convertedType, scale: mapping.scale,
                                          precision: mapping.precision, fieldID: field.fieldId,
                                          logicalType: mapping.logicalType))
        }
    }
}

extension SchemaElement {
    init(type: PhysicalType? = nil, repetitionType: FieldRepetitionType? = nil, name: String,
         numChildren: Int32? = nil, convertedType: ConvertedType? = nil, fieldID: Int32? = nil,
         logicalType: LogicalType? = nil) {
        self.init(type: type, typeLength: nil, repetitionType: repetitionType, name: name, numChildren: numChildren,
                  convertedType: convertedType, scale: nil, precision: nil, fieldID: fieldID, logicalType: logicalType)
    }
}
