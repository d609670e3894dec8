/// An Avro schema with Iceberg's field-id annotations, as written into (and read from) container headers.
///
/// See <https://avro.apache.org/docs/1.11.1/specification/> and the Iceberg spec's Appendix A (Avro).
indirect enum AvroSchema: Sendable, Hashable {
    case null
    case boolean
    case int
    case long
    case float
    case double
    case bytes
    case string
    /// An `int` or `long` annotated with a logical type such as `date` or `timestamp-micros`.
    case logical(base: AvroSchema, logicalType: String, adjustToUTC: Bool?)
    case fixed(name: String, size: Int, logicalType: String?)
    case enumeration(name: String, symbols: [String])
    case record(name: String, fields: [AvroField])
    /// An array; Iceberg maps with non-string keys are arrays of key/value records with logical type `map`.
    case array(items: AvroSchema, elementId: Int32?, logicalType: String?)
    case map(values: AvroSchema, keyId: Int32?, valueId: Int32?)
    case union([AvroSchema])

    /// `["null", schema]`, the only union Iceberg allows.
    static func optional(_ schema: AvroSchema) -> AvroSchema { .union([.null, schema]) }

    /// An Iceberg map with non-string keys: an array of `k{keyId}_v{valueId}` records, logical type `map`.
    static func keyValueArray(keyId: Int32, key: AvroSchema, valueId: Int32, value: AvroSchema) -> AvroSchema {
        .array(items: .record(name: "k\(keyId)_v\(valueId)", fields: [
            AvroField(name: "key", type: key, fieldId: keyId),
            AvroField(name: "value", type: value, fieldId: valueId),
        ]), elementId: nil, logicalType: "map")
    }

    /// The record's fields, or empty for other schemas.
    var recordFields: [AvroField] {
        if case .record(_, let fields) = self { return fields }
        return []
    }
}

/// A field of an Avro record, with its Iceberg `field-id`.
struct AvroField: Sendable, Hashable {
    var name: String
    var type: AvroSchema
    var fieldId: Int32?
    var doc: String?
    /// Whether the field declares `"default": null` (Iceberg requires it for optional fields).
    var defaultNull: Bool

    init(name: String, type: AvroSchema, fieldId: Int32?, doc: String? = nil, defaultNull: Bool? = nil) {
        self.name = name
        self.type = type
        self.fieldId = fieldId
        self.doc = doc
        if let defaultNull {
            self.defaultNull = defaultNull
        } else if case .union(let branches) = type, branches.first == .null {
            self.defaultNull = true
        } else {
            self.defaultNull = false
        }
    }
}
