import AsyncHTTPClient
import Logging
import Synchronization

/// The `FileIO` a deployment uses: each location's scheme picks the store.
///
/// `s3://` (and `s3a://`) go to an ``S3FileIO``, everything else (`file://`, plain paths) to
/// ``LocalFileIO``. The S3 side starts from the configured settings (config file or `AWS_*`)
/// and takes over whatever a REST catalog vends for a table (`s3.*` properties) through
/// ``applyVendedConfig(_:)``, so the same code runs against R2 Data Catalog, any S3-compatible
/// store, or a catalog whose warehouse is a local directory.
public final class StorageRouter: FileIO {
    private let local: LocalFileIO
    private let base: S3Configuration?
    private let httpClient: HTTPClient
    private let logger: Logger
    private let s3 = Mutex<(io: S3FileIO?, vended: [String: String])>((nil, [:]))

    /// `s3` is nil when no S3 settings are configured; vended settings can still enable it.
    /// `earlyLocalWriteback`: as ``LocalFileIO/init(startsWritebackEarly:)``.
    public init(s3 base: S3Configuration?, httpClient: HTTPClient = .iceberg, earlyLocalWriteback: Bool = false,
                logger: Logger) {
        local = LocalFileIO(startsWritebackEarly: earlyLocalWriteback)
        self.base = base
        self.httpClient = httpClient
        self.logger = logger
    }

    /// Uses the `s3.*` properties a catalog returned for a table (credentials, endpoint, region).
    public func applyVendedConfig(_ properties: [String: String]) throws {
        let relevant = properties.filter { $0.key.hasPrefix("s3.") || $0.key == "client.region" }
        guard !relevant.isEmpty else { return }
        let unchanged = s3.withLock { $0.vended == relevant }
        if unchanged { return }
        // Without credentials here or configured, requests could only be refused: leave ``store(for:)`` to say so.
        guard base != nil || S3Credentials(catalogProperties: relevant) != nil else { return }
        let credentials = base?.credentials ?? S3CredentialStore(S3Credentials(accessKeyID: "", secretAccessKey: ""))
        let configuration = (base ?? S3Configuration(credentials: credentials)).applying(catalogProperties: relevant)
        let io = try S3FileIO(configuration: configuration, httpClient: httpClient, logger: logger)
        s3.withLock { $0 = (io, relevant) }
        logger.info("using storage settings vended by the catalog", metadata: [
            "floe.keys": "\(relevant.keys.sorted().joined(separator: ","))",
        ])
    }

    /// Whether `location` is an S3 object (`s3://`, `s3a://`).
    private static func isS3(_ location: String) -> Bool {
        location.hasPrefix("s3://") || location.hasPrefix("s3a://")
    }

    private func store(for location: String) throws -> any FileIO {
        guard Self.isS3(location) else { return local }
        if let io = s3.withLock({ $0.io }) { return io }
        guard let base else {
            throw FileIOError(.io, "no S3 settings for an s3:// location: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (and AWS_ENDPOINT_URL_S3 for R2) or the s3 section of the config",
                              context: ["location": location])
        }
        let io = try S3FileIO(configuration: base, httpClient: httpClient, logger: logger)
        s3.withLock { if $0.io == nil { $0.io = io } }
        return s3.withLock { $0.io } ?? io
    }

    public func write(_ bytes: [UInt8], to location: String) async throws {
        try await store(for: location).write(bytes, to: location)
    }

    public func writeUnsynced(_ bytes: [UInt8], to location: String) async throws {
        try await store(for: location).writeUnsynced(bytes, to: location)
    }

    /// Persists each store's share of `locations` (S3 writes are durable already; local files are synced).
    public func persist(_ locations: [String]) async throws {
        let local = locations.filter { !Self.isS3($0) }
        try await self.local.persist(local)
    }

    public func read(_ location: String) async throws -> [UInt8] {
        try await store(for: location).read(location)
    }

    /// The bytes of `range` of the object at `location`, up to its end: a ranged GET on S3
    /// (``S3FileIO/read(_:range:ifMatch:)``); elsewhere the whole object at once (``ObjectChunk/isWhole``).
    public func read(_ location: String, range: Range<Int>, ifMatch: String? = nil) async throws -> ObjectChunk {
        let store = try store(for: location)
        if let s3 = store as? S3FileIO { return try await s3.read(location, range: range, ifMatch: ifMatch) }
        let bytes = try await store.read(location)
        return ObjectChunk(bytes: bytes, objectSize: Int64(bytes.count), eTag: nil, isWhole: true)
    }

    public func exists(_ location: String) async throws -> Bool {
        try await store(for: location).exists(location)
    }

    public func delete(_ location: String) async throws {
        try await store(for: location).delete(location)
    }

    public func restoreLegacyName(of location: String) async throws -> Bool {
        try await store(for: location).restoreLegacyName(of: location)
    }

    public func list(prefix: String) async throws -> [String] {
        try await store(for: prefix).list(prefix: prefix)
    }

    public func listFiles(prefix: String) async throws -> [StoredFile] {
        try await store(for: prefix).listFiles(prefix: prefix)
    }
}
