/// A precondition a commit checks against the table's current metadata, shaped like the REST `TableRequirement`.
///
/// A failed requirement is a conflict: nothing is applied.
public enum TableRequirement: Sendable, Hashable {
    /// `assert-create`: the table must not exist.
    case assertCreate
    /// `assert-table-uuid`.
    case assertTableUUID(String)
    /// `assert-ref-snapshot-id`: the ref must point at this snapshot, or (nil) must not exist.
    case assertRefSnapshotID(ref: String, snapshotId: Int64?)
    /// `assert-current-schema-id`.
    case assertCurrentSchemaID(Int32)
    /// `assert-default-spec-id`.
    case assertDefaultSpecID(Int32)

    /// Why `metadata` (nil: the table does not exist) fails this requirement, or nil when it holds.
    public func violation(in metadata: TableMetadata?) -> String? {
        switch self {
        case .assertCreate:
            return metadata == nil ? nil : "table already exists"
        case .assertTableUUID(let uuid):
            guard let metadata else { return "table does not exist" }
            return metadata.tableUUID == uuid ? nil : "table uuid changed"
        case .assertRefSnapshotID(let ref, let snapshotId):
            guard let metadata else { return "table does not exist" }
            let actual = metadata.refs[ref]?.snapshotId
            if actual == snapshotId { return nil }
            return snapshotId == nil ? "ref \(ref) was created" : "ref \(ref) has changed"
        case .assertCurrentSchemaID(let id):
            guard let metadata else { return "table does not exist" }
            return metadata.currentSchemaId == id ? nil : "current schema changed"
        case .assertDefaultSpecID(let id):
            guard let metadata else { return "table does not exist" }
            return metadata.defaultSpecId == id ? nil : "default partition spec changed"
        }
    }
}

extension TableRequirement: Codable {
    private enum CodingKeys: String, CodingKey {
        case type, uuid, ref, snapshotId = "snapshot-id", currentSchemaId = "current-schema-id"
        case defaultSpecId = "default-spec-id"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let type = try c.decode(String.self, forKey: .type)
        switch type {
        case "assert-create": self = .assertCreate
        case "assert-table-uuid": self = .assertTableUUID(try c.decode(String.self, forKey: .uuid))
        case "assert-ref-snapshot-id":
            self = .assertRefSnapshotID(ref: try c.decode(String.self, forKey: .ref),
                                        snapshotId: try c.decodeIfPresent(Int64.self, forKey: .snapshotId))
        case "assert-current-schema-id":
            self = .assertCurrentSchemaID(try c.decode(Int32.self, forKey: .currentSchemaId))
        case "assert-default-spec-id":
            self = .assertDefaultSpecID(try c.decode(Int32.self, forKey: .defaultSpecId))
        default:
            throw DecodingError.dataCorruptedError(forKey: .type, in: c, debugDescription: "unsupported requirement \(type)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .assertCreate:
            try c.encode("assert-create", forKey: .type)
        case .assertTableUUID(let uuid):
            try c.encode("assert-table-uuid", forKey: .type)
            try c.encode(uuid, forKey: .uuid)
        case .assertRefSnapshotID(let ref, let snapshotId):
            try c.encode("assert-ref-snapshot-id", forKey: .type)
            try c.encode(ref, forKey: .ref)
            // The REST spec requires the key; null means "the ref must not exist".
            if let snapshotId { try c.encode(snapshotId, forKey: .snapshotId) } else { try c.encodeNil(forKey: .snapshotId) }
        case .assertCurrentSchemaID(let id):
            try c.encode("assert-current-schema-id", forKey: .type)
            try c.encode(id, forKey: .currentSchemaId)
        case .assertDefaultSpecID(let id):
            try c.encode("assert-default-spec-id", forKey: .type)
            try c.encode(id, forKey: .defaultSpecId)
        }
    }
}
