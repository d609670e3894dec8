import Buffer
import Collector
import Foundation
import Testing

/// Layering of `FloeConfiguration`: defaults < config file < environment, through the public
/// shape only (`init()`, `apply(file:)`, `apply(environment:)`, `validate()`, the properties).
@Suite("Configuration layering")
struct ConfigurationLayeringTests {
    /// Writes `text` to a temporary `.jsonc` file, runs `body` with its path, removes it.
    private func withFile<T>(_ text: String, _ body: (String) throws -> T) throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("floe-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("floe.jsonc").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return try body(path)
    }

    /// Defaults, then `file` (if any), then `environment`, then validation.
    private func load(file: String? = nil, environment: [String: String] = [:]) throws -> FloeConfiguration {
        var configuration = FloeConfiguration()
        if let file {
            try withFile(file) { try configuration.apply(file: $0) }
        }
        try configuration.apply(environment: environment)
        try configuration.validate()
        return configuration
    }

    @Test("the defaults are the documented ones and valid")
    func defaults() throws {
        let configuration = FloeConfiguration()
        try configuration.validate()
        #expect(configuration.host == "127.0.0.1" && configuration.port == 8080)
        #expect(configuration.dataDirectory == "floe-data")
        #expect(configuration.warehouse == nil)
        #expect(configuration.namespace == "analytics")
        #expect(configuration.bufferSize == 2_000 && configuration.bufferTimeoutMs == 30_000)
        #expect(configuration.durability == .fsync)
        #expect(configuration.maxPartitionEvents == 1_000_000 && configuration.maxBacklogEvents == 500_000)
        #expect(configuration.maxBatchBytes == 512_000 && configuration.maxEventBytes == 32_768)
        #expect(configuration.strictBatches == false)
        #expect(configuration.authEnabled == false && configuration.authKeys.isEmpty && configuration.adminToken == nil)
        #expect(configuration.allowedOrigins.isEmpty)
        #expect(configuration.rateLimitPerSecond == 0 && configuration.rateLimitBurst == nil)
        #expect(configuration.codec == "zstd" && configuration.codecLevel == 1)
        #expect(configuration.catalogURI == nil && configuration.s3Endpoint == nil)
        #expect(configuration.trustProxy == ProxyHops(0))
        #expect(configuration.shutdownTimeoutMs == 25_000 && configuration.drainDelayMs == 2_000)
    }

