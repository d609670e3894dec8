/// A table as loaded from a catalog: its name, the metadata file it points at, and that file's contents.
public struct Table: Sendable, Hashable {
    public var identifier: TableIdentifier
    /// The location of the current `*.metadata.json`.
    public var metadataLocation: String
    public var metadata: TableMetadata

    /// Creates a table value.
    public init(identifier: TableIdentifier, metadataLocation: String, metadata: TableMetadata) {
        self.identifier = identifier
        self.metadataLocation = metadataLocation
        self.metadata = metadata
    }
}
