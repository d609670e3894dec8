import Buffer
import Foundation
import Parquet

/// Every setting of a Floe deployment, with the defaults of the embedded setup.
///
/// Built by layering, lowest first: defaults, the config file (`--config`/`FLOE_CONFIG`),
/// environment variables, then command-line flags (DESIGN.md §9).
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
    public var durability: BufferConfiguration.Durability = .fsync
    /// Events one partition may buffer before requests get 507; default 10,000.
    public var maxPartitionEvents = 10_000
    /// Bytes the buffer may hold before requests get 503; default 1 GiB.
    public var maxBufferedBytes = 1 << 30
    /// Body limits in bytes; defaults 1 MiB per batch request, 32 KiB per single-event request.
    public var maxBatchBytes = 1 << 20
    public var maxEventBytes = 32 << 10
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
    /// Threads accepting and parsing HTTP; default 1 (the other core encodes, parses JSON and
    /// commits; more event-loop threads mostly add context switches on small machines).
    public var eventLoopThreads = 1
    /// Take the client address from `X-Forwarded-For` / `CF-Connecting-IP` (behind a proxy).
    public var trustProxy = false

    public init() {}

    var authenticator: Authenticator {
        Authenticator(enabled: authEnabled, keys: authKeys, adminToken: adminToken)
    }

    var dataDirectoryURL: URL {
        URL(fileURLWithPath: dataDirectory, isDirectory: true).standardizedFileURL
    }

    var bufferPath: String { dataDirectoryURL.appendingPathComponent("buffer.db").path }
    var catalogPath: String { dataDirectoryURL.appendingPathComponent("catalog.db").path }

    /// The warehouse as a `file://` URI with an absolute path.
    func warehouseLocation() throws -> String {
        guard let warehouse, !warehouse.isEmpty else {
            return "file://" + dataDirectoryURL.appendingPathComponent("warehouse").path
        }
        if warehouse.hasPrefix("file://") { return warehouse }
        if warehouse.contains("://") {
            throw ConfigurationError(message: "warehouse '\(warehouse)': only local paths and file:// URIs are supported so far")
        }
        return "file://" + URL(fileURLWithPath: warehouse, isDirectory: true).standardizedFileURL.path
    }

    func compressionCodec() throws -> CompressionCodec {
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
    public var description: String { message }
}
