import Buffer
import Crypto
import Foundation
import Iceberg
import Parquet

/// Every setting of a Floe deployment, with the defaults of the embedded setup.
///
/// Built by layering, lowest first: defaults, the config file (`--config`/`FLOE_CONFIG`),
/// environment variables, then command-line flags (docs/design.md §9); every setting is
/// an entry of the settings table (FloeConfiguration+Settings.swift).
public struct FloeConfiguration: Sendable {
    /// Listen address; default 127.0.0.1:8080.
    public var host = "127.0.0.1"
    public var port = 8080
    /// Holds `buffer.db`, `catalog.db` and (by default) `warehouse/`. Default `./floe-data`.
    public var dataDirectory = "floe-data"
    /// Where tables live for the embedded catalog: a path or `file://` URI. Default `{data-dir}/warehouse`.
    public var warehouse: String?
    /// Iceberg namespace of both tables; default `analytics`.
    public var namespace = "analytics"
    /// Flush a partition at this many events; default 2000.
    public var bufferSize = 2000
    /// Flush a partition when its oldest event is this old; default 30,000 ms.
    public var bufferTimeoutMs = 30_000
    /// Least milliseconds from the start of one scheduled flush cycle to the next (each commits at most
    /// one snapshot per table); 0 runs cycles back to back. Default 1,000: under a sustained load one
    /// commit per table per second, as docs/scaling.md advises, in files of `bufferSize` rows as before.
    public var commitIntervalMs = 1_000
    public var durability: BufferConfiguration.Durability = .fsync
    /// Least microseconds from the start of a buffer transaction that answered several requests to
    /// the start of the next (appends arriving sooner wait and share one fsync; see
    /// `GroupCommitSchedule`); 0 never waits. Default 4,000, chosen from measurements
    /// (Benchmarks/README.md): about a quarter less server CPU for paced `/v1/track` load.
    public var groupCommitIntervalMicros = 4_000
    /// Events one partition may buffer before requests get 507 (the last resort); default 1,000,000.
    public var maxPartitionEvents = 1_000_000
    /// Events due for a flush and not yet committed above which every ingest request gets 503
    /// with `Retry-After` (early, even backpressure); 0 turns it off. Default 500,000.
    public var maxBacklogEvents = 500_000
    /// Bytes the buffer may hold before requests get 503; default 1 GiB.
    public var maxBufferedBytes = 1 << 30
    /// How long a message key is remembered for deduplication; default 86,400 s (24 h).
    public var dedupWindowSeconds = 86_400
    /// Most message keys remembered (about 24 bytes of memory each); the oldest are forgotten
    /// first, so dedup holds for the shorter of the window and the last this-many keys. Default 4,000,000.
    public var maxDedupKeys = 4_000_000
    /// Body limits in bytes (decompressed); defaults 500 KB per batch request and 32 KB per event,
    /// as Segment's API.
    public var maxBatchBytes = 500 * 1024
    public var maxEventBytes = 32 << 10
    /// One invalid event refuses its whole batch with 400 and nothing is stored (the seed's
    /// behaviour); default off: valid events are stored and invalid ones go to the `rejected` table.
    public var strictBatches = false
    /// Replace event times out of range by the receipt time (``TimestampPolicy``); default on.
    public var adjustTimestamps = true
    /// How far after its receipt an event time may be; default 4 h (14,400,000 ms).
    public var maxFutureMs = TimestampPolicy.defaultMaxFutureMs
    /// Event times before this RFC 3339 time are replaced; default 2000-01-01T00:00:00Z.
    public var timestampFloor = TimestampPolicy.defaultFloor
    /// The client address Floe adds and clients send in `context.ip`: `keep` (default), `truncate`
    /// (IPv4 /24, IPv6 /48) or `drop`.
    var clientIP = PrivacyRules.ClientIP.keep
    /// Members of `properties`, `traits` or `context` removed before storing (`properties.email`).
    public var privacyDrop: [String] = []
    /// Members replaced by the hex SHA-256 of ``privacySalt`` and their value.
    public var privacyHash: [String] = []
    /// The salt of ``privacyHash`` (required with it; keep it secret, and stable to keep hashes joinable).
    public var privacySalt = ""
    /// Parquet compression of data files: `zstd` (default, level 1), `snappy`, `gzip`, `none`.
    public var codec = "zstd"
    public var codecLevel: Int32 = 1
    /// `trace`, `debug`, `info` (default), `warning`, `error`.
    public var logLevel = "info"
    /// `text` (default) or `json` (one JSON object per line).
    public var logFormat = "text"
    /// Require an API key on ingest routes (`AUTH_ENABLED`); default off.
    public var authEnabled = false
    /// Accepted API keys / writeKeys (`AUTH_TOKEN` adds one).
    public var authKeys: [String] = []
    /// Token for `/debug/*` and `/metrics` (`FLOE_ADMIN_TOKEN`); when unset an API key is enough.
    public var adminToken: String?
    /// Origins browsers may send from (`ALLOWED_ORIGINS`, comma-separated or `*`); empty disables CORS.
    public var allowedOrigins: [String] = []
    /// Requests per second per key (or client address) before 429; 0 disables. Default 0.
    public var rateLimitPerSecond: Double = 0
    /// Requests a key may burst above the rate; default 2× the rate.
    public var rateLimitBurst: Double?
    /// Iceberg REST catalog URI (R2 Data Catalog: `https://catalog.cloudflarestorage.com/{account}/{bucket}`);
    /// unset means the embedded SQL catalog. Env `R2_CATALOG_ENDPOINT` (http/https).
    public var catalogURI: String?
    /// REST warehouse name (R2: `{account}_{bucket}`). Env `FLOE_CATALOG_WAREHOUSE`.
    public var catalogWarehouse: String?
    /// REST bearer token (an R2 API token). Env `R2_CATALOG_AUTH_TOKEN`.
    public var catalogToken: String?
    /// REST OAuth2 client credential `id:secret` (instead of a token). Env `FLOE_CATALOG_CREDENTIAL`.
    public var catalogCredential: String?
    /// OAuth2 scope; default `PRINCIPAL_ROLE:ALL`.
    public var catalogScope: String?
    /// Time limit of one REST catalog read (config, load, list), in ms; default 30 s.
    public var catalogRequestTimeoutMs = Int(RESTCatalog.Timeouts.defaultRequest.components.seconds) * 1_000
    /// Time limit of one REST catalog mutation (create, drop, commit), in ms; default 60 s. A commit that runs out
    /// of it has an unknown outcome, which Floe settles by reloading the table before it commits again.
    public var catalogCommitTimeoutMs = Int(RESTCatalog.Timeouts.defaultMutation.components.seconds) * 1_000
    /// S3/R2 endpoint for `s3://` locations (R2: `https://{account}.r2.cloudflarestorage.com`). Env `AWS_ENDPOINT_URL_S3`.
    public var s3Endpoint: String?
    /// S3 region (`auto` for R2). Env `AWS_REGION`.
    public var s3Region: String?
    /// Path-style addressing (`endpoint/bucket/key`); default off except for IP/localhost endpoints.
    public var s3PathStyle: Bool?
    /// S3 credentials when the catalog does not vend them. Env `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`.
    public var s3AccessKeyID: String?
    public var s3SecretAccessKey: String?
    public var s3SessionToken: String?
    /// Merge a table's manifests once a snapshot would have more than this many; default 100.
    public var manifestMergeMinCount = 100
    /// Old `metadata.json` files the embedded catalog keeps per table (older ones are deleted); default 100.
    public var metadataPreviousVersionsMax = 100
    /// Snapshot expiry inside `floe serve`: how often, whether, and how much history is kept
    /// (defaults in ``MaintenanceSettings``).
    var maintenance = MaintenanceSettings()
    /// Threads accepting and parsing HTTP; default 1 (the other core encodes, parses JSON and
    /// commits; more event-loop threads mostly add context switches on small machines).
    public var eventLoopThreads = 1
    /// This instance's name in snapshot summaries (`floe.instance-id`), logs (`floe.instance`) and
    /// `floe_instance_info`; default `{host name}-{8 hex digits of the data directory's path hash}`.
    public var instanceId: String?
    /// How long shutdown may take after SIGTERM: not ready at once, then `drain_delay_ms` of serving
    /// while the load balancer notices, then in-flight requests, then a final flush cut off at this
    /// bound (what is not committed stays in the buffer for the next start). Default 25,000 ms, below
    /// Kubernetes' 30 s grace period.
    public var shutdownTimeoutMs = 25_000
    /// After SIGTERM, `/health/ready` answers 503 for this long while requests are still served;
    /// default 2,000 ms (the example HAProxy configuration notices within 1 s).
    public var drainDelayMs = 2_000
    /// A connection that sends nothing for this long is closed: idle between requests, or stalled in a
    /// request's head or body (a request fully read is never cut off while it is answered). Default
    /// 75,000 ms, longer than load balancers keep idle connections (HAProxy's example: 10 s; AWS ALB: 60 s).
    public var idleTimeoutMs = 75_000
    /// How many proxies in front may say the client address in `X-Forwarded-For` (``ProxyHops``; 0: none).
    public var trustProxy = ProxyHops(0)

