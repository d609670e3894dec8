/// A table schema: a numbered struct of fields, serialized as `{"type":"struct","schema-id":0,"fields":[...]}`.
///
/// See <https://iceberg.apache.org/spec/#schemas>.
public struct Schema: Sendable, Hashable, Codable {
    public var schemaId: Int32
    public var fields: [NestedField]
    /// Ids of the fields that identify a row; usually empty for Floe's tables.
    public var identifierFieldIds: [Int32]

    /// Creates a schema.
    public init(schemaId: Int32 = 0, fields: [NestedField], identifierFieldIds: [Int32] = []) {
        self.schemaId = schemaId
        self.fields = fields
        self.identifierFieldIds = identifierFieldIds
    }

    /// The largest field id in the schema, nested ids included; 0 for an empty schema.
    public var highestFieldId: Int32 { IcebergType.struct(fields).maxNestedFieldId ?? 0 }

    /// The top-level field with this id, if any.
    public func field(id: Int32) -> NestedField? { fields.first { $0.id == id } }

    private enum CodingKeys: String, CodingKey {
        case type, schemaId = "schema-id", fields, identifierFieldIds = "identifier-field-ids"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        schemaId = try container.decodeIfPresent(Int32.self, forKey: .schemaId) ?? 0
        fields = try container.decode([NestedField].self, forKey: .fields)
        identifierFieldIds = try container.decodeIfPresent([Int32].self, forKey: .identifierFieldIds) ?? []
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode("struct", forKey: .type)
        try container.encode(schemaId, forKey: .schemaId)
        try container.encode(fields, forKey: .fields)
        try container.encode(identifierFieldIds, forKey: .identifierFieldIds)
    }
}
