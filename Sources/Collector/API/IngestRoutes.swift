import Foundation
import Hummingbird
import FloeSupport

/// Segment/RudderStack (`/v1/*`) and CloudEvents (`/events`) ingestion routes.
struct IngestRoutes: Sendable {
    let ingestor: Ingestor
    let limits: RequestLimits
    let authenticator: Authenticator
    let rateLimiter: RateLimiter?
    /// Trusted proxies that append to `X-Forwarded-For` (``ClientAddress``).
    let proxyHops: Int
    /// Event times out of range are replaced by the receipt time (nil: off).
    let timestampPolicy: TimestampPolicy?
    /// Removed or pseudonymized members and the client-address rule (nil: none).
    let privacy: PrivacyRules?

    func register(on router: Router<FloeRequestContext>) {
        router.post("/v1/batch") { request, context in try await batch(request, context) }
        router.post("/v1/import") { request, context in try await batch(request, context) }
        // Where Segment's mobile SDKs (analytics-swift, analytics-kotlin) and analytics.js's batching delivery post.
        router.post("/v1/b") { request, context in try await batch(request, context) }
        // RudderStack's JavaScript SDK with `useBeacon`: `navigator.sendBeacon` cannot set headers, so the
        // writeKey comes in the query string, checked as a body's writeKey would be.
        router.post("/beacon/v1/batch") { request, context in
            try await batch(request, context, writeKey: request.uri.queryParameters.get("writeKey"))
        }
        // One constant route per message type and short form: a parameter route costs the router a
        // dictionary of captures per request (Benchmarks/README.md, session 14).
        for type in SegmentNormalizer.MessageType.allCases {
            for path in type.paths {
                router.post("/v1/\(path)") { request, context in try await message(type, request, context) }
            }
        }
        router.post("/v1/:type") { _, context -> Response in
            throw APIError(status: .notFound, message: "unknown endpoint /v1/\(context.parameters.get("type") ?? "")")
        }
        router.post("/events") { request, context -> Response in
            let gate = try admit(request, context, bodyMayHoldKey: false)
            // The CloudEvents HTTP binding decides by the media type first: `application/cloudevents...` is
            // structured (or batched) mode, whatever `ce-` headers a proxy added; otherwise `ce-specversion` is binary.
            let contentType = request.headers.value(.contentType)?.lowercased() ?? ""
            if !contentType.hasPrefix("application/cloudevents"), request.headers.value(named: "ce-specversion") != nil {
                return try await binary(request, context, gate)
            }
            let isBatch = contentType.hasPrefix("application/cloudevents-batch+json")
            let body = try await RequestBody.json(request, limit: isBatch ? limits.maxBatchBytes : limits.maxEventBytes,
                                                connection: context.channel)
            let outcome = try await ingestor.cloudEvents(body, request: ingestContext(request, gate), batch: isBatch,
                                                         authorize: gate.authorize)
            return accepted(outcome)
        }
        router.post("/events/batch") { request, context -> Response in
            let gate = try admit(request, context, bodyMayHoldKey: false)
            let body = try await RequestBody.json(request, limit: limits.maxBatchBytes, connection: context.channel)
            let outcome = try await ingestor.cloudEvents(body, request: ingestContext(request, gate), batch: true,
                                                         authorize: gate.authorize)
            return accepted(outcome)
        }
    }

    private func message(_ type: SegmentNormalizer.MessageType, _ request: Request,
                         _ context: FloeRequestContext) async throws -> Response {
        let gate = try admit(request, context)
        let body = try await RequestBody.json(request, limit: limits.maxEventBytes, connection: context.channel)
        let outcome = try await ingestor.segmentMessage(body, type: type, request: ingestContext(request, gate),
                                                        authorize: gate.authorize)
        return accepted(outcome)
    }

    /// A Segment batch; `writeKey` (from the URL) stands in for a body without one.
    private func batch(_ request: Request, _ context: FloeRequestContext, writeKey: String? = nil) async throws -> Response {
        let gate = try admit(request, context)
        let body = try await RequestBody.json(request, limit: limits.maxBatchBytes, connection: context.channel)
        let outcome = try await ingestor.segmentBatch(body, request: ingestContext(request, gate)) { bodyWriteKey in
            try gate.authorize(bodyWriteKey ?? writeKey)
        }
        return accepted(outcome)
    }

    private func binary(_ request: Request, _ context: FloeRequestContext, _ gate: Gate) async throws -> Response {
        let body = try await RequestBody.raw(request, limit: limits.maxEventBytes, connection: context.channel)
        let headers = request.headers.map { (name: $0.name.canonicalName, value: $0.value) }
        let outcome = try await ingestor.binaryCloudEvent(headers: headers,
                                                          contentType: request.headers.value(.contentType),
                                                          body: body, request: ingestContext(request, gate),
                                                          authorize: gate.authorize)
        return accepted(outcome)
    }