    @Test("environment variables set their settings")
    func environment() throws {
        let configuration = try load(environment: [
            "FLOE_HOST": "0.0.0.0", "FLOE_PORT": "9090", "FLOE_DATA_DIR": "/srv/floe", "FLOE_WAREHOUSE": "/srv/warehouse",
            "FLOE_INSTANCE_ID": "floe-7", "FLOE_SHUTDOWN_TIMEOUT_MS": "9000", "FLOE_DRAIN_DELAY_MS": "250",
            "ICEBERG_NAMESPACE": "web.analytics", "ICEBERG_BUFFER_SIZE": "500", "ICEBERG_BUFFER_TIMEOUT_MS": "1500",
            "FLOE_DURABILITY": "OS", "FLOE_MAX_PARTITION_EVENTS": "9000", "FLOE_MAX_BACKLOG_EVENTS": "0",
            "FLOE_MAX_BATCH_BYTES": "100000", "FLOE_STRICT_BATCHES": "yes",
            "FLOE_DEDUP_WINDOW_SECONDS": "60", "FLOE_MAX_DEDUP_KEYS": "1000",
            "FLOE_LOG_LEVEL": "debug", "FLOE_LOG_FORMAT": "json", "FLOE_EVENT_LOOP_THREADS": "2", "FLOE_GROUP_COMMIT_US": "500",
            "FLOE_ADJUST_TIMESTAMPS": "off", "FLOE_MAX_FUTURE_MS": "60000", "FLOE_TIMESTAMP_FLOOR": "2010-01-01T00:00:00Z",
            "FLOE_PRIVACY_DROP": "properties.email, context.ip,", "FLOE_PRIVACY_HASH": "traits.phone", "FLOE_PRIVACY_SALT": "pepper",
            "AUTH_ENABLED": "TRUE", "AUTH_TOKEN": "key-1", "FLOE_ADMIN_TOKEN": "admin-1",
            "ALLOWED_ORIGINS": " https://a.example , https://b.example ,,", "FLOE_RATE_LIMIT": "2.5", "FLOE_TRUST_PROXY": "1",
            "FLOE_MANIFEST_MERGE_MIN_COUNT": "10", "FLOE_METADATA_PREVIOUS_VERSIONS_MAX": "5",
            "FLOE_CATALOG_WAREHOUSE": "acct_bucket", "R2_CATALOG_AUTH_TOKEN": "r2-token",
            "AWS_ENDPOINT_URL_S3": "https://acct.r2.cloudflarestorage.com", "AWS_REGION": "auto",
            "AWS_ACCESS_KEY_ID": "AKIA", "AWS_SECRET_ACCESS_KEY": "secret", "FLOE_S3_PATH_STYLE": "false",
        ])
        #expect(configuration.host == "0.0.0.0" && configuration.port == 9090)
        #expect(configuration.dataDirectory == "/srv/floe" && configuration.warehouse == "/srv/warehouse")
        #expect(configuration.instanceId == "floe-7" && configuration.resolvedInstanceId == "floe-7")
        #expect(configuration.shutdownTimeoutMs == 9_000 && configuration.drainDelayMs == 250)
        #expect(configuration.namespace == "web.analytics")
        #expect(configuration.bufferSize == 500 && configuration.bufferTimeoutMs == 1_500)
        #expect(configuration.durability == .os)
        #expect(configuration.maxPartitionEvents == 9_000 && configuration.maxBacklogEvents == 0)
        #expect(configuration.maxBatchBytes == 100_000 && configuration.strictBatches)
        #expect(configuration.dedupWindowSeconds == 60 && configuration.maxDedupKeys == 1_000)
        #expect(configuration.logLevel == "debug" && configuration.logFormat == "json")
        #expect(configuration.eventLoopThreads == 2 && configuration.groupCommitIntervalMicros == 500)
        #expect(configuration.adjustTimestamps == false && configuration.maxFutureMs == 60_000)
        #expect(configuration.timestampFloor == "2010-01-01T00:00:00Z")
        #expect(configuration.privacyDrop == ["properties.email", "context.ip"])
        #expect(configuration.privacyHash == ["traits.phone"] && configuration.privacySalt == "pepper")
        #expect(configuration.authEnabled && configuration.authKeys == ["key-1"] && configuration.adminToken == "admin-1")
        #expect(configuration.allowedOrigins == ["https://a.example", "https://b.example"])
        #expect(configuration.rateLimitPerSecond == 2.5)
        #expect(configuration.trustProxy == ProxyHops(1))
        #expect(configuration.manifestMergeMinCount == 10 && configuration.metadataPreviousVersionsMax == 5)
        #expect(configuration.catalogWarehouse == "acct_bucket" && configuration.catalogToken == "r2-token")
        #expect(configuration.s3Endpoint == "https://acct.r2.cloudflarestorage.com" && configuration.s3Region == "auto")
        #expect(configuration.s3AccessKeyID == "AKIA" && configuration.s3SecretAccessKey == "secret")
        #expect(configuration.s3PathStyle == false)
    }

    @Test("every file setting has a variable too: limits, buffer bytes, burst, Parquet, catalog scope, fallbacks")
    func moreVariables() throws {
        let configuration = try load(environment: [
            "FLOE_MAX_EVENT_BYTES": "2048", "FLOE_MAX_BUFFER_BYTES": "1000000", "FLOE_RATE_LIMIT": "10",
            "FLOE_RATE_LIMIT_BURST": "40", "FLOE_PARQUET_CODEC": "gzip", "FLOE_PARQUET_LEVEL": "5",
            "FLOE_CATALOG_URI": "https://catalog.example", "FLOE_CATALOG_SCOPE": "catalog",
            "FLOE_CATALOG_CREDENTIAL": "id:secret", "FLOE_CATALOG_REQUEST_TIMEOUT_MS": "1500",
            "FLOE_CATALOG_COMMIT_TIMEOUT_MS": "2500", "FLOE_AUTH_ENABLED": "true", "AUTH_TOKEN": "a-key",
            "AWS_ENDPOINT_URL": "http://localhost:9000", "AWS_DEFAULT_REGION": "eu-west-1", "AWS_SESSION_TOKEN": "session",
        ])
        #expect(configuration.maxEventBytes == 2_048 && configuration.maxBufferedBytes == 1_000_000)
        #expect(configuration.rateLimitPerSecond == 10 && configuration.rateLimitBurst == 40)
        #expect(configuration.codec == "gzip" && configuration.codecLevel == 5)
        #expect(configuration.catalogURI == "https://catalog.example")
        #expect(try load(environment: ["FLOE_CATALOG_URI": "https://catalog.example", "FLOE_CATALOG_TOKEN": "t2"]).catalogToken == "t2")
        #expect(configuration.catalogScope == "catalog" && configuration.catalogCredential == "id:secret")
        #expect(configuration.catalogRequestTimeoutMs == 1_500 && configuration.catalogCommitTimeoutMs == 2_500)
        #expect(configuration.authEnabled && configuration.authKeys == ["a-key"])
        #expect(configuration.s3Endpoint == "http://localhost:9000" && configuration.s3Region == "eu-west-1")
        #expect(configuration.s3SessionToken == "session")
    }

