/// A named, numbered field of a struct type or schema.
public struct NestedField: Sendable, Hashable, Codable {
    /// The field id, unique within the schema.
    public var id: Int32
    public var name: String
    /// Whether every row must have a value.
    public var required: Bool
    public var type: IcebergType
    public var doc: String?

    /// Creates a field.
    public init(id: Int32, name: String, required: Bool, type: IcebergType, doc: String? = nil) {
        self.id = id
        self.name = name
        self.required = required
        self.type = type
        self.doc = doc
    }

    private enum CodingKeys: String, CodingKey {
        case id, name, required, type, doc
    }
}
