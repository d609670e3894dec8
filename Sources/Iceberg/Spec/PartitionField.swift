/// One field of a partition spec: a transform applied to a source column.
public struct PartitionField: Sendable, Hashable, Codable {
    /// The schema field the transform reads.
    public var sourceId: Int32
    /// The partition field id (1000 and up), used as the field id of the manifest's partition struct.
    public var fieldId: Int32
    public var name: String
    /// The transform as the spec writes it: `identity`, `hour`, `day`, `bucket[16]`, `truncate[8]`, ...
    public var transform: String

    /// Creates a partition field.
    public init(sourceId: Int32, fieldId: Int32, name: String, transform: String) {
        self.sourceId = sourceId
        self.fieldId = fieldId
        self.name = name
        self.transform = transform
    }

    private enum CodingKeys: String, CodingKey {
        case sourceId = "source-id", fieldId = "field-id", name, transform
    }

    /// The type of the transform's result for a source column of type `sourceType`, or nil for an unknown transform.
    ///
    /// See <https://iceberg.apache.org/spec/#partition-transforms>.
    public func resultType(sourceType: IcebergType) -> IcebergType? {
        switch transform {
        case "identity", "void": return sourceType
        case "year", "month", "hour": return .int
        case "day": return .date
        default:
            if transform.hasPrefix("bucket[") { return .int }
            if transform.hasPrefix("truncate[") { return sourceType }
            return nil
        }
    }
}
