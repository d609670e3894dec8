import Synchronization

/// A shared, swappable holder of the ``S3Credentials`` an ``S3FileIO`` signs with.
///
/// Every request reads the current credentials once, just before it is signed, so a ``replace(with:)`` (for
/// example after a REST catalog vends fresh temporary credentials) takes effect on the next request or retry
/// without recreating the FileIO. Safe to use from any task; the lock is never held across an `await`.
///
/// ```swift
/// let store = S3CredentialStore(S3Credentials(accessKeyID: "AKIA…", secretAccessKey: secret))
/// let io = S3FileIO(configuration: S3Configuration(endpoint: nil, region: "eu-west-1", credentials: store),
///                   httpClient: .iceberg, logger: logger)
/// store.replace(with: refreshed)
/// ```
public final class S3CredentialStore: Sendable, CustomStringConvertible {
    private let value: Mutex<S3Credentials>

    /// Creates a store holding `credentials`.
    public init(_ credentials: S3Credentials) {
        value = Mutex(credentials)
    }

    /// The credentials to sign the next request with.
    public var current: S3Credentials { value.withLock { $0 } }

    /// Swaps in new credentials; requests already signed keep the old ones.
    public func replace(with credentials: S3Credentials) {
        value.withLock { $0 = credentials }
    }

    public var description: String { "S3CredentialStore(\(current))" }
}
