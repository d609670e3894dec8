/// How a table's rows are grouped into partitions: a numbered list of partition fields.
///
/// See <https://iceberg.apache.org/spec/#partitioning>.
public struct PartitionSpec: Sendable, Hashable, Codable {
    public var specId: Int32
    public var fields: [PartitionField]

    /// Creates a spec.
    public init(specId: Int32 = 0, fields: [PartitionField]) {
        self.specId = specId
        self.fields = fields
    }

    /// The spec with no partition fields.
    public static let unpartitioned = PartitionSpec(specId: 0, fields: [])

    /// The largest partition field id, or 999 when there is none (the spec's convention).
    public var highestFieldId: Int32 { fields.map(\.fieldId).max() ?? 999 }

    private enum CodingKeys: String, CodingKey {
        case specId = "spec-id", fields
    }
}
