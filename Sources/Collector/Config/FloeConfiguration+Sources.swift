import Buffer
import Foundation

/// Reading settings from a config file (JSON with `//` comments) and from the environment.
extension FloeConfiguration {
    /// The config file's shape; every key optional, names as in `Config/floe.example.jsonc`.
    private struct File: Decodable {
        var host: String?
        var port: Int?
        var instanceId: String?
        var shutdownTimeoutMs: Int?
        var drainDelayMs: Int?
        var dataDir: String?
        var warehouse: String?
        var namespace: String?
        var buffer: Buffer?
        var limits: Limits?
        var parquet: Parquet?
        var logLevel: String?
        var logFormat: String?
        var auth: Auth?
        var allowedOrigins: [String]?
        var rateLimit: RateLimit?
        var trustProxy: Bool?
        var iceberg: IcebergSettings?
        var catalog: Catalog?
        var maintenance: Maintenance?
        var timestamps: Timestamps?
        var privacy: Privacy?

        struct Privacy: Decodable {
            var clientIp: String?
            var drop: [String]?
            var hash: [String]?
            var salt: String?
        }

        struct Timestamps: Decodable {
            var adjust: Bool?
            var maxFutureMs: Int?
            var floor: String?
        }

        struct Maintenance: Decodable {
            var intervalMs: Int?
            var expireSnapshots: Bool?
            var maxSnapshotAgeMs: Int?
            var maxSnapshots: Int?
        }

        struct IcebergSettings: Decodable {
            var manifestMergeMinCount: Int?
            var metadataPreviousVersionsMax: Int?
        }
        var s3: S3?

        struct Catalog: Decodable {
            var uri: String?
            var warehouse: String?
            var token: String?
            var credential: String?
            var scope: String?
        }

        struct S3: Decodable {
            var endpoint: String?
            var region: String?
            var pathStyle: Bool?
            var accessKeyId: String?
            var secretAccessKey: String?
            var sessionToken: String?
        }

        struct Auth: Decodable {
            var enabled: Bool?
            var keys: [String]?
            var adminToken: String?
        }

        struct RateLimit: Decodable {
            var requestsPerSecond: Double?
            var burst: Double?
        }

        struct Buffer: Decodable {
            var size: Int?
            var timeoutMs: Int?
            var durability: String?
            var maxPartitionEvents: Int?
            var maxBacklogEvents: Int?
            var maxBytes: Int?
            var dedupWindowSeconds: Int?
            var maxDedupKeys: Int?
        }

        struct Limits: Decodable {
            var maxBatchBytes: Int?
            var maxEventBytes: Int?
            var strictBatches: Bool?
        }

        struct Parquet: Decodable {
            var codec: String?
            var level: Int32?
        }
    }

