extension RESTCatalog {
    /// Where a REST catalog is and how to talk to it; a plain value the caller fills from its own config.
    ///
    /// For R2 Data Catalog three settings suffice (see ``r2(uri:warehouse:token:)``). ``description`` never
    /// shows secrets.
    ///
    /// ```swift
    /// let configuration = RESTCatalog.Configuration.r2(
    ///     uri: "https://catalog.cloudflarestorage.com/<account>/<bucket>",
    ///     warehouse: "<account>_<bucket>", token: apiToken)
    /// let catalog = RESTCatalog(configuration: configuration, logger: logger)
    /// ```
    public struct Configuration: Sendable, CustomStringConvertible {
        /// The header value asking for vended storage credentials: `vended-credentials`.
        public static let vendedCredentials = "vended-credentials"

        /// The catalog's base URI, without `/v1` (`https://catalog.cloudflarestorage.com/<account>/<bucket>`).
        public var uri: String
        /// The warehouse sent as `GET /v1/config?warehouse=`; nil sends none.
        public var warehouse: String?
        /// How requests are authorised; default ``Authentication/none``.
        public var authentication: Authentication = .none
        /// `X-Iceberg-Access-Delegation` sent when loading and creating tables; default ``vendedCredentials``,
        /// nil sends no header.
        public var accessDelegation: String? = vendedCredentials
        /// Client catalog properties, applied over the server's `defaults` and under its `overrides`.
        public var properties: [String: String] = [:]
        /// Whether mutations carry an `Idempotency-Key` when the server advertises `idempotency-key-lifetime`;
        /// default true.
        public var useIdempotencyKeys = true
        /// Time limits; see ``Timeouts``.
        public var timeouts = Timeouts()
        /// Retries of reads and of requests that never reached the server; see ``Retry``.
        public var retry = Retry()

        /// Creates a configuration with the defaults above.
        public init(uri: String, warehouse: String? = nil, authentication: Authentication = .none) {
            self.uri = uri.hasSuffix("/") ? String(uri.dropLast()) : uri
            self.warehouse = warehouse
            self.authentication = authentication
        }

        /// R2 Data Catalog: catalog URI, warehouse (`<account>_<bucket>`) and an R2 API token sent as a bearer
        /// token (the server maps `R2_CATALOG_ENDPOINT`, `FLOE_CATALOG_WAREHOUSE`, `R2_CATALOG_AUTH_TOKEN`).
        public static func r2(uri: String, warehouse: String, token: String) -> Configuration {
            Configuration(uri: uri, warehouse: warehouse, authentication: .bearer(token))
        }

        public var description: String {
            "RESTCatalog.Configuration(uri: \(uri), warehouse: \(warehouse ?? "none"), authentication: \(authentication), "
                + "accessDelegation: \(accessDelegation ?? "none"), properties: [\(properties.keys.sorted().joined(separator: ", "))])"
        }
    }

    /// How a ``RESTCatalog`` authorises its requests.
    public enum Authentication: Sendable, CustomStringConvertible {
        /// No `Authorization` header.
        case none
        /// A fixed bearer token (an R2 API token).
        case bearer(String)
        /// OAuth2 client credentials exchanged for bearer tokens, refreshed before they expire and on a 401.
        case oauth2(OAuth2Credential)

        public var description: String {
            switch self {
            case .none: "none"
            case .bearer: "bearer(<redacted>)"
            case .oauth2(let credential): "oauth2(\(credential))"
            }
        }
    }

    /// An OAuth2 client id and secret with the scope and endpoint to exchange them at.
    public struct OAuth2Credential: Sendable, CustomStringConvertible {
        /// The scope asked for: `PRINCIPAL_ROLE:ALL` (as Polaris and Iceberg's Java client).
        public static let defaultScope = "PRINCIPAL_ROLE:ALL"

        public var clientId: String
        public var clientSecret: String
        /// The `scope` form field; default ``defaultScope``.
        public var scope: String
        /// The token endpoint; nil uses the server's `oauth2-server-uri` property, else `{uri}/v1/oauth/tokens`.
        public var tokenEndpoint: String?

        /// Creates a credential.
        public init(clientId: String, clientSecret: String, scope: String = defaultScope, tokenEndpoint: String? = nil) {
            self.clientId = clientId
            self.clientSecret = clientSecret
            self.scope = scope
            self.tokenEndpoint = tokenEndpoint
        }

        /// Parses Iceberg's `credential` property, `client_id:client_secret` (or a bare secret).
        public init(credential: String, scope: String = defaultScope, tokenEndpoint: String? = nil) {
            if let colon = credential.firstIndex(of: ":") {
                self.init(clientId: String(credential[..<colon]), clientSecret: String(credential[credential.index(after: colon)...]),
                          scope: scope, tokenEndpoint: tokenEndpoint)
            } else {
                self.init(clientId: "", clientSecret: credential, scope: scope, tokenEndpoint: tokenEndpoint)
            }
        }

        public var description: String { "OAuth2Credential(clientId: \(clientId), scope: \(scope), secret: <redacted>)" }
    }

    /// Time limits of catalog requests.
    public struct Timeouts: Sendable, Hashable {
        /// Per read request (config, load, list): 30 s.
        public static let defaultRequest: Duration = .seconds(30)
        /// Per mutation (create, drop, commit): 60 s. A commit that times out has an unknown outcome.
        public static let defaultMutation: Duration = .seconds(60)

        /// See ``defaultRequest``.
        public var request: Duration = defaultRequest
        /// See ``defaultMutation``.
        public var mutation: Duration = defaultMutation

        /// The defaults.
        public init() {}
    }

    /// Jittered exponential backoff for requests that are safe to repeat: reads, requests that never reached
    /// the server, and mutations carrying an idempotency key.
    public struct Retry: Sendable, Hashable {
        /// Attempts in all, the first included: 5.
        public static let defaultMaxAttempts = 5
        /// The first wait: 100 ms.
        public static let defaultInitialBackoff: Duration = .milliseconds(100)
        /// The longest wait: 5 s.
        public static let defaultMaxBackoff: Duration = .seconds(5)

        /// See ``defaultMaxAttempts``.
        public var maxAttempts = defaultMaxAttempts
        /// See ``defaultInitialBackoff``.
        public var initialBackoff = defaultInitialBackoff
        /// See ``defaultMaxBackoff``.
        public var maxBackoff = defaultMaxBackoff

        /// The defaults.
        public init() {}

        /// The wait before attempt `attempt + 1` (attempt ≥ 1): the capped exponential backoff scaled into its
        /// upper half by `jitter` in `0..<1`.
        public func backoff(afterAttempt attempt: Int, jitter: Double) -> Duration {
            var wait = initialBackoff
            for _ in 1..<max(1, attempt) where wait < maxBackoff { wait *= 2 }
            return min(wait, maxBackoff) * (0.5 + 0.5 * min(max(jitter, 0), 1))
        }
    }
}
