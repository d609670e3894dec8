public import AsyncHTTPClient
public import NIOCore

extension HTTPClient {
    /// How long ``iceberg`` tries to connect (retrying refused connections with backoff) before a request fails.
    public static let connectTimeout: TimeAmount = .seconds(5)

    /// The client catalog and storage calls go through: `HTTPClient.shared`'s settings, but it follows no
    /// redirects and leaves bodies as they were sent.
    ///
    /// - A followed redirect turns a `POST` into a `GET` (301, 302, 303): a commit redirected to the table's
    ///   URL would come back 200 with the table, unchanged, and read as committed. A 3xx is an answer of its own
    ///   here, which the catalog client reports as an error.
    /// - Transparent decompression would hand back an S3 object stored with `Content-Encoding: gzip` inflated,
    ///   not the bytes stored (a backfill input `x.ndjson.gz` would no longer be gzip).
    ///
    /// - A connection that cannot be made fails the request within ``connectTimeout`` (the shared client's 90 s
    ///   would leave a refused connection to wait out the whole request timeout); the callers retry with backoff.
    ///
    /// Like `HTTPClient.shared` it lives as long as the process, and is never shut down.
    public static let iceberg: HTTPClient = {
        var configuration = HTTPClient.Configuration.singletonConfiguration
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        configuration.timeout.connect = connectTimeout
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()
}