    public init() {}

    /// Properties of the tables Floe creates (maintenance settings Iceberg readers and writers share).
    var tableProperties: [String: String] {
        [
            TableProperty.manifestMinCountToMerge: String(manifestMergeMinCount),
            TableProperty.manifestMergeEnabled: "true",
            TableProperty.metadataPreviousVersionsMax: String(metadataPreviousVersionsMax),
            TableProperty.metadataDeleteAfterCommit: "true",
            TableProperty.parquetCompressionCodec: codec.lowercased() == "none" ? "uncompressed" : codec.lowercased(),
        ]
    }

    /// The buffer's settings.
    var bufferConfiguration: BufferConfiguration {
        var buffer = BufferConfiguration(path: bufferPath)
        buffer.durability = durability
        buffer.maxPartitionEvents = maxPartitionEvents
        buffer.maxBufferedBytes = maxBufferedBytes
        buffer.dedupWindowSeconds = dedupWindowSeconds
        buffer.maxDedupKeys = maxDedupKeys
        buffer.groupCommitInterval = groupCommitIntervalMicros > 0 ? .microseconds(groupCommitIntervalMicros) : nil
        return buffer
    }

    /// The flush's settings.
    func flushSettings() throws -> FlushSettings {
        var settings = FlushSettings()
        settings.bufferSize = bufferSize
        settings.bufferTimeoutMs = bufferTimeoutMs
        settings.commitIntervalMs = commitIntervalMs
        settings.parquet.codec = try compressionCodec()
        settings.tableProperties = tableProperties
        settings.instanceId = resolvedInstanceId
        settings.target = try tablesTarget()
        return settings
    }

