public import AsyncHTTPClient
import Crypto
import Foundation
public import Logging

/// A ``FileIO`` on Amazon S3 and S3-compatible stores (Cloudflare R2, MinIO), for `s3://bucket/key` locations.
///
/// Requests are signed with AWS Signature Version 4 (the payload's SHA-256 included unless
/// ``S3Configuration/signsPayload`` is off), retried with jittered exponential backoff on 5xx, throttling,
/// timeouts and dropped connections, and objects of at least ``S3Configuration/Multipart/threshold`` bytes are
/// uploaded in parts. Every operation may run concurrently from any task; the FileIO itself holds no mutable
/// state besides the shared ``S3CredentialStore``.
///
/// ```swift
/// let configuration = S3Configuration(endpoint: "http://127.0.0.1:9000", region: "us-east-1", pathStyle: true,
///                                     credentials: S3CredentialStore(credentials))
/// let io = try S3FileIO(configuration: configuration, httpClient: .iceberg, logger: logger)
/// try await io.write(bytes, to: "s3://lake/events/data/00000-0.parquet")
/// ```
///
/// Errors are ``FileIOError``s whose `context` names the bucket, key, operation, HTTP status and S3 error code:
/// `notFound` for a missing key, `io` for everything else (a missing bucket, a refused signature, …), with
/// `isRetryable` set for server errors and throttling that outlasted the retries.
public struct S3FileIO: FileIO {
    /// The settings of an ``S3FileIO``.
    public typealias Configuration = S3Configuration

    /// The settings this FileIO was created with.
    public let configuration: S3Configuration
    let httpClient: HTTPClient
    let logger: Logger
    let endpoint: S3Endpoint

    /// Creates a FileIO that sends its requests through `httpClient`, which the caller owns and shuts down.
    ///
    /// - Throws: ``FileIOError`` `invalidLocation` when the configured endpoint is not `http(s)://host[:port]`.
    public init(configuration: S3Configuration, httpClient: HTTPClient, logger: Logger) throws {
        self.configuration = configuration
        self.httpClient = httpClient
        self.logger = logger
        endpoint = try S3Endpoint(configuration: configuration)
    }

    public func write(_ bytes: [UInt8], to location: String) async throws {
        try await write(bytes, to: location, ifAbsent: false)
    }

    /// Stores `bytes` at `location`; with `ifAbsent`, only when no object is there yet (`If-None-Match: *`).
    ///
    /// Objects of at least ``S3Configuration/Multipart/threshold`` bytes go up in parts; a failed multipart upload
    /// is aborted. When a conditional write was retried after a lost response and S3 then answers 412, the stored
    /// object's ETag is compared with the bytes' MD5, so our own earlier attempt does not count as a conflict.
    ///
    /// - Throws: ``FileIOError`` `io` with `s3.code` `PreconditionFailed` (HTTP 412) when `ifAbsent` and an object
    ///   exists; other ``FileIOError``s as described on ``S3FileIO``.
    public func write(_ bytes: [UInt8], to location: String, ifAbsent: Bool) async throws {
        let location = try S3Location(location)
        if bytes.count >= configuration.multipart.threshold {
            try await uploadMultipart(bytes, to: location, ifAbsent: ifAbsent)
            return
        }
        var request = S3Request(method: .PUT, location: location, body: bytes[...], operation: "PutObject")
        if ifAbsent { request.headers.append(("if-none-match", "*")) }
        let response = try await send(request)
        if response.isSuccess { return }
        if ifAbsent, response.status == 412, response.attempts > 1,
           try await head(location.description)?.eTag == Self.md5ETag(bytes) {
            return
        }
        throw error(for: response, of: request)
    }

    public func read(_ location: String) async throws -> [UInt8] {
        let location = try S3Location(location)
        let request = S3Request(method: .GET, location: location, operation: "GetObject")
        let response = try await send(request)
        guard response.status == 200 else { throw error(for: response, of: request) }
        return response.body
    }

    /// The bytes of `range` (offsets in bytes) of the object at `location`, via a `Range` request, with the
    /// object's whole size and ETag; `ifMatch` (an ETag an earlier chunk gave) makes S3 refuse the read when
    /// the object has changed since. A server that ignores `Range` answers with the whole object
    /// (``ObjectChunk/isWhole``).
    ///
    /// - Throws: ``FileIOError`` `notFound` when there is no object; `io` when the range starts at or after the end
    ///   of a non-empty object (HTTP 416) or the object no longer has the ETag `ifMatch` (HTTP 412).
    public func read(_ location: String, range: Range<Int>, ifMatch: String? = nil) async throws -> ObjectChunk {
        let location = try S3Location(location)
        guard !range.isEmpty else { return ObjectChunk(bytes: [], objectSize: nil, eTag: nil, isWhole: false) }
        var headers = [("range", "bytes=\(range.lowerBound)-\(range.upperBound - 1)")]
        if let ifMatch { headers.append(("if-match", ifMatch)) }
        let request = S3Request(method: .GET, location: location, headers: headers, operation: "GetObject")
        let response = try await send(request)
        let eTag = response.headers.first(name: "etag")
        switch response.status {
        case 206:
            // Content-Range: bytes {first}-{last}/{size}
            let size = response.headers.first(name: "content-range")?.split(separator: "/").last.flatMap { Int64($0) }
            return ObjectChunk(bytes: response.body, objectSize: size, eTag: eTag, isWhole: false)
        case 200:
            return ObjectChunk(bytes: response.body, objectSize: Int64(response.body.count), eTag: eTag, isWhole: true)
        default: throw error(for: response, of: request)
        }
    }

    public func exists(_ location: String) async throws -> Bool {
        try await head(location) != nil
    }

    /// The size and ETag of the object at `location`, or nil when there is none (`HeadObject`).
    public func head(_ location: String) async throws -> S3ObjectInfo? {
        let location = try S3Location(location)
        let request = S3Request(method: .HEAD, location: location, operation: "HeadObject")
        let response = try await send(request)
        if response.status == 404 { return nil }
        guard response.status == 200 else { throw error(for: response, of: request) }
        return S3ObjectInfo(size: response.headers.first(name: "content-length").flatMap(Int.init) ?? 0,
                            eTag: response.headers.first(name: "etag"),
                            lastModified: response.headers.first(name: "last-modified"))
    }

    public func delete(_ location: String) async throws {
        let location = try S3Location(location)
        let request = S3Request(method: .DELETE, location: location, operation: "DeleteObject")
        let response = try await send(request)
        guard response.isSuccess || response.status == 404 else { throw error(for: response, of: request) }
    }

    public func list(prefix: String) async throws -> [String] {
        let prefix = try S3Location(prefix)
        return try await listKeys(in: prefix).map {
            S3Location(scheme: prefix.scheme, bucket: prefix.bucket, key: $0).description
        }.sorted()
    }

    /// Every object under `prefix` with its size and last-modified time (ListObjectsV2 `Size`, `LastModified`).
    public func listFiles(prefix: String) async throws -> [StoredFile] {
        let prefix = try S3Location(prefix)
        return try await listObjects(in: prefix).map {
            StoredFile(location: S3Location(scheme: prefix.scheme, bucket: prefix.bucket, key: $0.key).description,
                       size: $0.size, lastModified: $0.modified)
        }.sorted { $0.location < $1.location }
    }

    /// `"<hex MD5>"`: the ETag S3 gives an object stored by one PUT without KMS encryption.
    static func md5ETag(_ bytes: some DataProtocol) -> String {
        "\"" + SigV4Signer.hex(Insecure.MD5.hash(data: bytes)) + "\""
    }
}
