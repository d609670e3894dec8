import Foundation

/// The v2 table metadata document (`*.metadata.json`): schemas, partition specs, snapshots, refs and logs.
///
/// Changes go through ``TableUpdate`` values (see `TableMetadata+Updates.swift`). Fields Floe does not model
/// (`statistics`, `partition-statistics`, ...) are kept in ``additionalFields`` and written back unchanged.
/// See <https://iceberg.apache.org/spec/#table-metadata-fields>.
public struct TableMetadata: Sendable, Hashable, Codable {
    public var formatVersion: Int
    public var tableUUID: String
    public var location: String
    public var lastSequenceNumber: Int64
    /// Milliseconds since the epoch.
    public var lastUpdatedMs: Int64
    public var lastColumnId: Int32
    public var schemas: [Schema]
    public var currentSchemaId: Int32
    public var partitionSpecs: [PartitionSpec]
    public var defaultSpecId: Int32
    public var lastPartitionId: Int32
    public var properties: [String: String]
    /// The snapshot `main` points at; nil for a table without snapshots.
    public var currentSnapshotId: Int64?
    public var snapshots: [Snapshot]
    public var snapshotLog: [SnapshotLogEntry]
    public var metadataLog: [MetadataLogEntry]
    public var sortOrders: [SortOrder]
    public var defaultSortOrderId: Int32
    public var refs: [String: SnapshotReference]
    /// Fields Floe does not model, kept as read.
    public var additionalFields: [String: JSONValue]

    /// Creates metadata for a new, empty v2 table, keeping the caller's field ids and partition field ids.
    public init(tableUUID: String = UUID().uuidString.lowercased(), location: String, schema: Schema,
                partitionSpec: PartitionSpec, sortOrder: SortOrder = .unsorted, properties: [String: String] = [:],
                lastUpdatedMs: Int64) {
        self.formatVersion = 2
        self.tableUUID = tableUUID
        self.location = location
        self.lastSequenceNumber = 0
        self.lastUpdatedMs = lastUpdatedMs
        self.lastColumnId = schema.highestFieldId
        self.schemas = [schema]
        self.currentSchemaId = schema.schemaId
        self.partitionSpecs = [partitionSpec]
        self.defaultSpecId = partitionSpec.specId
        self.lastPartitionId = partitionSpec.highestFieldId
        self.properties = properties
        self.currentSnapshotId = nil
        self.snapshots = []
        self.snapshotLog = []
        self.metadataLog = []
        self.sortOrders = [sortOrder]
        self.defaultSortOrderId = sortOrder.orderId
        self.refs = [:]
        self.additionalFields = [:]
    }

    /// The schema with ``currentSchemaId``.
    public var currentSchema: Schema? { schemas.first { $0.schemaId == currentSchemaId } }

    /// The partition spec with ``defaultSpecId``.
    public var defaultSpec: PartitionSpec? { partitionSpecs.first { $0.specId == defaultSpecId } }

    /// The snapshot with this id.
    public func snapshot(id: Int64) -> Snapshot? { snapshots.first { $0.snapshotId == id } }

    /// The snapshot the `main` branch points at (falling back to `current-snapshot-id`).
    public var currentSnapshot: Snapshot? {
        if let ref = refs[SnapshotReference.mainBranch] { return snapshot(id: ref.snapshotId) }
        return currentSnapshotId.flatMap { snapshot(id: $0) }
    }

    /// The snapshots from `main`'s head back through its parents, newest first, at most `limit`.
    public func mainAncestry(limit: Int = 1000) -> [Snapshot] {
        var result: [Snapshot] = []
        var next = currentSnapshot
        while let snapshot = next, result.count < limit {
            result.append(snapshot)
            next = snapshot.parentSnapshotId.flatMap { self.snapshot(id: $0) }
        }
        return result
    }

