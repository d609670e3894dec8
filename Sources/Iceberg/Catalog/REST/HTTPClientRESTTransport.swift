public import AsyncHTTPClient
public import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import FloeSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The production ``RESTTransport``: async-http-client, one request per call, the whole body collected.
///
/// Failures before any byte reached the server (connection refused, connect timeout, no pooled connection in
/// time) become ``RESTTransportError/Kind/notSent``; every other failure is ``RESTTransportError/Kind/maybeSent``.
public struct HTTPClientRESTTransport: RESTTransport {
    /// The largest response body read: 64 MiB (table metadata of very long-lived tables can be large).
    public static let defaultMaxResponseBytes = 64 * 1024 * 1024

    let client: HTTPClient
    let maxResponseBytes: Int

    /// Creates a transport on `client` (default: ``AsyncHTTPClient/HTTPClient/iceberg``, which follows no redirects).
    public init(client: HTTPClient = .iceberg, maxResponseBytes: Int = defaultMaxResponseBytes) {
        self.client = client
        self.maxResponseBytes = maxResponseBytes
    }

    public func send(_ request: RESTRequest, timeout: Duration) async throws -> RESTResponse {
        var outgoing = HTTPClientRequest(url: request.url)
        outgoing.method = HTTPMethod(rawValue: request.method)
        for (name, value) in request.headers { outgoing.headers.add(name: name, value: value) }
        if !request.body.isEmpty { outgoing.body = .bytes(request.body) }
        let nanoseconds = timeout.inNanoseconds
        do {
            let response = try await client.execute(outgoing, timeout: .nanoseconds(nanoseconds))
            let body = try await response.body.collect(upTo: maxResponseBytes)
            var headers: [String: String] = [:]
            for (name, value) in response.headers { headers[name.lowercased()] = value }
            return RESTResponse(status: Int(response.status.code), headers: headers, body: Array(buffer: body))
        } catch let error as CancellationError {
            throw error
        } catch {
            throw RESTTransportError(Self.wasNotSent(error) ? .notSent : .maybeSent, "HTTP exchange failed: \(error)")
        }
    }

    /// Whether `error` proves the request never left this process.
    static func wasNotSent(_ error: any Error) -> Bool {
        if let error = error as? HTTPClientError {
            return error == .connectTimeout || error == .getConnectionFromPoolTimeout
        }
        if error is NIOConnectionError { return true }
        if let error = error as? ChannelError, case .connectTimeout = error { return true }
        if let error = error as? IOError {
            return [ECONNREFUSED, ENETUNREACH, EHOSTUNREACH, EADDRNOTAVAIL].contains(error.errnoCode)
        }
        return false
    }
}

extension RESTCatalog {
    /// Creates a catalog on async-http-client (``AsyncHTTPClient/HTTPClient/iceberg`` unless `client` is given).
    public convenience init(configuration: Configuration, client: HTTPClient = .iceberg, logger: Logger) {
        self.init(configuration: configuration, transport: HTTPClientRESTTransport(client: client), logger: logger)
    }
}
