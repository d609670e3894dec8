/// An entry of the table metadata's `snapshot-log`: when the current snapshot changed and to what.
public struct SnapshotLogEntry: Sendable, Hashable, Codable {
    public var snapshotId: Int64
    /// Milliseconds since the epoch.
    public var timestampMs: Int64

    /// Creates an entry.
    public init(snapshotId: Int64, timestampMs: Int64) {
        self.snapshotId = snapshotId
        self.timestampMs = timestampMs
    }

    private enum CodingKeys: String, CodingKey {
        case snapshotId = "snapshot-id", timestampMs = "timestamp-ms"
    }
}