    /// Where the tables are: the REST catalog (its URI and warehouse) or the embedded catalog's warehouse, and the
    /// namespace. Pending flushes and a backfill's progress belong to one target and are settled only there.
    func tablesTarget() throws -> String {
        if let uri = catalogURI {
            return "catalog \(uri) warehouse \(catalogWarehouse ?? "") namespace \(namespace)"
        }
        return "warehouse \(try warehouseLocation()) namespace \(namespace)"
    }

    var authenticator: Authenticator {
        Authenticator(enabled: authEnabled, keys: authKeys, adminToken: adminToken)
    }

    /// The summary key naming the instance that committed a snapshot.
    static let instanceSummaryKey = "floe.instance-id"

    /// ``instanceId``, or the default derived from the host name and the data directory.
    public var resolvedInstanceId: String {
        if let instanceId, !instanceId.isEmpty { return instanceId }
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "floe"
        return host + "-" + SHA256.hash(data: Array(dataDirectoryURL.path.utf8)).hex(bytes: 4)
    }

    var dataDirectoryURL: URL {
        URL(fileURLWithPath: dataDirectory, isDirectory: true).standardizedFileURL
    }

    var bufferPath: String { dataDirectoryURL.appendingPathComponent("buffer.db").path }
    var catalogPath: String { dataDirectoryURL.appendingPathComponent("catalog.db").path }

    /// The embedded catalog's warehouse: `s3://bucket/prefix`, or a `file://` URI with an absolute path.
    func warehouseLocation() throws -> String {
        guard let warehouse, !warehouse.isEmpty else {
            return "file://" + dataDirectoryURL.appendingPathComponent("warehouse").path
        }
        if warehouse.hasPrefix("file://") {
            // file://name/… names a host: a relative path there was taken for one.
            guard warehouse.hasPrefix("file:///") else {
                throw ConfigurationError(message: "warehouse '\(warehouse)': a file:// URI needs an absolute path "
                                         + "(file:///path); a plain path may be relative")
            }
            return warehouse
        }
        if warehouse.hasPrefix("s3://") {
            let bucket = warehouse.dropFirst("s3://".count).prefix { $0 != "/" }
            guard !bucket.isEmpty else {
                throw ConfigurationError(message: "warehouse '\(warehouse)': name a bucket (s3://bucket/prefix)")
            }
            return warehouse.hasSuffix("/") ? String(warehouse.dropLast()) : warehouse
        }
        if warehouse.contains("://") || warehouse.hasPrefix("file:") || warehouse.hasPrefix("s3:") {
            throw ConfigurationError(message: "warehouse '\(warehouse)': use a path, a file:// URI or s3://bucket/prefix")
        }
        return "file://" + URL(fileURLWithPath: warehouse, isDirectory: true).standardizedFileURL.path
    }

