/// The shape of a Parquet file: top-level fields, each a leaf or a nested map/list.
///
/// Field ids are written as `field_id` on every SchemaElement (Iceberg reads columns by id).
public struct ParquetSchema: Sendable, Equatable {
    public var fields: [ParquetField]

    public init(fields: [ParquetField]) {
        self.fields = fields
    }
}

/// One named field of a Parquet schema.
public struct ParquetField: Sendable, Equatable {
    public var name: String
    public var fieldId: Int32?
    public var type: ParquetType
    public var isRequired: Bool

    public init(name: String, fieldId: Int32?, type: ParquetType, isRequired: Bool) {
        self.name = name
        self.fieldId = fieldId
        self.type = type
        self.isRequired = isRequired
    }
}

/// The logical type of a field, which fixes its physical type, logical type annotation and converted type.
public indirect enum ParquetType: Sendable, Equatable {
    case boolean
    case int32
    case int64
    case float
    case double
    /// BYTE_ARRAY, logical STRING, converted UTF8.
    case string
    /// BYTE_ARRAY with no annotation.
    case binary
    /// INT64, logical TIMESTAMP(isAdjustedToUTC: true, MICROS), converted TIMESTAMP_MICROS.
    case timestampMicrosUTC
    /// INT32, logical DATE, converted DATE.
    case date
    /// Three-level MAP: `group (MAP) { repeated group key_value { key; value } }`.
    case map(key: ParquetField, value: ParquetField)
    /// Three-level LIST: `group (LIST) { repeated group list { element } }`.
    case list(element: ParquetField)
}
