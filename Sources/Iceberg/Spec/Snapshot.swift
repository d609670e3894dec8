/// One committed state of a table: the manifest list that enumerates its files, plus a summary.
///
/// See <https://iceberg.apache.org/spec/#snapshots>.
public struct Snapshot: Sendable, Hashable, Codable {
    public var snapshotId: Int64
    public var parentSnapshotId: Int64?
    public var sequenceNumber: Int64
    /// Milliseconds since the epoch.
    public var timestampMs: Int64
    public var manifestList: String
    /// The summary, `operation` included.
    public var summary: [String: String]
    public var schemaId: Int32?
    /// Fields Floe does not model, kept as read.
    public var additionalFields: [String: JSONValue]

    /// Creates a snapshot.
    public init(snapshotId: Int64, parentSnapshotId: Int64?, sequenceNumber: Int64, timestampMs: Int64,
                manifestList: String, summary: [String: String], schemaId: Int32?,
                additionalFields: [String: JSONValue] = [:]) {
        self.snapshotId = snapshotId
        self.parentSnapshotId = parentSnapshotId
        self.sequenceNumber = sequenceNumber
        self.timestampMs = timestampMs
        self.manifestList = manifestList
        self.summary = summary
        self.schemaId = schemaId
        self.additionalFields = additionalFields
    }

    /// The summary's `operation`: `append`, `replace`, `overwrite` or `delete`.
    public var operation: String? { summary["operation"] }

    private static let knownKeys: Set<String> = [
        "snapshot-id", "parent-snapshot-id", "sequence-number", "timestamp-ms", "manifest-list", "summary", "schema-id",
    ]

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: AnyCodingKey.self)
        snapshotId = try container.decode(Int64.self, forKey: AnyCodingKey("snapshot-id"))
        parentSnapshotId = try container.decodeIfPresent(Int64.self, forKey: AnyCodingKey("parent-snapshot-id"))
        sequenceNumber = try container.decodeIfPresent(Int64.self, forKey: AnyCodingKey("sequence-number")) ?? 0
        timestampMs = try container.decode(Int64.self, forKey: AnyCodingKey("timestamp-ms"))
        manifestList = try container.decode(String.self, forKey: AnyCodingKey("manifest-list"))
        summary = try container.decodeIfPresent([String: String].self, forKey: AnyCodingKey("summary")) ?? [:]
        schemaId = try container.decodeIfPresent(Int32.self, forKey: AnyCodingKey("schema-id"))
        additionalFields = try container.unknownFields(excluding: Self.knownKeys)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: AnyCodingKey.self)
        try container.encode(snapshotId, forKey: AnyCodingKey("snapshot-id"))
        try container.encodeIfPresent(parentSnapshotId, forKey: AnyCodingKey("parent-snapshot-id"))
        try container.encode(sequenceNumber, forKey: AnyCodingKey("sequence-number"))
        try container.encode(timestampMs, forKey: AnyCodingKey("timestamp-ms"))
        try container.encode(manifestList, forKey: AnyCodingKey("manifest-list"))
        try container.encode(summary, forKey: AnyCodingKey("summary"))
        try container.encodeIfPresent(schemaId, forKey: AnyCodingKey("schema-id"))
        try container.encodeUnknownFields(additionalFields, excluding: Self.knownKeys)
    }
}
