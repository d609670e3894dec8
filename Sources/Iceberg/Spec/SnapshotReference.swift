/// A named pointer to a snapshot: a branch (such as `main`) or a tag.
public struct SnapshotReference: Sendable, Hashable, Codable {
    /// The kind of reference.
    public enum Kind: String, Sendable, Hashable, Codable {
        case branch
        case tag
    }

    public var snapshotId: Int64
    public var type: Kind
    public var minSnapshotsToKeep: Int32?
    /// Milliseconds.
    public var maxSnapshotAgeMs: Int64?
    /// Milliseconds.
    public var maxRefAgeMs: Int64?

    /// Creates a reference.
    public init(snapshotId: Int64, type: Kind = .branch, minSnapshotsToKeep: Int32? = nil,
                maxSnapshotAgeMs: Int64? = nil, maxRefAgeMs: Int64? = nil) {
        self.snapshotId = snapshotId
        self.type = type
        self.minSnapshotsToKeep = minSnapshotsToKeep
        self.maxSnapshotAgeMs = maxSnapshotAgeMs
        self.maxRefAgeMs = maxRefAgeMs
    }

    /// The name of the default branch.
    public static let mainBranch = "main"

    private enum CodingKeys: String, CodingKey {
        case snapshotId = "snapshot-id", type, minSnapshotsToKeep = "min-snapshots-to-keep"
        case maxSnapshotAgeMs = "max-snapshot-age-ms", maxRefAgeMs = "max-ref-age-ms"
    }
}
