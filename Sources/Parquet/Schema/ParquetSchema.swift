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
    /// INT32 (8–32 bits) or INT64 (64 bits) with logical INT(bitWidth, isSigned) and converted
    /// INT_8…INT_64 / UINT_8…UINT_64. Data is `.int32` or `.int64`; unsigned values are stored as
    /// the bit pattern and their statistics use unsigned order. `bitWidth` is 8, 16, 32 or 64.
    case integer(bitWidth: Int8, isSigned: Bool)
    /// FIXED_LEN_BYTE_ARRAY(16) with logical UUID; data is `.fixedLenByteArray` of width 16,
    /// the UUID's bytes in RFC 4122 order. Statistics compare unsigned bytes.
    case uuid
    /// Logical DECIMAL(precision, scale), converted DECIMAL. Stored as INT32 when `precision` ≤ 9,
    /// INT64 when ≤ 18, else FIXED_LEN_BYTE_ARRAY of the fewest bytes that hold `precision` digits
    /// (big-endian two's complement unscaled value); data is `.int32`, `.int64` or `.fixedLenByteArray`
    /// accordingly. `precision` is 1...38, `scale` 0...precision.
    case decimal(precision: Int32, scale: Int32)
    /// FIXED_LEN_BYTE_ARRAY(`length`) with no annotation; data is `.fixedLenByteArray` of that width.
    case fixedLenByteArray(length: Int32)
    /// Three-level MAP: `group (MAP) { repeated group key_value { key; value } }`.
    case map(key: ParquetField, value: ParquetField)
    /// Three-level LIST: `group (LIST) { repeated group list { element } }`.
    case list(element: ParquetField)
}