    /// S3 settings from the config file and `AWS_*` variables; nil when no credentials are set.
    func s3Configuration() -> S3Configuration? {
        guard let key = s3AccessKeyID, let secret = s3SecretAccessKey, !key.isEmpty, !secret.isEmpty else { return nil }
        var configuration = S3Configuration(endpoint: s3Endpoint, region: s3Region ?? S3Configuration.defaultRegion,
                                            pathStyle: s3PathStyle ?? false,
                                            credentials: S3CredentialStore(S3Credentials(accessKeyID: key, secretAccessKey: secret,
                                                                                         sessionToken: s3SessionToken)))
        if s3PathStyle == nil, let endpoint = s3Endpoint,
           endpoint.contains("127.0.0.1") || endpoint.contains("localhost") || endpoint.contains("[::1]") {
            configuration.pathStyle = true
        }
        return configuration
    }

    /// The REST catalog settings, when a catalog URI is configured.
    package func restCatalogConfiguration() throws -> RESTCatalog.Configuration? {
        guard let uri = catalogURI, !uri.isEmpty else { return nil }
        guard uri.hasPrefix("http://") || uri.hasPrefix("https://") else {
            throw ConfigurationError(message: "catalog URI '\(uri)' must start with http:// or https://")
        }
        var authentication = RESTCatalog.Authentication.none
        // Both set is a mix-up (an R2_CATALOG_AUTH_TOKEN left over from before OAuth2, say): one would be ignored,
        // and the catalog's refusal would not say which.
        if let token = catalogToken, !token.isEmpty, let credential = catalogCredential, !credential.isEmpty {
            throw ConfigurationError(message: "catalog.token (R2_CATALOG_AUTH_TOKEN, FLOE_CATALOG_TOKEN) and "
                                     + "catalog.credential (FLOE_CATALOG_CREDENTIAL) are both set: the REST catalog takes one")
        }
        if let token = catalogToken, !token.isEmpty {
            authentication = .bearer(token)
        } else if let credential = catalogCredential, !credential.isEmpty {
            authentication = .oauth2(RESTCatalog.OAuth2Credential(credential: credential,
                                                                  scope: catalogScope ?? RESTCatalog.OAuth2Credential.defaultScope))
        }
        var configuration = RESTCatalog.Configuration(uri: uri, warehouse: catalogWarehouse, authentication: authentication)
        configuration.timeouts.request = .milliseconds(catalogRequestTimeoutMs)
        configuration.timeouts.mutation = .milliseconds(catalogCommitTimeoutMs)
        // The storage settings given here win over the catalog's defaults (its overrides still win over them).
        // Kept in memory as client properties; never sent, and only their keys are logged.
        var storage: [String: String] = [:]
        for (key, value) in [("s3.endpoint", s3Endpoint), ("s3.region", s3Region), ("s3.access-key-id", s3AccessKeyID),
                             ("s3.secret-access-key", s3SecretAccessKey), ("s3.session-token", s3SessionToken)] {
            if let value, !value.isEmpty { storage[key] = value }
        }
        if let s3PathStyle { storage["s3.path-style-access"] = s3PathStyle ? "true" : "false" }
        configuration.properties = storage
        return configuration
    }

    /// The privacy rules (nil when there are none: messages are stored as sent).
    func privacyRules() throws -> PrivacyRules? {
        let rules = try PrivacyRules(clientIP: clientIP, drop: privacyDrop, hash: privacyHash, salt: privacySalt)
        return rules.isEmpty ? nil : rules
    }

    /// The timestamp policy of live ingestion (nil when turned off).
    func timestampPolicy() throws -> TimestampPolicy? {
        guard adjustTimestamps else { return nil }
        guard let floor = Timestamp.parse(Array(timestampFloor.utf8)) else {
            throw ConfigurationError(message: "timestamp floor '\(timestampFloor)' is not an RFC 3339 time")
        }
        return TimestampPolicy(maxFutureMicros: Int64(maxFutureMs) * 1_000, floorMicros: floor)
    }

    package func compressionCodec() throws -> CompressionCodec {
        switch codec.lowercased() {
        case "zstd": return .zstd(level: codecLevel)
        case "snappy": return .snappy
        case "gzip": return .gzip
        case "none", "uncompressed": return .uncompressed
        default: throw ConfigurationError(message: "unknown codec '\(codec)'; use zstd, snappy, gzip or none")
        }
    }
}

/// A setting that cannot be used, named in the message.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    public var message: String

    public init(message: String) {
        self.message = message
    }
    public var description: String { message }
}