    @Test("flags: 1, true, yes, on are true and 0, false, no, off are false, in any case", arguments: [
        ("1", true), ("true", true), ("Yes", true), ("ON", true), ("0", false), ("false", false), ("NO", false), ("off", false),
    ])
    func flags(value: String, expected: Bool) throws {
        let configuration = try load(environment: ["FLOE_STRICT_BATCHES": value, "FLOE_TRUST_PROXY": value])
        #expect(configuration.strictBatches == expected && configuration.trustProxy == ProxyHops(expected ? 1 : 0))
    }

    @Test("trust_proxy: true, false or a number of proxies; anything else is an error naming the setting")
    func proxyHops() throws {
        #expect(try load(environment: ["FLOE_TRUST_PROXY": "2"]).trustProxy == ProxyHops(2))
        for bad in ["-1", "maybe", "1.5"] {
            let error = #expect(throws: ConfigurationError.self) { try load(environment: ["FLOE_TRUST_PROXY": bad]) }
            #expect(error?.message.contains("FLOE_TRUST_PROXY") == true)
        }
    }

    @Test("empty variables count as unset")
    func emptyVariables() throws {
        let configuration = try load(environment: [
            "ICEBERG_NAMESPACE": "", "FLOE_PORT": "", "ICEBERG_BUFFER_SIZE": "", "FLOE_INSTANCE_ID": "",
            "AUTH_TOKEN": "", "FLOE_ADMIN_TOKEN": "", "FLOE_RATE_LIMIT": "", "R2_CATALOG_ENDPOINT": "",
        ])
        let defaults = FloeConfiguration()
        #expect(configuration.namespace == defaults.namespace && configuration.port == defaults.port)
        #expect(configuration.bufferSize == defaults.bufferSize)
        #expect(configuration.instanceId == nil && configuration.authKeys.isEmpty && configuration.adminToken == nil)
        #expect(configuration.rateLimitPerSecond == 0 && configuration.catalogURI == nil)
    }

