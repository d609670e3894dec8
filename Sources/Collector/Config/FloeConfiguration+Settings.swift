/// The table of settings: each one's config-file key, environment variables, flag, check and
/// documentation. Adding a setting is one entry here plus its use; the file, environment and flag
/// layering (FloeConfiguration+Sources.swift) and ``FloeConfiguration/validate()`` read it, and
/// `ConfigurationDocumentationTests` fail when the README or `Config/floe.example.jsonc` miss one.
extension FloeConfiguration {
    static let settings: [Setting] = [
        // Server and identity.
        Setting("host", \.host, env: ["FLOE_HOST"], flag: "host", "Listen host.", check: SettingCheck.notEmpty),
        Setting("port", \.port, env: ["FLOE_PORT"], flag: "port", "Listen port.", check: SettingCheck.within(1...65535)),
        Setting("event_loop_threads", \.eventLoopThreads, env: ["FLOE_EVENT_LOOP_THREADS"],
                "Threads accepting and parsing HTTP (at most 64: each holds an epoll and an eventfd).", check: SettingCheck.within(1...64)),
        Setting("data_dir", \.dataDirectory, env: ["FLOE_DATA_DIR"], flag: "data-dir",
                "Holds buffer.db, catalog.db and (by default) warehouse/.", check: SettingCheck.notEmpty),
        Setting("warehouse", \.warehouse, env: ["FLOE_WAREHOUSE"], flag: "warehouse",
                "Embedded catalog's warehouse: a path, file:// URI or s3://bucket/prefix (default {data_dir}/warehouse)."),
        Setting("namespace", \.namespace, env: ["ICEBERG_NAMESPACE"], "Iceberg namespace of Floe's tables.",
                check: SettingCheck.namespace),
        Setting("instance_id", \.instanceId, env: ["FLOE_INSTANCE_ID"], flag: "instance-id",
                "This instance's name in snapshot summaries, logs and metrics (default {host}-{data_dir hash})."),
        Setting("shutdown_timeout_ms", \.shutdownTimeoutMs, env: ["FLOE_SHUTDOWN_TIMEOUT_MS"],
                "Bound on shutdown after SIGTERM (drain, in-flight requests, final flush).", check: SettingCheck.duration(atLeast: 1, .milliseconds)),
        Setting("drain_delay_ms", \.drainDelayMs, env: ["FLOE_DRAIN_DELAY_MS"],
                "After SIGTERM, not ready for this long while still serving.", check: SettingCheck.duration(atLeast: 0, .milliseconds)),
        Setting("idle_timeout_ms", \.idleTimeoutMs, env: ["FLOE_IDLE_TIMEOUT_MS"],
                "Close a connection that sends nothing for this long (idle, or stalled mid-request).",
                check: SettingCheck.duration(atLeast: 1, .milliseconds)),
        Setting("log_level", \.logLevel, env: ["FLOE_LOG_LEVEL"], "trace, debug, info, notice, warning, error or critical.",
                check: SettingCheck.oneOf(["trace", "debug", "info", "notice", "warning", "error", "critical"])),
        Setting("log_format", \.logFormat, env: ["FLOE_LOG_FORMAT"], "text, or json (one object per line).",
                check: SettingCheck.oneOf(["text", "json"])),

        // Buffer and flush.
        Setting("buffer.size", \.bufferSize, env: ["ICEBERG_BUFFER_SIZE"],
                "Flush a partition at this many events; also the most rows per data file.", check: SettingCheck.atLeast(1)),
        Setting("buffer.timeout_ms", \.bufferTimeoutMs, env: ["ICEBERG_BUFFER_TIMEOUT_MS"],
                "Flush a partition when its oldest event is this old.", check: SettingCheck.duration(atLeast: 1, .milliseconds)),
        Setting("buffer.commit_interval_ms", \.commitIntervalMs, env: ["FLOE_COMMIT_INTERVAL_MS"],
                "Least milliseconds from one scheduled flush cycle (one commit per table) to the next; partitions due sooner wait, unless more is due than a cycle takes (0: back to back).",
                check: SettingCheck.duration(atLeast: 0, .milliseconds)),
        Setting("buffer.durability", \.durability, env: ["FLOE_DURABILITY"],
                "fsync (a 200 survives power loss) or os (survives a crash of Floe)."),
        Setting("buffer.group_commit_us", \.groupCommitIntervalMicros, env: ["FLOE_GROUP_COMMIT_US"],
                "Least microseconds from a buffer transaction that answered several requests to the next; appends arriving sooner wait and share one fsync (0: never wait).",
                check: SettingCheck.duration(atLeast: 0, .microseconds)),
        Setting("buffer.max_backlog_events", \.maxBacklogEvents, env: ["FLOE_MAX_BACKLOG_EVENTS"],
                "Events due for a flush above which every ingest request gets 503 + Retry-After (0: off).",
                check: SettingCheck.atLeast(0)),
        Setting("buffer.max_partition_events", \.maxPartitionEvents, env: ["FLOE_MAX_PARTITION_EVENTS"],
                "Events one partition may hold before 507 (the last resort).", check: SettingCheck.atLeast(1)),
        Setting("buffer.max_bytes", \.maxBufferedBytes, env: ["FLOE_MAX_BUFFER_BYTES"],
                "Payload bytes the buffer may hold before 503.", check: SettingCheck.atLeast(1)),
        Setting("buffer.dedup_window_seconds", \.dedupWindowSeconds, env: ["FLOE_DEDUP_WINDOW_SECONDS"],
                "How long a message key is remembered for deduplication.", check: SettingCheck.duration(atLeast: 1, .seconds)),
        Setting("buffer.max_dedup_keys", \.maxDedupKeys, env: ["FLOE_MAX_DEDUP_KEYS"],
                "Most message keys remembered (about 24 bytes each).", check: SettingCheck.within(1...100_000_000)),

        // The door.
        Setting("limits.max_batch_bytes", \.maxBatchBytes, env: ["FLOE_MAX_BATCH_BYTES"],
                "Largest batch body, decompressed (413 above).", check: SettingCheck.atLeast(1)),
        Setting("limits.max_event_bytes", \.maxEventBytes, env: ["FLOE_MAX_EVENT_BYTES"],
                "Largest single event (alone: 413; in a batch: rejected on its own).", check: SettingCheck.atLeast(1)),
        Setting("limits.strict_batches", \.strictBatches, env: ["FLOE_STRICT_BATCHES"],
                "One invalid event refuses its whole batch with 400 (default: it goes to the rejected table)."),
        Setting("timestamps.adjust", \.adjustTimestamps, env: ["FLOE_ADJUST_TIMESTAMPS"],
                "Replace event times too far ahead or before the floor by the receipt time."),
        Setting("timestamps.max_future_ms", \.maxFutureMs, env: ["FLOE_MAX_FUTURE_MS"],
                "How far after its receipt an event time may be.", check: SettingCheck.duration(atLeast: 0, .milliseconds)),
        Setting("timestamps.floor", \.timestampFloor, env: ["FLOE_TIMESTAMP_FLOOR"],
                "Event times before this RFC 3339 time are replaced.",
                check: { Timestamp.parse(Array($0.utf8)) == nil ? "'\($0)' is not an RFC 3339 time" : nil }),
        Setting("privacy.client_ip", \.clientIP, env: ["FLOE_CLIENT_IP"],
                "The client address added and sent in context.ip: keep, truncate (/24, /48) or drop."),
        Setting("privacy.drop", \.privacyDrop, env: ["FLOE_PRIVACY_DROP"],
                "Members of properties, traits or context removed before storing."),
        Setting("privacy.hash", \.privacyHash, env: ["FLOE_PRIVACY_HASH"],
                "Members replaced by the hex SHA-256 of the salt and their value."),
        Setting("privacy.salt", \.privacySalt, env: ["FLOE_PRIVACY_SALT"], "The salt of privacy.hash (required with it)."),
        Setting("auth.enabled", \.authEnabled, env: ["AUTH_ENABLED", "FLOE_AUTH_ENABLED"],
                "Require an API key on ingest routes."),
        Setting("auth.keys", \.authKeys, env: ["AUTH_TOKEN"], appendsFromEnvironment: true,
                "Accepted API keys / writeKeys; AUTH_TOKEN adds one (taken whole) to the file's.",
                parseText: { [$0] }),
        Setting("auth.admin_token", \.adminToken, env: ["FLOE_ADMIN_TOKEN"],
                "Token for /debug/* and /metrics (unset: an API key is enough)."),
        Setting("allowed_origins", \.allowedOrigins, env: ["ALLOWED_ORIGINS"],
                "Browser origins allowed to send (CORS), comma-separated or *; none disables CORS."),
        Setting("rate_limit.requests_per_second", \.rateLimitPerSecond, env: ["FLOE_RATE_LIMIT"],
                "Requests per second per key (or client address) before 429; 0 disables.", check: SettingCheck.atLeast(0)),
        Setting("rate_limit.burst", \.rateLimitBurst, env: ["FLOE_RATE_LIMIT_BURST"],
                "Requests a key may burst above the rate (default 2× the rate).",
                check: { $0.flatMap { $0 < 1 ? "must be at least 1 (is \($0))" : nil } }),
        Setting("trust_proxy", \.trustProxy, env: ["FLOE_TRUST_PROXY"],
                "Behind proxies that append to X-Forwarded-For: true (one) or their number; the client address is the entry that many from the right (without a port; none when it is no address)."),

        // Files and tables.
        Setting("parquet.codec", \.codec, env: ["FLOE_PARQUET_CODEC"], "Compression of data files: zstd, snappy, gzip or none.",
                check: SettingCheck.oneOf(["zstd", "snappy", "gzip", "none", "uncompressed"])),
        Setting("parquet.level", \.codecLevel, env: ["FLOE_PARQUET_LEVEL"], "ZSTD level.", check: SettingCheck.within(-7...22)),
        Setting("iceberg.manifest_merge_min_count", \.manifestMergeMinCount, env: ["FLOE_MANIFEST_MERGE_MIN_COUNT"],
                "Merge a table's manifests once a snapshot would have more than this many new ones (merged ones merge apart, at the same count); merges are written ahead on the maintenance thread.", check: SettingCheck.atLeast(1)),
        Setting("iceberg.metadata_previous_versions_max", \.metadataPreviousVersionsMax,
                env: ["FLOE_METADATA_PREVIOUS_VERSIONS_MAX"], "Old metadata files kept per table.",
                check: SettingCheck.atLeast(0)),
        Setting("maintenance.interval_ms", \.maintenance.intervalMs, env: ["FLOE_MAINTENANCE_INTERVAL_MS"],
                "How often floe serve maintains its tables (0: never).", check: SettingCheck.duration(atLeast: 0, .milliseconds)),
        Setting("maintenance.expire_snapshots", \.maintenance.expireSnapshots, env: ["FLOE_EXPIRE_SNAPSHOTS"],
                "Expire old snapshots."),
        Setting("maintenance.max_snapshot_age_ms", \.maintenance.maxSnapshotAgeMs, env: ["FLOE_MAX_SNAPSHOT_AGE_MS"],
                "Snapshots older than this are expired (the newest is always kept).", check: SettingCheck.duration(atLeast: 0, .milliseconds)),
        Setting("maintenance.max_snapshots", \.maintenance.maxSnapshots, env: ["FLOE_MAX_SNAPSHOTS"],
                "At most this many snapshots are kept, whatever their age.", check: SettingCheck.atLeast(1)),
        Setting("maintenance.compact", \.maintenance.compact, env: ["FLOE_COMPACT"],
                "Rewrite the small files of closed partitions into files of the target size."),
        Setting("maintenance.target_file_size_bytes", \.maintenance.targetFileSizeBytes, env: ["FLOE_TARGET_FILE_SIZE_BYTES"],
                "Size compaction aims at; files under three quarters of it are compacted.",
                check: SettingCheck.atLeast(1024)),
        Setting("maintenance.partition_grace_ms", \.maintenance.partitionGraceMs, env: ["FLOE_PARTITION_GRACE_MS"],
                "How long after its hour ends a partition counts as closed and may be compacted.",
                check: SettingCheck.duration(atLeast: 0, .milliseconds)),
        Setting("maintenance.compaction_max_bytes", \.maintenance.compactionMaxBytes, env: ["FLOE_COMPACTION_MAX_BYTES"],
                "Most bytes of small files one maintenance run reads per table.", check: SettingCheck.atLeast(1)),
        Setting("maintenance.remove_orphans", \.maintenance.removeOrphans, env: ["FLOE_REMOVE_ORPHANS"],
                "Delete files under the tables' locations that no snapshot references."),
        Setting("maintenance.orphan_interval_ms", \.maintenance.orphanIntervalMs, env: ["FLOE_ORPHAN_INTERVAL_MS"],
                "How often orphan removal runs at most (it lists the tables' whole storage).", check: SettingCheck.duration(atLeast: 0, .milliseconds)),
        Setting("maintenance.orphan_age_ms", \.maintenance.orphanAgeMs, env: ["FLOE_ORPHAN_AGE_MS"],
                "Only unreferenced files older than this are deleted; at least an hour, far above the longest a commit can be held up by a hanging catalog (younger, the files of commits in flight were deleted and the table broken).",
                check: SettingCheck.duration(atLeast: 3_600_000, .milliseconds)),

        // Catalog and storage.
        Setting("catalog.uri", \.catalogURI, env: ["R2_CATALOG_ENDPOINT", "FLOE_CATALOG_URI"],
                "Iceberg REST catalog URI (http/https); unset: the embedded SQL catalog.",
                check: { uri in
                    uri.flatMap { $0.isEmpty || $0.hasPrefix("http://") || $0.hasPrefix("https://")
                        ? nil : "'\($0)' must start with http:// or https://" }
                }),
        Setting("catalog.warehouse", \.catalogWarehouse, env: ["FLOE_CATALOG_WAREHOUSE"],
                "REST warehouse name (R2: {account}_{bucket})."),
        Setting("catalog.token", \.catalogToken, env: ["R2_CATALOG_AUTH_TOKEN", "FLOE_CATALOG_TOKEN"],
                "REST bearer token (an R2 API token)."),
        Setting("catalog.credential", \.catalogCredential, env: ["FLOE_CATALOG_CREDENTIAL"],
                "REST OAuth2 client credential id:secret (instead of a token; both set stops the start)."),
        Setting("catalog.scope", \.catalogScope, env: ["FLOE_CATALOG_SCOPE"], "OAuth2 scope (default PRINCIPAL_ROLE:ALL)."),
        Setting("catalog.request_timeout_ms", \.catalogRequestTimeoutMs, env: ["FLOE_CATALOG_REQUEST_TIMEOUT_MS"],
                "Time limit of one REST catalog read (config, load, list); reads are retried.",
                check: SettingCheck.duration(atLeast: 1, .milliseconds)),
        Setting("catalog.commit_timeout_ms", \.catalogCommitTimeoutMs, env: ["FLOE_CATALOG_COMMIT_TIMEOUT_MS"],
                "Time limit of one REST catalog commit, create or drop; a commit past it has an unknown outcome, settled by reloading the table.",
                check: SettingCheck.duration(atLeast: 1, .milliseconds)),
        Setting("s3.endpoint", \.s3Endpoint, env: ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"], variablesInPrecedence: true,
                "S3/R2 endpoint for s3:// locations."),
        Setting("s3.region", \.s3Region, env: ["AWS_REGION", "AWS_DEFAULT_REGION"], variablesInPrecedence: true,
                "S3 region (auto for R2)."),
        Setting("s3.path_style", \.s3PathStyle, env: ["FLOE_S3_PATH_STYLE"],
                "Path-style addressing (default: on for IP and localhost endpoints only)."),
        Setting("s3.access_key_id", \.s3AccessKeyID, env: ["AWS_ACCESS_KEY_ID"],
                "S3 credentials when the catalog does not vend them."),
        Setting("s3.secret_access_key", \.s3SecretAccessKey, env: ["AWS_SECRET_ACCESS_KEY"], "S3 secret key."),
        Setting("s3.session_token", \.s3SessionToken, env: ["AWS_SESSION_TOKEN"], "S3 session token."),
    ]

    /// The setting with this flag (without dashes).
    static func setting(flag: String) -> Setting? {
        settings.first { $0.flag == flag }
    }

    /// The settings table as the README's Markdown table (`floe settings` prints it).
    public static var settingsMarkdown: String {
        let defaults = FloeConfiguration()
        let rows = settings.map { setting in
            let flag = setting.flag.map { "`--\($0)`" } ?? ""
            return "| `\(setting.key)` | \(setting.environment.map { "`\($0)`" }.joined(separator: ", ")) | \(flag) | "
                + "`\(setting.describe(defaults))` | \(setting.summary) |"
        }
        return (["| file key | environment | flag | default | meaning |", "|---|---|---|---|---|"] + rows)
            .joined(separator: "\n")
    }

    /// The flags of the settings table, for command help.
    public static var settingFlagsHelp: String {
        "Settings flags (they win over environment variables and the config file): "
            + settings.compactMap { setting in setting.flag.map { "--\($0) (\(setting.environment.joined(separator: ", ")))" } }
                .joined(separator: ", ")
            + ". Every setting is listed in the README's Configuration section."
    }
}
