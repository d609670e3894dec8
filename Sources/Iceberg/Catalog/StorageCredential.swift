/// Storage settings a catalog vends for one location prefix (REST `StorageCredential`), such as
/// `s3.access-key-id`, `s3.secret-access-key` and `s3.session-token`.
///
/// The values are secrets: ``description`` shows the prefix and the keys only.
public struct StorageCredential: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The location prefix the credential applies to (`s3://bucket/warehouse/`).
    public var prefix: String
    /// The settings, by the REST spec's property names.
    public var config: [String: String]

    /// Creates a credential.
    public init(prefix: String, config: [String: String]) {
        self.prefix = prefix
        self.config = config
    }

    public var description: String {
        "StorageCredential(prefix: \(prefix), keys: \(config.keys.sorted().joined(separator: ",")))"
    }
}