    /// Header credentials and the rate limit, checked before the body is read; a `writeKey` in
    /// the body is checked (and rate-limited) by ``authorize(_:)`` once the body is parsed.
    private struct Gate: Sendable {
        let authenticator: Authenticator
        let header: Authenticator.HeaderCredential
        let rateLimiter: RateLimiter?
        /// The key in the headers, whether or not auth checks it.
        let presented: String?
        /// The client's address (``ClientAddress``), resolved once for the rate limit and the events.
        let clientIP: String?

        /// Checks the request's key and returns its source id: of the checked key, or with auth off
        /// of whatever key or writeKey was sent (SDKs send their writeKey either way); nil without one.
        func authorize(_ bodyWriteKey: String?) throws -> String? {
            let key = try authenticator.authorizeIngest(header, bodyWriteKey: bodyWriteKey)
            if header == .none, let key { try rateLimiter?.check("key:" + key) }
            return (key ?? presented ?? bodyWriteKey).map(Authenticator.sourceId(for:))
        }
    }

    /// What is checked before the body is read: header credentials (401), the rate limit (429),
    /// the flush backlog (503). A request whose body cannot hold a key (CloudEvents) needs one in the headers
    /// when auth is on: without one it is refused before its body is read.
    private func admit(_ request: Request, _ context: FloeRequestContext, bodyMayHoldKey: Bool = true) throws -> Gate {
        let header = authenticator.headerCredential(request)
        let address = ClientAddress.resolve(headers: request.headers, peer: context.clientIP, proxyHops: proxyHops)
        switch header {
        case .invalid where authenticator.enabled:
            throw APIError(status: .unauthorized, message: "invalid credentials")
        case .valid(let key):
            try rateLimiter?.check("key:" + key)
        default:
            if !authenticator.enabled, let rateLimiter {
                try rateLimiter.check("ip:" + (address ?? "unknown"))
            }
        }
        let presented = Authenticator.presentedToken(request).flatMap { $0 }
        let gate = Gate(authenticator: authenticator, header: header, rateLimiter: rateLimiter, presented: presented,
                        clientIP: address)
        if !bodyMayHoldKey { _ = try gate.authorize(nil) }
        try ingestor.admit()
        return gate
    }

    /// `{"success":true,"count":N,"duplicates":D,"accepted":N,"rejected":R}`, plus `errors` (one entry
    /// per rejected event: its index and reasons, for the first ``listedRejections``; `errors_omitted` counts
    /// the rest) when events were rejected (openapi.yaml `Accepted`).
    ///
    /// Written straight into the response's buffer: string concatenation was 1.5 % of the server's
    /// CPU under `/v1/track` load (Benchmarks/README.md, session 14).
    /// Rejected events an answer lists: enough to show a client what is wrong, while a batch of 100,000 empty
    /// objects (500 KB) does not get 15 MB of reasons back. Every one is in the `rejected` table.
    static let listedRejections = APIError.listedErrors

    private func accepted(_ outcome: Ingestor.Outcome) -> Response {
        var body = ByteBuffer()
        body.reserveCapacity(outcome.rejected.isEmpty ? 96 : 256)
        body.writeStaticString("{\"success\":true,\"count\":")
        body.writeString(String(outcome.accepted))
        body.writeStaticString(",\"duplicates\":")
        body.writeString(String(outcome.duplicates))
        body.writeStaticString(",\"accepted\":")
        body.writeString(String(outcome.accepted))
        body.writeStaticString(",\"rejected\":")
        body.writeString(String(outcome.rejected.count))
        if !outcome.rejected.isEmpty {
            body.writeString(",\"errors\":[" + outcome.rejected.prefix(Self.listedRejections).map { event in
                let reasons = event.reasons.map(JSONString.quoted).joined(separator: ",")
                return "{\"index\":\(event.index ?? 0),\"reasons\":[\(reasons)]}"
            }.joined(separator: ",") + "]")
            if outcome.rejected.count > Self.listedRejections {
                body.writeString(",\"errors_omitted\":\(outcome.rejected.count - Self.listedRejections)")
            }
        }
        body.writeStaticString("}")
        return JSONResponse.ok(body)
    }

    private func ingestContext(_ request: Request, _ gate: Gate) -> IngestContext {
        IngestContext(receivedAt: WallClock.nowMicros(), clientIP: gate.clientIP,
                      cloudflare: CloudflareInfo(headers: request.headers, httpVersion: "HTTP/1.1"),
                      route: request.uri.path, requestId: Self.requestId(request), timestampPolicy: timestampPolicy,
                      privacy: privacy)
    }

    /// The client's `X-Request-Id` when it is short printable ASCII (nil: ``Ingestor`` makes one up,
    /// off the hot path, only when the request has rejected events to record).
    static func requestId(_ request: Request) -> String? {
        guard let sent = request.headers.value(named: "X-Request-Id"), (1...128).contains(sent.utf8.count),
              sent.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else { return nil }
        return sent
    }
}

/// Body size limits, in bytes.
struct RequestLimits: Sendable {
    /// `/v1/batch`, `/v1/import`, `/events/batch`, decompressed. Default 500 KB, as Segment's API.
    var maxBatchBytes = 500 * 1024
    /// Single-event endpoints. Default 32 KiB.
    var maxEventBytes = 32 << 10
}
