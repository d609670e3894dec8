/// A table as loaded from a catalog: its name, the metadata file it points at, and that file's contents.
///
/// A REST catalog also hands back table-specific settings: ``config`` (the `config` map of `LoadTableResult`,
/// for example vended `s3.*` credentials) and ``storageCredentials``; ``storageConfig(for:)`` combines them.
/// The embedded catalog leaves both empty, and so does a commit response (load the table to refresh them).
public struct Table: Sendable, Hashable {
    public var identifier: TableIdentifier
    /// The location of the current `*.metadata.json`.
    public var metadataLocation: String
    public var metadata: TableMetadata
    /// Table-specific configuration from the catalog (REST `LoadTableResult.config`); may hold secrets, so
    /// never log it.
    public var config: [String: String]
    /// Credentials vended for storage prefixes (REST `LoadTableResult.storage-credentials`); may hold secrets.
    public var storageCredentials: [StorageCredential]

    /// Creates a table value.
    public init(identifier: TableIdentifier, metadataLocation: String, metadata: TableMetadata,
                config: [String: String] = [:], storageCredentials: [StorageCredential] = []) {
        self.identifier = identifier
        self.metadataLocation = metadataLocation
        self.metadata = metadata
        self.config = config
        self.storageCredentials = storageCredentials
    }

    /// The settings to use for files under `location`: ``config`` overlaid with the storage credential whose
    /// prefix is the longest one `location` starts with (the REST spec has credentials win over `config`).
    public func storageConfig(for location: String) -> [String: String] {
        let best = storageCredentials.filter { location.hasPrefix($0.prefix) }.max { $0.prefix.count < $1.prefix.count }
        return config.merging(best?.config ?? [:]) { _, credential in credential }
    }
}

extension Table: CustomStringConvertible {
    /// The name, metadata location and the keys (never the values) of ``config``.
    public var description: String {
        "Table(\(identifier), metadataLocation: \(metadataLocation), snapshots: \(metadata.snapshots.count), "
            + "config keys: [\(config.keys.sorted().joined(separator: ", "))], storage credentials: \(storageCredentials.count))"
    }
}
