public import AsyncHTTPClient

extension HTTPClient {
    /// The client catalog and storage calls go through: `HTTPClient.shared`'s settings, but it follows no
    /// redirects and leaves bodies as they were sent.
    ///
    /// - A followed redirect turns a `POST` into a `GET` (301, 302, 303): a commit redirected to the table's
    ///   URL would come back 200 with the table, unchanged, and read as committed. A 3xx is an answer of its own
    ///   here, which the catalog client reports as an error.
    /// - Transparent decompression would hand back an S3 object stored with `Content-Encoding: gzip` inflated,
    ///   not the bytes stored (a backfill input `x.ndjson.gz` would no longer be gzip).
    ///
    /// Like `HTTPClient.shared` it lives as long as the process, and is never shut down.
    public static let iceberg: HTTPClient = {
        var configuration = HTTPClient.Configuration.singletonConfiguration
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()
}