    /// Applies a config file.
    public mutating func apply(file path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError(message: "cannot read config file \(path)")
        }
        let text = String(decoding: data, as: UTF8.self)
            .split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("//") }
            .joined(separator: "\n")
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let file: File
        do {
            file = try decoder.decode(File.self, from: Data(text.utf8))
        } catch {
            throw ConfigurationError(message: "config file \(path) is not valid: \(error)")
        }
        host = file.host ?? host
        instanceId = file.instanceId ?? instanceId
        shutdownTimeoutMs = file.shutdownTimeoutMs ?? shutdownTimeoutMs
        drainDelayMs = file.drainDelayMs ?? drainDelayMs
        port = file.port ?? port
        dataDirectory = file.dataDir ?? dataDirectory
        warehouse = file.warehouse ?? warehouse
        namespace = file.namespace ?? namespace
        bufferSize = file.buffer?.size ?? bufferSize
        bufferTimeoutMs = file.buffer?.timeoutMs ?? bufferTimeoutMs
        if let value = file.buffer?.durability { try setDurability(value) }
        maxPartitionEvents = file.buffer?.maxPartitionEvents ?? maxPartitionEvents
        maxBacklogEvents = file.buffer?.maxBacklogEvents ?? maxBacklogEvents
        maxBufferedBytes = file.buffer?.maxBytes ?? maxBufferedBytes
        dedupWindowSeconds = file.buffer?.dedupWindowSeconds ?? dedupWindowSeconds
        maxDedupKeys = file.buffer?.maxDedupKeys ?? maxDedupKeys
        maxBatchBytes = file.limits?.maxBatchBytes ?? maxBatchBytes
        maxEventBytes = file.limits?.maxEventBytes ?? maxEventBytes
        strictBatches = file.limits?.strictBatches ?? strictBatches
        adjustTimestamps = file.timestamps?.adjust ?? adjustTimestamps
        maxFutureMs = file.timestamps?.maxFutureMs ?? maxFutureMs
        timestampFloor = file.timestamps?.floor ?? timestampFloor
        if let value = file.privacy?.clientIp { try setClientIP(value) }
        privacyDrop = file.privacy?.drop ?? privacyDrop
        privacyHash = file.privacy?.hash ?? privacyHash
        privacySalt = file.privacy?.salt ?? privacySalt
        codec = file.parquet?.codec ?? codec
        codecLevel = file.parquet?.level ?? codecLevel
        logLevel = file.logLevel ?? logLevel
        logFormat = file.logFormat ?? logFormat
        authEnabled = file.auth?.enabled ?? authEnabled
        authKeys = file.auth?.keys ?? authKeys
        adminToken = file.auth?.adminToken ?? adminToken
        allowedOrigins = file.allowedOrigins ?? allowedOrigins
        rateLimitPerSecond = file.rateLimit?.requestsPerSecond ?? rateLimitPerSecond
        rateLimitBurst = file.rateLimit?.burst ?? rateLimitBurst
        trustProxy = file.trustProxy ?? trustProxy
        manifestMergeMinCount = file.iceberg?.manifestMergeMinCount ?? manifestMergeMinCount
        metadataPreviousVersionsMax = file.iceberg?.metadataPreviousVersionsMax ?? metadataPreviousVersionsMax
        maintenance.intervalMs = file.maintenance?.intervalMs ?? maintenance.intervalMs
        maintenance.expireSnapshots = file.maintenance?.expireSnapshots ?? maintenance.expireSnapshots
        maintenance.maxSnapshotAgeMs = file.maintenance?.maxSnapshotAgeMs ?? maintenance.maxSnapshotAgeMs
        maintenance.maxSnapshots = file.maintenance?.maxSnapshots ?? maintenance.maxSnapshots
        catalogURI = file.catalog?.uri ?? catalogURI
        catalogWarehouse = file.catalog?.warehouse ?? catalogWarehouse
        catalogToken = file.catalog?.token ?? catalogToken
        catalogCredential = file.catalog?.credential ?? catalogCredential
        catalogScope = file.catalog?.scope ?? catalogScope
        s3Endpoint = file.s3?.endpoint ?? s3Endpoint
        s3Region = file.s3?.region ?? s3Region
        s3PathStyle = file.s3?.pathStyle ?? s3PathStyle
        s3AccessKeyID = file.s3?.accessKeyId ?? s3AccessKeyID
        s3SecretAccessKey = file.s3?.secretAccessKey ?? s3SecretAccessKey
        s3SessionToken = file.s3?.sessionToken ?? s3SessionToken
    }

    /// Applies `FLOE_*` and the seed's variables (docs/design.md §9).
    public mutating func apply(environment: [String: String]) throws {
        func int(_ name: String) throws -> Int? {
            guard let text = environment[name], !text.isEmpty else { return nil }
            guard let value = Int(text) else { throw ConfigurationError(message: "\(name)=\(text) is not an integer") }
            return value
        }
        /// A comma-separated list, entries trimmed, empty ones left out; unset is nil.
        func list(_ name: String) -> [String]? {
            environment[name].map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
        }
        /// `1`, `true`, `yes`, `on` (any case) are true; any other value is false; unset is nil.
        func flag(_ name: String) -> Bool? {
            environment[name].map { ["1", "true", "yes", "on"].contains($0.lowercased()) }
        }
        host = environment["FLOE_HOST"] ?? host
        instanceId = environment["FLOE_INSTANCE_ID"].flatMap { $0.isEmpty ? nil : $0 } ?? instanceId
        shutdownTimeoutMs = try int("FLOE_SHUTDOWN_TIMEOUT_MS") ?? shutdownTimeoutMs
        drainDelayMs = try int("FLOE_DRAIN_DELAY_MS") ?? drainDelayMs
        port = try int("FLOE_PORT") ?? port
        dataDirectory = environment["FLOE_DATA_DIR"] ?? dataDirectory
        warehouse = environment["FLOE_WAREHOUSE"] ?? warehouse
        namespace = environment["ICEBERG_NAMESPACE"].flatMap { $0.isEmpty ? nil : $0 } ?? namespace
        bufferSize = try int("ICEBERG_BUFFER_SIZE") ?? bufferSize
        bufferTimeoutMs = try int("ICEBERG_BUFFER_TIMEOUT_MS") ?? bufferTimeoutMs
        if let value = environment["FLOE_DURABILITY"] { try setDurability(value) }
        maxPartitionEvents = try int("FLOE_MAX_PARTITION_EVENTS") ?? maxPartitionEvents
        maxBacklogEvents = try int("FLOE_MAX_BACKLOG_EVENTS") ?? maxBacklogEvents
        maxBatchBytes = try int("FLOE_MAX_BATCH_BYTES") ?? maxBatchBytes
        strictBatches = flag("FLOE_STRICT_BATCHES") ?? strictBatches
        adjustTimestamps = flag("FLOE_ADJUST_TIMESTAMPS") ?? adjustTimestamps
        maxFutureMs = try int("FLOE_MAX_FUTURE_MS") ?? maxFutureMs
        timestampFloor = environment["FLOE_TIMESTAMP_FLOOR"].flatMap { $0.isEmpty ? nil : $0 } ?? timestampFloor
        if let value = environment["FLOE_CLIENT_IP"], !value.isEmpty { try setClientIP(value) }
        privacyDrop = list("FLOE_PRIVACY_DROP") ?? privacyDrop
        privacyHash = list("FLOE_PRIVACY_HASH") ?? privacyHash
        privacySalt = environment["FLOE_PRIVACY_SALT"].flatMap { $0.isEmpty ? nil : $0 } ?? privacySalt
        dedupWindowSeconds = try int("FLOE_DEDUP_WINDOW_SECONDS") ?? dedupWindowSeconds
        maxDedupKeys = try int("FLOE_MAX_DEDUP_KEYS") ?? maxDedupKeys
        logLevel = environment["FLOE_LOG_LEVEL"] ?? logLevel
        logFormat = environment["FLOE_LOG_FORMAT"] ?? logFormat
        eventLoopThreads = try int("FLOE_EVENT_LOOP_THREADS") ?? eventLoopThreads
        groupCommitWindowMicros = try int("FLOE_GROUP_COMMIT_US") ?? groupCommitWindowMicros
        manifestMergeMinCount = try int("FLOE_MANIFEST_MERGE_MIN_COUNT") ?? manifestMergeMinCount
        metadataPreviousVersionsMax = try int("FLOE_METADATA_PREVIOUS_VERSIONS_MAX") ?? metadataPreviousVersionsMax
        maintenance.intervalMs = try int("FLOE_MAINTENANCE_INTERVAL_MS") ?? maintenance.intervalMs
        maintenance.expireSnapshots = flag("FLOE_EXPIRE_SNAPSHOTS") ?? maintenance.expireSnapshots
        maintenance.maxSnapshotAgeMs = try int("FLOE_MAX_SNAPSHOT_AGE_MS") ?? maintenance.maxSnapshotAgeMs
        maintenance.maxSnapshots = try int("FLOE_MAX_SNAPSHOTS") ?? maintenance.maxSnapshots
        authEnabled = flag("AUTH_ENABLED") ?? authEnabled
        if let token = environment["AUTH_TOKEN"], !token.isEmpty, !authKeys.contains(token) { authKeys.append(token) }
        if let token = environment["FLOE_ADMIN_TOKEN"], !token.isEmpty { adminToken = token }
        allowedOrigins = list("ALLOWED_ORIGINS") ?? allowedOrigins
        if let text = environment["FLOE_RATE_LIMIT"], !text.isEmpty {
            guard let value = Double(text), value >= 0 else {
                throw ConfigurationError(message: "FLOE_RATE_LIMIT=\(text) is not a non-negative number")
            }
            rateLimitPerSecond = value
        }
        func text(_ names: String...) -> String? {
            names.lazy.compactMap { environment[$0] }.first { !$0.isEmpty }
        }
        if let uri = text("R2_CATALOG_ENDPOINT", "FLOE_CATALOG_URI"), uri.hasPrefix("http://") || uri.hasPrefix("https://") {
            catalogURI = uri
        }
        catalogWarehouse = text("FLOE_CATALOG_WAREHOUSE") ?? catalogWarehouse
        catalogToken = text("R2_CATALOG_AUTH_TOKEN", "FLOE_CATALOG_TOKEN") ?? catalogToken
        catalogCredential = text("FLOE_CATALOG_CREDENTIAL") ?? catalogCredential
        s3Endpoint = text("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL") ?? s3Endpoint
        s3Region = text("AWS_REGION", "AWS_DEFAULT_REGION") ?? s3Region
        s3AccessKeyID = text("AWS_ACCESS_KEY_ID") ?? s3AccessKeyID
        s3SecretAccessKey = text("AWS_SECRET_ACCESS_KEY") ?? s3SecretAccessKey
        s3SessionToken = text("AWS_SESSION_TOKEN") ?? s3SessionToken
        s3PathStyle = flag("FLOE_S3_PATH_STYLE") ?? s3PathStyle
        trustProxy = flag("FLOE_TRUST_PROXY") ?? trustProxy
    }

    mutating func setClientIP(_ value: String) throws {
        guard let parsed = PrivacyRules.ClientIP(rawValue: value.lowercased()) else {
            throw ConfigurationError(message: "client IP '\(value)': use keep, truncate or drop")
        }
        clientIP = parsed
    }

    mutating func setDurability(_ value: String) throws {
        guard let parsed = BufferConfiguration.Durability(rawValue: value.lowercased()) else {
            throw ConfigurationError(message: "durability '\(value)': use fsync or os")
        }
        durability = parsed
    }

    /// Checks values that would fail later in a less clear way.
    public func validate() throws {
        if !(1...65535).contains(port) { throw ConfigurationError(message: "port \(port) is out of range") }
        if shutdownTimeoutMs < 1 { throw ConfigurationError(message: "shutdown timeout must be at least 1 ms") }
        if drainDelayMs < 0 || drainDelayMs >= shutdownTimeoutMs {
            throw ConfigurationError(message: "drain delay (\(drainDelayMs) ms) must be 0 or more and below the shutdown timeout (\(shutdownTimeoutMs) ms)")
        }
        if eventLoopThreads < 1 { throw ConfigurationError(message: "event loop threads must be at least 1") }
        if bufferSize < 1 { throw ConfigurationError(message: "buffer size must be at least 1") }
        if bufferTimeoutMs < 1 { throw ConfigurationError(message: "buffer timeout must be at least 1 ms") }
        if maxPartitionEvents < bufferSize {
            throw ConfigurationError(message: "max partition events (\(maxPartitionEvents)) must be at least the buffer size (\(bufferSize))")
        }
        if maintenance.intervalMs < 0 { throw ConfigurationError(message: "maintenance interval must be 0 (off) or more") }
        if maintenance.maxSnapshots < 1 { throw ConfigurationError(message: "max snapshots must be at least 1") }
        if maintenance.maxSnapshotAgeMs < 0 { throw ConfigurationError(message: "max snapshot age must be 0 or more") }
        if maxBacklogEvents < 0 { throw ConfigurationError(message: "max backlog events must be 0 (off) or more") }
        if dedupWindowSeconds < 1 { throw ConfigurationError(message: "dedup window must be at least 1 second") }
        if !(1...100_000_000).contains(maxDedupKeys) {
            throw ConfigurationError(message: "max dedup keys (\(maxDedupKeys)) must be between 1 and 100,000,000")
        }
        if authEnabled && authKeys.isEmpty {
            throw ConfigurationError(message: "auth is enabled but no key is configured: set AUTH_TOKEN or auth.keys")
        }
        if !["text", "json"].contains(logFormat) {
            throw ConfigurationError(message: "log format '\(logFormat)': use text or json")
        }
        _ = try warehouseLocation()
        _ = try restCatalogConfiguration()
        _ = try compressionCodec()
        _ = try timestampPolicy()
        _ = try privacyRules()
        if maxFutureMs < 0 { throw ConfigurationError(message: "max future ms must be 0 or more") }
    }
}