    @Test("two variables of one setting may both be set only to the same value: R2_CATALOG_ENDPOINT, FLOE_CATALOG_URI")
    func catalogVariables() throws {
        let both = try load(environment: ["R2_CATALOG_ENDPOINT": "https://catalog.example/a/b",
                                          "FLOE_CATALOG_URI": "https://catalog.example/a/b"])
        #expect(both.catalogURI == "https://catalog.example/a/b")
        let error = try #require(throws: ConfigurationError.self) {
            _ = try load(environment: ["R2_CATALOG_ENDPOINT": "https://catalog.example/a/b",
                                       "FLOE_CATALOG_URI": "http://127.0.0.1:8181"])
        }
        #expect(error.message.contains("R2_CATALOG_ENDPOINT") && error.message.contains("FLOE_CATALOG_URI"), "\(error.message)")
        let tokens = try #require(throws: ConfigurationError.self) {
            _ = try load(environment: ["R2_CATALOG_AUTH_TOKEN": "secret-one", "FLOE_CATALOG_TOKEN": "secret-two"])
        }
        #expect(!tokens.message.contains("secret"), "a token in an error message: \(tokens.message)")
        // A bearer token and an OAuth2 credential: one would be ignored, so neither is taken.
        let twoAuths = try #require(throws: ConfigurationError.self) {
            _ = try load(environment: ["R2_CATALOG_ENDPOINT": "https://catalog.example/a/b", "R2_CATALOG_AUTH_TOKEN": "secret-one",
                                       "FLOE_CATALOG_CREDENTIAL": "id:secret-two"])
        }
        #expect(twoAuths.message.contains("catalog.token") && twoAuths.message.contains("catalog.credential"), "\(twoAuths.message)")
        #expect(!twoAuths.message.contains("secret"), "a secret in an error message: \(twoAuths.message)")
        // The AWS variables keep the AWS SDKs' order: the service-specific endpoint, then AWS_REGION, win.
        let aws = try load(environment: ["AWS_ENDPOINT_URL_S3": "https://s3.example", "AWS_ENDPOINT_URL": "https://all.example",
                                         "AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "us-east-1"])
        #expect(aws.s3Endpoint == "https://s3.example" && aws.s3Region == "eu-west-1")
        let fallback = try load(environment: ["FLOE_CATALOG_URI": "http://127.0.0.1:8181"])
        #expect(fallback.catalogURI == "http://127.0.0.1:8181")
        let unset = try load()
        #expect(unset.catalogURI == nil)
    }

    @Test("a JSONC file with whole-line comments sets nested settings")
    func file() throws {
        let configuration = try load(file: """
            // A deployment.
            {
              "host": "0.0.0.0",
              "port": 9000,
              // Where the data lives.
              "data_dir": "/var/lib/floe",
              "namespace": "prod",
              "instance_id": "floe-a",
              "shutdown_timeout_ms": 10000,
              "drain_delay_ms": 500,
              "buffer": {"size": 250, "timeout_ms": 2000, "durability": "os", "max_partition_events": 5000,
                         "max_backlog_events": 4000, "max_bytes": 1048576, "dedup_window_seconds": 120, "max_dedup_keys": 50},
              "limits": {"max_batch_bytes": 65536, "max_event_bytes": 4096, "strict_batches": true},
              "timestamps": {"adjust": false, "max_future_ms": 1000, "floor": "2015-01-01T00:00:00Z"},
              "privacy": {"client_ip": "truncate", "drop": ["properties.email"], "hash": ["traits.phone"], "salt": "s"},
              "parquet": {"codec": "snappy", "level": 3},
              "log_level": "warning",
              "log_format": "json",
              "auth": {"enabled": true, "keys": ["k1", "k2"], "admin_token": "adm"},
              "allowed_origins": ["*"],
              "rate_limit": {"requests_per_second": 50, "burst": 75},
              "trust_proxy": true,
              "iceberg": {"manifest_merge_min_count": 20, "metadata_previous_versions_max": 7},
              "catalog": {"uri": "https://catalog.example/acct/bucket", "warehouse": "acct_bucket", "token": "t",
                          "request_timeout_ms": 4000, "commit_timeout_ms": 9000},
              "s3": {"endpoint": "http://127.0.0.1:9000", "region": "us-east-1", "path_style": true,
                     "access_key_id": "id", "secret_access_key": "secret"}
            }
            """)
        #expect(configuration.host == "0.0.0.0" && configuration.port == 9000)
        #expect(configuration.dataDirectory == "/var/lib/floe" && configuration.namespace == "prod")
        #expect(configuration.instanceId == "floe-a")
        #expect(configuration.shutdownTimeoutMs == 10_000 && configuration.drainDelayMs == 500)
        #expect(configuration.bufferSize == 250 && configuration.bufferTimeoutMs == 2_000 && configuration.durability == .os)
        #expect(configuration.maxPartitionEvents == 5_000 && configuration.maxBacklogEvents == 4_000)
        #expect(configuration.maxBufferedBytes == 1_048_576)
        #expect(configuration.dedupWindowSeconds == 120 && configuration.maxDedupKeys == 50)
        #expect(configuration.maxBatchBytes == 65_536 && configuration.maxEventBytes == 4_096 && configuration.strictBatches)
        #expect(configuration.adjustTimestamps == false && configuration.maxFutureMs == 1_000)
        #expect(configuration.timestampFloor == "2015-01-01T00:00:00Z")
        #expect(configuration.privacyDrop == ["properties.email"] && configuration.privacyHash == ["traits.phone"])
        #expect(configuration.privacySalt == "s")
        #expect(configuration.codec == "snappy" && configuration.codecLevel == 3)
        #expect(configuration.logLevel == "warning" && configuration.logFormat == "json")
        #expect(configuration.authEnabled && configuration.authKeys == ["k1", "k2"] && configuration.adminToken == "adm")
        #expect(configuration.allowedOrigins == ["*"])
        #expect(configuration.rateLimitPerSecond == 50 && configuration.rateLimitBurst == 75)
        #expect(configuration.trustProxy == ProxyHops(1))
        #expect(configuration.manifestMergeMinCount == 20 && configuration.metadataPreviousVersionsMax == 7)
        #expect(configuration.catalogURI == "https://catalog.example/acct/bucket")
        #expect(configuration.catalogWarehouse == "acct_bucket" && configuration.catalogToken == "t")
        let rest = try #require(try configuration.restCatalogConfiguration())
        #expect(rest.timeouts.request == .seconds(4) && rest.timeouts.mutation == .seconds(9))
        #expect(configuration.s3Endpoint == "http://127.0.0.1:9000" && configuration.s3Region == "us-east-1")
        #expect(configuration.s3PathStyle == true)
        #expect(configuration.s3AccessKeyID == "id" && configuration.s3SecretAccessKey == "secret")
    }

    @Test("a settings flag without its value is an error that names it, not an unknown option")
    func valuelessFlag() throws {
        var configuration = FloeConfiguration()
        let error = try #require(throws: ConfigurationError.self) { try configuration.apply(flags: ["serve", "--port"]) }
        #expect(error.message == "--port needs a value")
        #expect(FloeConfiguration.argumentsWithoutSettingFlags(["serve", "--port"]) == ["serve"])
    }

    @Test("comments at the end of a line and /* */ comments are skipped, not inside strings")
    func comments() throws {
        let configuration = try load(file: """
            {
              "port": 9001, // the port
              /* where the data
                 lives */ "data_dir": "/srv/floe",
              "instance_id": "a//b /* not a comment */"
            }
            """)
        #expect(configuration.port == 9001 && configuration.dataDirectory == "/srv/floe")
        #expect(configuration.instanceId == "a//b /* not a comment */")
        #expect(try load(environment: ["ICEBERG_NAMESPACE": "prod.events"]).namespace == "prod.events")
    }

    @Test("the environment wins over the file; what it leaves unset keeps the file's value; keys add up")
    func precedence() throws {
        let file = """
            {
              "port": 9000,
              "namespace": "from_file",
              "buffer": {"size": 100, "durability": "os"},
              "auth": {"enabled": true, "keys": ["file-key", "shared-key"]},
              "allowed_origins": ["https://file.example"],
              "log_level": "debug"
            }
            """
        let layered = try load(file: file, environment: [
            "FLOE_PORT": "9100", "AUTH_TOKEN": "env-key", "ALLOWED_ORIGINS": "https://env.example",
            "FLOE_DURABILITY": "fsync", "FLOE_HOST": "10.0.0.1",
        ])
        #expect(layered.port == 9_100)
        #expect(layered.host == "10.0.0.1")
        #expect(layered.durability == .fsync)
        #expect(layered.namespace == "from_file" && layered.bufferSize == 100 && layered.logLevel == "debug")
        #expect(layered.authEnabled)
        #expect(layered.authKeys == ["file-key", "shared-key", "env-key"])
        #expect(layered.allowedOrigins == ["https://env.example"])

        // AUTH_TOKEN naming a key the file has already is not added twice.
        let shared = try load(file: file, environment: ["AUTH_TOKEN": "shared-key"])
        #expect(shared.authKeys == ["file-key", "shared-key"])

        // AUTH_TOKEN is one key, taken whole (a comma is part of it).
        let whole = try load(file: file, environment: ["AUTH_TOKEN": "k2,k3"])
        #expect(whole.authKeys == ["file-key", "shared-key", "k2,k3"])

        // Without environment the file's values stand; without the file the defaults do.
        let fileOnly = try load(file: file)
        #expect(fileOnly.port == 9_000 && fileOnly.durability == .os && fileOnly.allowedOrigins == ["https://file.example"])
        let environmentOnly = try load(environment: ["FLOE_PORT": "9100"])
        #expect(environmentOnly.port == 9_100 && environmentOnly.namespace == "analytics")
    }

    @Test("a value that cannot be read is refused when applied, naming the value", arguments: [
        ("FLOE_PORT", "eighty"), ("ICEBERG_BUFFER_SIZE", "1e3"), ("FLOE_MAX_BATCH_BYTES", "10k"),
        ("FLOE_MAX_PARTITION_EVENTS", "many"), ("FLOE_DURABILITY", "sometimes"), ("FLOE_RATE_LIMIT", "fast"),
        ("FLOE_CLIENT_IP", "hide"), ("FLOE_SHUTDOWN_TIMEOUT_MS", "25s"),
    ])
    func unreadableEnvironment(name: String, value: String) throws {
        var configuration = FloeConfiguration()
        let error = try #require(throws: ConfigurationError.self) {
            try configuration.apply(environment: [name: value])
        }
        #expect(error.message.contains(value), "\(error.message)")
        #expect(error.description == error.message)
    }

    @Test("a config file that cannot be read, is not JSON or has a value of the wrong type is refused")
    func unreadableFile() throws {
        var configuration = FloeConfiguration()
        #expect(throws: ConfigurationError.self) {
            try configuration.apply(file: "/nonexistent/floe-\(UUID().uuidString).jsonc")
        }
        for text in [#"{"port": 80"#, #"{"port": "eighty"}"#, #"{"buffer": {"durability": "sometimes"}}"#,
                     #"{"auth": {"keys": "k1"}}"#, #"{"limits": {"strict_batches": "maybe"}}"#] {
            #expect(throws: ConfigurationError.self, "\(text)") {
                _ = try load(file: text)
            }
        }
    }

    @Test("a misspelt key in the config file is refused, naming it; null leaves a setting unset")
    func unknownAndNullKeys() throws {
        let error = try #require(throws: ConfigurationError.self) {
            _ = try load(file: #"{"buffer": {"sise": 10}}"#)
        }
        #expect(error.message.contains("buffer.sise"))
        // A key set twice is refused too, naming it, rather than one of the two taken quietly.
        for text in [#"{"log_format": "json", "log_format": "text"}"#, #"{"buffer": {"size": 10, "size": 20}}"#] {
            let repeated = try #require(throws: ConfigurationError.self, "\(text)") { _ = try load(file: text) }
            #expect(repeated.message.contains("is set twice"), "\(repeated.message)")
        }
        // The same name at two levels is two keys.
        #expect(try load(file: #"{"warehouse": null, "catalog": {"warehouse": "w"}}"#).catalogWarehouse == "w")
        let configuration = try load(file: #"{"auth": {"admin_token": null}, "rate_limit": {"burst": null}, "warehouse": null}"#)
        #expect(configuration.adminToken == nil && configuration.rateLimitBurst == nil && configuration.warehouse == nil)
    }

    struct InvalidCase: Sendable, CustomTestStringConvertible {
        var name: String
        var file: String?
        var environment: [String: String] = [:]
        var testDescription: String { name }
    }

    static let invalidCases: [InvalidCase] = [
        InvalidCase(name: "auth enabled without a key", file: #"{"auth": {"enabled": true}}"#),
        InvalidCase(name: "auth enabled by the environment without a key", environment: ["AUTH_ENABLED": "1"]),
        InvalidCase(name: "auth turned off by one variable and on by another",
                    environment: ["AUTH_ENABLED": "false", "FLOE_AUTH_ENABLED": "true", "AUTH_TOKEN": "k"]),
        InvalidCase(name: "an empty key among the auth keys", file: #"{"auth": {"enabled": true, "keys": ["k1", ""]}}"#),
        InvalidCase(name: "a key of spaces", file: #"{"auth": {"keys": [" "]}}"#),
        InvalidCase(name: "unknown Parquet codec", file: #"{"parquet": {"codec": "lz4"}}"#),
        InvalidCase(name: "port 0", environment: ["FLOE_PORT": "0"]),
        InvalidCase(name: "port above 65535", file: #"{"port": 70000}"#),
        InvalidCase(name: "buffer size 0", environment: ["ICEBERG_BUFFER_SIZE": "0"]),
        InvalidCase(name: "buffer timeout 0", environment: ["ICEBERG_BUFFER_TIMEOUT_MS": "0"]),
        // Durations past ten years overflowed when converted to microseconds, and crashed the server.
        InvalidCase(name: "buffer timeout of Int.max ms", environment: ["ICEBERG_BUFFER_TIMEOUT_MS": "9223372036854775807"]),
        InvalidCase(name: "max future of 1e16 ms", environment: ["FLOE_MAX_FUTURE_MS": "10000000000000000"]),
        InvalidCase(name: "dedup window of 1e13 s", environment: ["FLOE_DEDUP_WINDOW_SECONDS": "10000000000000"]),
        InvalidCase(name: "group commit of Int.max µs", file: #"{"buffer": {"group_commit_us": 9223372036854775807}}"#),
        InvalidCase(name: "partition cap below the buffer size",
                    environment: ["ICEBERG_BUFFER_SIZE": "100", "FLOE_MAX_PARTITION_EVENTS": "50"]),
        InvalidCase(name: "drain delay not below the shutdown timeout",
                    environment: ["FLOE_DRAIN_DELAY_MS": "5000", "FLOE_SHUTDOWN_TIMEOUT_MS": "5000"]),
        InvalidCase(name: "shutdown timeout 0", file: #"{"shutdown_timeout_ms": 0, "drain_delay_ms": 0}"#),
        InvalidCase(name: "negative backlog limit", environment: ["FLOE_MAX_BACKLOG_EVENTS": "-1"]),
        InvalidCase(name: "dedup window 0", environment: ["FLOE_DEDUP_WINDOW_SECONDS": "0"]),
        InvalidCase(name: "no dedup keys", environment: ["FLOE_MAX_DEDUP_KEYS": "0"]),
        InvalidCase(name: "no event loop thread", environment: ["FLOE_EVENT_LOOP_THREADS": "0"]),
        // Each thread holds an epoll and an eventfd: hundreds ran out of descriptors and crashed NIO.
        InvalidCase(name: "400 event loop threads", environment: ["FLOE_EVENT_LOOP_THREADS": "400"]),
        InvalidCase(name: "namespace with an empty level", environment: ["ICEBERG_NAMESPACE": "a..b"]),
        InvalidCase(name: "namespace with a slash", environment: ["ICEBERG_NAMESPACE": "a/b"]),
        InvalidCase(name: "namespace of a space", file: #"{"namespace": " "}"#),
        InvalidCase(name: "an unclosed block comment", file: "{ /* port\n \"port\": 1 }"),
        InvalidCase(name: "unknown log format", environment: ["FLOE_LOG_FORMAT": "xml"]),
        InvalidCase(name: "warehouse with another scheme", environment: ["FLOE_WAREHOUSE": "ftp://host/warehouse"]),
        InvalidCase(name: "s3 warehouse without a bucket", environment: ["FLOE_WAREHOUSE": "s3://", "AWS_ACCESS_KEY_ID": "a",
                                                                         "AWS_SECRET_ACCESS_KEY": "b"]),
        InvalidCase(name: "s3 warehouse without credentials", environment: ["FLOE_WAREHOUSE": "s3://bucket/lake"]),
        InvalidCase(name: "S3 endpoint with a path", environment: ["AWS_ENDPOINT_URL_S3": "http://localhost:9000/s3/"]),
        InvalidCase(name: "S3 endpoint without a scheme", environment: ["AWS_ENDPOINT_URL_S3": "localhost:9000"]),
        InvalidCase(name: "file:// warehouse with a relative path (a host)", environment: ["FLOE_WAREHOUSE": "file://warehouse"]),
        InvalidCase(name: "file: warehouse without slashes", environment: ["FLOE_WAREHOUSE": "file:warehouse"]),
        InvalidCase(name: "catalog URI that is not http(s)", file: #"{"catalog": {"uri": "thrift://metastore:9083"}}"#),
        InvalidCase(name: "catalog commit timeout 0", environment: ["FLOE_CATALOG_COMMIT_TIMEOUT_MS": "0"]),
        InvalidCase(name: "catalog read timeout of Int.max ms", file: #"{"catalog": {"request_timeout_ms": 9223372036854775807}}"#),
        InvalidCase(name: "timestamp floor that is not RFC 3339", environment: ["FLOE_TIMESTAMP_FLOOR": "last year"]),
        InvalidCase(name: "negative max future", environment: ["FLOE_MAX_FUTURE_MS": "-1"]),
        InvalidCase(name: "privacy hash without a salt", environment: ["FLOE_PRIVACY_HASH": "traits.email"]),
        InvalidCase(name: "privacy path outside properties, traits and context", environment: ["FLOE_PRIVACY_DROP": "email"]),
        InvalidCase(name: "negative rate limit", environment: ["FLOE_RATE_LIMIT": "-1"]),
    ]

    @Test("one setting out of range makes the configuration invalid", arguments: invalidCases)
    func invalid(_ invalid: InvalidCase) throws {
        let error = try #require(throws: ConfigurationError.self) {
            _ = try load(file: invalid.file, environment: invalid.environment)
        }
        #expect(!error.message.isEmpty)
    }
}
