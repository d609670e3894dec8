/// An entry of the table metadata's `metadata-log`: a previous metadata file and when it was written.
public struct MetadataLogEntry: Sendable, Hashable, Codable {
    public var metadataFile: String
    /// Milliseconds since the epoch.
    public var timestampMs: Int64

    /// Creates an entry.
    public init(metadataFile: String, timestampMs: Int64) {
        self.metadataFile = metadataFile
        self.timestampMs = timestampMs
    }

    private enum CodingKeys: String, CodingKey {
        case metadataFile = "metadata-file", timestampMs = "timestamp-ms"
    }
}
