/// An access key pair, with an optional session token, that signs S3 requests.
///
/// `description` and `debugDescription` show the access key id only; the secret and the token are redacted so
/// that credentials can be logged or interpolated into errors without leaking.
public struct S3Credentials: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The access key id (`AKIA…`); not secret.
    public var accessKeyID: String
    /// The secret access key; never printed.
    public var secretAccessKey: String
    /// The STS session token of temporary credentials, sent as `x-amz-security-token`; never printed.
    public var sessionToken: String?

    /// Creates credentials from their parts.
    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }

    /// Credentials from `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`.
    ///
    /// Returns nil unless both the key id and the secret are set and non-empty. The caller passes the environment
    /// (`ProcessInfo.processInfo.environment`), so that only the configuration layer reads it.
    public init?(environment: [String: String]) {
        guard let id = environment["AWS_ACCESS_KEY_ID"], !id.isEmpty,
              let secret = environment["AWS_SECRET_ACCESS_KEY"], !secret.isEmpty else { return nil }
        let token = environment["AWS_SESSION_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        self.init(accessKeyID: id, secretAccessKey: secret, sessionToken: token)
    }

    /// Credentials vended by an Iceberg REST catalog in table `config` or storage credentials.
    ///
    /// Reads `s3.access-key-id`, `s3.secret-access-key` and `s3.session-token`; returns nil unless the first two
    /// are present.
    public init?(catalogProperties properties: [String: String]) {
        guard let id = properties["s3.access-key-id"], !id.isEmpty,
              let secret = properties["s3.secret-access-key"], !secret.isEmpty else { return nil }
        let token = properties["s3.session-token"].flatMap { $0.isEmpty ? nil : $0 }
        self.init(accessKeyID: id, secretAccessKey: secret, sessionToken: token)
    }

    public var description: String {
        "S3Credentials(accessKeyID: \(accessKeyID), secretAccessKey: <redacted>"
            + (sessionToken == nil ? ")" : ", sessionToken: <redacted>)")
    }

    public var debugDescription: String { description }
}
