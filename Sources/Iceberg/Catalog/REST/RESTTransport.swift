/// Sends one HTTP request to a REST catalog and returns the whole response: the seam between
/// ``RESTCatalog`` and the network (``HTTPClientRESTTransport`` in production, a scripted fake in tests).
///
/// Implementations do not retry, follow no redirects and never log headers (they carry credentials); they
/// throw ``RESTTransportError`` for failures without an HTTP response.
public protocol RESTTransport: Sendable {
    /// Sends `request`, giving up after `timeout` for the whole exchange.
    func send(_ request: RESTRequest, timeout: Duration) async throws -> RESTResponse
}

/// An HTTP request to a REST catalog, fully formed (absolute URL, headers, body).
public struct RESTRequest: Sendable, Hashable, CustomStringConvertible {
    /// GET, HEAD, POST or DELETE.
    public var method: String
    /// The absolute URL, query included, already percent-encoded.
    public var url: String
    /// Header names as sent; may hold `Authorization`, so ``description`` leaves the values out.
    public var headers: [String: String]
    /// The body; empty for none.
    public var body: [UInt8]

    /// Creates a request.
    public init(method: String, url: String, headers: [String: String] = [:], body: [UInt8] = []) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }

    /// The value of a header, matching its name case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { $0.key.lowercased() == name.lowercased() }?.value
    }

    public var description: String { "\(method) \(url)" }
}

/// A complete HTTP response from a REST catalog.
public struct RESTResponse: Sendable, Hashable {
    public var status: Int
    /// Header names lower-cased.
    public var headers: [String: String]
    public var body: [UInt8]

    /// Creates a response.
    public init(status: Int, headers: [String: String] = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { _, last in last })
        self.body = body
    }
}

/// A failure to get any HTTP response, saying whether the request may have reached the server.
public struct RESTTransportError: Error, Sendable, Hashable, CustomStringConvertible {
    /// How the exchange failed.
    public enum Kind: Sendable, Hashable {
        /// No connection could be made (refused, unreachable, connect timeout): the server never saw the request.
        case notSent
        /// The connection failed or timed out after the request may have been sent.
        case maybeSent
    }

    public var kind: Kind
    /// A fixed phrase plus the underlying error's description (never headers or bodies).
    public var message: String

    /// Creates an error.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { "RESTTransportError.\(kind == .notSent ? "notSent" : "maybeSent"): \(message)" }
}
