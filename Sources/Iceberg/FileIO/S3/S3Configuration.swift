/// Where and how an ``S3FileIO`` talks to S3, R2, MinIO or any other S3-compatible store.
///
/// ```swift
/// var configuration = S3Configuration(endpoint: "https://<account>.r2.cloudflarestorage.com", region: "auto",
///                                     credentials: S3CredentialStore(credentials))
/// configuration.multipart.partSize = 16 << 20
/// let io = S3FileIO(configuration: configuration, httpClient: .iceberg, logger: logger)
/// ```
public struct S3Configuration: Sendable {
    /// The service URL (`http://127.0.0.1:9000`, `https://<account>.r2.cloudflarestorage.com`); default nil, meaning
    /// AWS itself at `https://s3.<region>.amazonaws.com`. A path after the host is not supported.
    public var endpoint: String?
    /// The signing region; default `us-east-1`. R2 uses `auto`.
    public var region: String = S3Configuration.defaultRegion
    /// Whether the bucket goes in the path (`endpoint/bucket/key`) instead of the host name (`bucket.endpoint/key`);
    /// default false. Endpoints whose host is an IP address or `localhost` always use path style.
    public var pathStyle: Bool = false
    /// The credentials every request is signed with, read once per attempt.
    public var credentials: S3CredentialStore
    /// Whether the body's SHA-256 is signed (`x-amz-content-sha256`); default true. `false` sends
    /// `UNSIGNED-PAYLOAD`, which saves hashing but leaves the body to TLS alone.
    public var signsPayload: Bool = true
    /// Limit for one attempt of one HTTP request, body included; default 120 s.
    public var requestTimeout: Duration = .seconds(120)
    /// Keys asked for per ListObjectsV2 page (`max-keys`); default 1000, the S3 maximum.
    public var listPageSize: Int = 1000
    /// When and how objects are uploaded in parts.
    public var multipart = Multipart()
    /// How failed requests are retried.
    public var retry = Retry()

    /// The region used when none is configured: `us-east-1`.
    public static let defaultRegion = "us-east-1"

    /// Multipart upload settings; see <https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html>.
    public struct Multipart: Sendable, Hashable {
        /// Objects of at least this many bytes are uploaded in parts; default 16 MiB.
        public var threshold: Int = Multipart.defaultThreshold
        /// Bytes per part except the last; default 8 MiB. Raised to 5 MiB (the S3 minimum) when smaller, and
        /// raised further when an object would need more than 10,000 parts.
        public var partSize: Int = Multipart.defaultPartSize
        /// Parts uploaded at the same time for one object; default 4.
        public var maxConcurrentParts: Int = Multipart.defaultMaxConcurrentParts

        /// 16 MiB.
        public static let defaultThreshold = 16 << 20
        /// 8 MiB.
        public static let defaultPartSize = 8 << 20
        /// 4.
        public static let defaultMaxConcurrentParts = 4
        /// The smallest part S3 accepts, except the last: 5 MiB.
        public static let minimumPartSize = 5 << 20
        /// The most parts one upload may have: 10,000.
        public static let maximumPartCount = 10_000

        /// The defaults.
        public init() {}
    }

    /// Retry settings: jittered exponential backoff on 5xx, throttling, timeouts and connection errors.
    public struct Retry: Sendable, Hashable {
        /// Attempts per request, the first included; default 5. 1 disables retries.
        public var maxAttempts: Int = 5
        /// Cap of the first backoff; default 100 ms. The cap doubles with each retry.
        public var baseDelay: Duration = .milliseconds(100)
        /// Largest backoff; default 5 s.
        public var maxDelay: Duration = .seconds(5)

        /// The defaults.
        public init() {}

        /// The pause before retry number `retry` (1 for the first retry), with "equal jitter": half of the capped
        /// exponential delay, plus `jitter` (in `0..<1`) times the other half.
        public func delay(beforeRetry retry: Int, jitter: Double) -> Duration {
            let exponent = min(max(retry - 1, 0), 30)
            let cap = min(maxDelay, baseDelay * (1 << exponent))
            return cap / 2 + (cap / 2) * min(max(jitter, 0), 1)
        }

        /// No retries, for tests that want to see the first failure.
        public static let disabled: Retry = {
            var retry = Retry()
            retry.maxAttempts = 1
            return retry
        }()
    }

    /// Creates a configuration; every setting not given here keeps its documented default.
    public init(endpoint: String? = nil, region: String = S3Configuration.defaultRegion, pathStyle: Bool = false,
                credentials: S3CredentialStore) {
        self.endpoint = endpoint
        self.region = region
        self.pathStyle = pathStyle
        self.credentials = credentials
    }

    /// Throws ``FileIOError`` `invalidLocation` when `endpoint` is not `http(s)://host[:port][/]`, as every request
    /// to it would: a setting can be checked before anything is sent.
    public static func checkEndpoint(_ endpoint: String) throws {
        let credentials = S3CredentialStore(S3Credentials(accessKeyID: "", secretAccessKey: ""))
        _ = try S3Endpoint(configuration: S3Configuration(endpoint: endpoint, credentials: credentials))
    }

    /// A configuration from the standard AWS variables, or nil when no credentials are set.
    ///
    /// Reads `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION` (else
    /// `AWS_DEFAULT_REGION`), `AWS_ENDPOINT_URL_S3` (else `AWS_ENDPOINT_URL`). The caller passes the environment.
    public init?(environment: [String: String]) {
        guard let credentials = S3Credentials(environment: environment) else { return nil }
        func value(_ names: String...) -> String? {
            names.lazy.compactMap { environment[$0] }.first { !$0.isEmpty }
        }
        self.init(endpoint: value("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"),
                  region: value("AWS_REGION", "AWS_DEFAULT_REGION") ?? Self.defaultRegion,
                  credentials: S3CredentialStore(credentials))
    }

    /// This configuration overridden by the `s3.*` properties a REST catalog returns.
    ///
    /// Reads `s3.endpoint`, `s3.region` (else `client.region`), `s3.path-style-access` and the credentials of
    /// ``S3Credentials/init(catalogProperties:)``. New credentials go in a new ``S3CredentialStore``, so a store
    /// shared with other FileIOs is never changed behind their back.
    public func applying(catalogProperties properties: [String: String]) -> S3Configuration {
        var result = self
        if let endpoint = properties["s3.endpoint"], !endpoint.isEmpty { result.endpoint = endpoint }
        if let region = properties["s3.region"] ?? properties["client.region"], !region.isEmpty {
            result.region = region
        }
        if let pathStyle = properties["s3.path-style-access"] { result.pathStyle = pathStyle.lowercased() == "true" }
        if let credentials = S3Credentials(catalogProperties: properties) {
            result.credentials = S3CredentialStore(credentials)
        }
        return result
    }
}