    private static let knownKeys: Set<String> = [
        "format-version", "table-uuid", "location", "last-sequence-number", "last-updated-ms", "last-column-id",
        "schemas", "current-schema-id", "partition-specs", "default-spec-id", "last-partition-id", "properties",
        "current-snapshot-id", "snapshots", "snapshot-log", "metadata-log", "sort-orders", "default-sort-order-id",
        "refs", "schema", "partition-spec",
    ]

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: AnyCodingKey.self)
        func key(_ name: String) -> AnyCodingKey { AnyCodingKey(name) }
        formatVersion = try c.decode(Int.self, forKey: key("format-version"))
        tableUUID = try c.decode(String.self, forKey: key("table-uuid"))
        location = try c.decode(String.self, forKey: key("location"))
        lastSequenceNumber = try c.decodeIfPresent(Int64.self, forKey: key("last-sequence-number")) ?? 0
        lastUpdatedMs = try c.decode(Int64.self, forKey: key("last-updated-ms"))
        lastColumnId = try c.decode(Int32.self, forKey: key("last-column-id"))
        schemas = try c.decode([Schema].self, forKey: key("schemas"))
        currentSchemaId = try c.decode(Int32.self, forKey: key("current-schema-id"))
        partitionSpecs = try c.decode([PartitionSpec].self, forKey: key("partition-specs"))
        defaultSpecId = try c.decode(Int32.self, forKey: key("default-spec-id"))
        lastPartitionId = try c.decode(Int32.self, forKey: key("last-partition-id"))
        properties = try c.decodeIfPresent([String: String].self, forKey: key("properties")) ?? [:]
        let current = try c.decodeIfPresent(Int64.self, forKey: key("current-snapshot-id"))
        currentSnapshotId = current == -1 ? nil : current
        snapshots = try c.decodeIfPresent([Snapshot].self, forKey: key("snapshots")) ?? []
        snapshotLog = try c.decodeIfPresent([SnapshotLogEntry].self, forKey: key("snapshot-log")) ?? []
        metadataLog = try c.decodeIfPresent([MetadataLogEntry].self, forKey: key("metadata-log")) ?? []
        sortOrders = try c.decodeIfPresent([SortOrder].self, forKey: key("sort-orders")) ?? [.unsorted]
        defaultSortOrderId = try c.decodeIfPresent(Int32.self, forKey: key("default-sort-order-id")) ?? 0
        var refs = try c.decodeIfPresent([String: SnapshotReference].self, forKey: key("refs")) ?? [:]
        if refs[SnapshotReference.mainBranch] == nil, let current = currentSnapshotId {
            refs[SnapshotReference.mainBranch] = SnapshotReference(snapshotId: current, type: .branch)
        }
        self.refs = refs
        additionalFields = try c.unknownFields(excluding: Self.knownKeys)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: AnyCodingKey.self)
        func key(_ name: String) -> AnyCodingKey { AnyCodingKey(name) }
        try c.encode(formatVersion, forKey: key("format-version"))
        try c.encode(tableUUID, forKey: key("table-uuid"))
        try c.encode(location, forKey: key("location"))
        try c.encode(lastSequenceNumber, forKey: key("last-sequence-number"))
        try c.encode(lastUpdatedMs, forKey: key("last-updated-ms"))
        try c.encode(lastColumnId, forKey: key("last-column-id"))
        try c.encode(schemas, forKey: key("schemas"))
        try c.encode(currentSchemaId, forKey: key("current-schema-id"))
        try c.encode(partitionSpecs, forKey: key("partition-specs"))
        try c.encode(defaultSpecId, forKey: key("default-spec-id"))
        try c.encode(lastPartitionId, forKey: key("last-partition-id"))
        try c.encode(properties, forKey: key("properties"))
        try c.encodeIfPresent(currentSnapshotId, forKey: key("current-snapshot-id"))
        try c.encode(snapshots, forKey: key("snapshots"))
        try c.encode(snapshotLog, forKey: key("snapshot-log"))
        try c.encode(metadataLog, forKey: key("metadata-log"))
        try c.encode(sortOrders, forKey: key("sort-orders"))
        try c.encode(defaultSortOrderId, forKey: key("default-sort-order-id"))
        try c.encode(refs, forKey: key("refs"))
        try c.encodeUnknownFields(additionalFields, excluding: Self.knownKeys)
    }
}

extension TableMetadata {
    /// The JSON bytes of a metadata file (keys sorted, so equal metadata gives equal bytes).
    public func jsonBytes() throws -> [UInt8] {
        try Self.encodeJSON(self)
    }

    /// `value` as metadata JSON is written: sorted keys, no whitespace, slashes unescaped.
    static func encodeJSON(_ value: some Encodable) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(value))
    }

    /// Decodes a metadata file; gzip-compressed files are not supported.
    public static func decode(jsonBytes: [UInt8]) throws -> TableMetadata {
        try JSONDecoder().decode(TableMetadata.self, from: Data(jsonBytes))
    }
}
