/// One change to table metadata, shaped like the REST catalog's `TableUpdate` (discriminated by `action`).
///
/// See `rest-catalog-open-api.yaml`, `TableUpdate`, and `TableMetadata+Updates.swift` for how each applies.
public enum TableUpdate: Sendable, Hashable {
    /// `add-snapshot`: adds a snapshot and advances `last-sequence-number`.
    case addSnapshot(Snapshot)
    /// `set-snapshot-ref`: points a branch or tag at a snapshot; setting `main` changes the current snapshot.
    case setSnapshotRef(name: String, reference: SnapshotReference)
    /// `remove-snapshot-ref`.
    case removeSnapshotRef(name: String)
    /// `remove-snapshots`: drops snapshots (and the refs and snapshot-log entries that point at them).
    case removeSnapshots([Int64])
    /// `set-properties`.
    case setProperties([String: String])
    /// `remove-properties`.
    case removeProperties([String])
    /// `set-location`.
    case setLocation(String)
    /// `add-schema`: adds a schema (it becomes current only with ``setCurrentSchema(_:)``).
    case addSchema(Schema, lastColumnId: Int32)
    /// `set-current-schema`: `-1` means the schema added last in the same commit.
    case setCurrentSchema(Int32)
    /// `remove-statistics`: drops the `statistics` entry (a table statistics file) of a snapshot.
    case removeStatistics(snapshotId: Int64)
    /// `remove-partition-statistics`: drops the `partition-statistics` entry of a snapshot.
    case removePartitionStatistics(snapshotId: Int64)
}

extension TableUpdate: Codable {
    private enum CodingKeys: String, CodingKey {
        case action, snapshot, refName = "ref-name", snapshotId = "snapshot-id", type
        case minSnapshotsToKeep = "min-snapshots-to-keep", maxSnapshotAgeMs = "max-snapshot-age-ms"
        case maxRefAgeMs = "max-ref-age-ms", updates, removals, location, snapshotIds = "snapshot-ids"
        case schema, lastColumnId = "last-column-id", schemaId = "schema-id"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let action = try c.decode(String.self, forKey: .action)
        switch action {
        case "add-snapshot":
            self = .addSnapshot(try c.decode(Snapshot.self, forKey: .snapshot))
        case "set-snapshot-ref":
            self = .setSnapshotRef(
                name: try c.decode(String.self, forKey: .refName),
                reference: SnapshotReference(
                    snapshotId: try c.decode(Int64.self, forKey: .snapshotId),
                    type: try c.decode(SnapshotReference.Kind.self, forKey: .type),
                    minSnapshotsToKeep: try c.decodeIfPresent(Int32.self, forKey: .minSnapshotsToKeep),
                    maxSnapshotAgeMs: try c.decodeIfPresent(Int64.self, forKey: .maxSnapshotAgeMs),
                    maxRefAgeMs: try c.decodeIfPresent(Int64.self, forKey: .maxRefAgeMs)))
        case "remove-snapshot-ref":
            self = .removeSnapshotRef(name: try c.decode(String.self, forKey: .refName))
        case "remove-snapshots":
            self = .removeSnapshots(try c.decode([Int64].self, forKey: .snapshotIds))
        case "set-properties":
            self = .setProperties(try c.decode([String: String].self, forKey: .updates))
        case "remove-properties":
            self = .removeProperties(try c.decode([String].self, forKey: .removals))
        case "set-location":
            self = .setLocation(try c.decode(String.self, forKey: .location))
        case "add-schema":
            let schema = try c.decode(Schema.self, forKey: .schema)
            self = .addSchema(schema, lastColumnId: try c.decodeIfPresent(Int32.self, forKey: .lastColumnId)
                                  ?? schema.highestFieldId)
        case "set-current-schema":
            self = .setCurrentSchema(try c.decode(Int32.self, forKey: .schemaId))
        case "remove-statistics":
            self = .removeStatistics(snapshotId: try c.decode(Int64.self, forKey: .snapshotId))
        case "remove-partition-statistics":
            self = .removePartitionStatistics(snapshotId: try c.decode(Int64.self, forKey: .snapshotId))
        default:
            throw DecodingError.dataCorruptedError(forKey: .action, in: c, debugDescription: "unsupported update \(action)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .addSnapshot(let snapshot):
            try c.encode("add-snapshot", forKey: .action)
            try c.encode(snapshot, forKey: .snapshot)
        case .setSnapshotRef(let name, let reference):
            try c.encode("set-snapshot-ref", forKey: .action)
            try c.encode(name, forKey: .refName)
            try c.encode(reference.snapshotId, forKey: .snapshotId)
            try c.encode(reference.type, forKey: .type)
            try c.encodeIfPresent(reference.minSnapshotsToKeep, forKey: .minSnapshotsToKeep)
            try c.encodeIfPresent(reference.maxSnapshotAgeMs, forKey: .maxSnapshotAgeMs)
            try c.encodeIfPresent(reference.maxRefAgeMs, forKey: .maxRefAgeMs)
        case .removeSnapshotRef(let name):
            try c.encode("remove-snapshot-ref", forKey: .action)
            try c.encode(name, forKey: .refName)
        case .removeSnapshots(let ids):
            try c.encode("remove-snapshots", forKey: .action)
            try c.encode(ids, forKey: .snapshotIds)
        case .setProperties(let updates):
            try c.encode("set-properties", forKey: .action)
            try c.encode(updates, forKey: .updates)
        case .removeProperties(let removals):
            try c.encode("remove-properties", forKey: .action)
            try c.encode(removals, forKey: .removals)
        case .setLocation(let location):
            try c.encode("set-location", forKey: .action)
            try c.encode(location, forKey: .location)
        case .addSchema(let schema, let lastColumnId):
            try c.encode("add-schema", forKey: .action)
            try c.encode(schema, forKey: .schema)
            try c.encode(lastColumnId, forKey: .lastColumnId)
        case .setCurrentSchema(let id):
            try c.encode("set-current-schema", forKey: .action)
            try c.encode(id, forKey: .schemaId)
        case .removeStatistics(let snapshotId):
            try c.encode("remove-statistics", forKey: .action)
            try c.encode(snapshotId, forKey: .snapshotId)
        case .removePartitionStatistics(let snapshotId):
            try c.encode("remove-partition-statistics", forKey: .action)
            try c.encode(snapshotId, forKey: .snapshotId)
        }
    }
}
