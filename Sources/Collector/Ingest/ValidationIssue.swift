/// One reason an event was rejected, located by its index in the batch (if any) and field.
package struct ValidationIssue: Sendable, Equatable, CustomStringConvertible {
    var index: Int?
    var field: String?
    var message: String
    /// The field as ``reason`` names it when ``field`` is one the client chose (a binary-mode CloudEvent's
    /// `ce-*` header): reasons are metric labels, so they come from a fixed set (nil: ``field`` itself).
    var fieldKind: String?

    init(index: Int?, field: String?, message: String, fieldKind: String? = nil) {
        self.index = index
        self.field = field
        self.message = message
        self.fieldKind = fieldKind
    }

    /// Why an identifier with a `\u` escape of half a UTF-16 surrogate pair (`\ud83d` alone) is refused.
    static let loneSurrogate = "is not valid Unicode: it holds a lone UTF-16 surrogate escape (\\ud800-\\udfff without its pair)"

    /// The problem without the batch position: a bounded label for metrics and the `rejected` table.
    var reason: String {
        (fieldKind ?? field).map { "\($0): \(message)" } ?? message
    }

    package var description: String {
        let location = [index.map { "batch[\($0)]" }, field].compactMap { $0 }.joined(separator: ".")
        return location.isEmpty ? message : "\(location): \(message)"
    }
}

/// What the server knows about a request that normalization needs.
package struct IngestContext: Sendable {
    /// Server clock at receipt, microseconds since the epoch.
    var receivedAt: Int64
    /// The client address to fill `context.ip` with when the message has none.
    var clientIP: String?
    /// Cloudflare headers for the `cf_*` columns of CloudEvents.
    var cloudflare: CloudflareInfo?
    /// Backfill of recorded events: a message's own `receivedAt` is kept when present, and
    /// `timestamp` is kept as recorded (no clock-skew correction against today's clock).
    var historical: Bool
    /// The route the request came in on (`/v1/batch`), recorded with rejected events.
    var route: String
    /// The request's id (`X-Request-Id` when the client sent a usable one, else made up when a
    /// rejected event is recorded).
    var requestId: String?
    /// Event times out of range are replaced by the receipt time (nil: kept as sent; always nil
    /// in historical mode).
    var timestampPolicy: TimestampPolicy?
    /// Members removed or pseudonymized before a Segment message is stored (nil: none).
    var privacy: PrivacyRules?
    /// Who sent the request (``Authenticator/sourceId(for:)`` of its key or writeKey): the `source_id` column.
    var sourceId: String?

    package init(receivedAt: Int64, clientIP: String?, cloudflare: CloudflareInfo? = nil, historical: Bool = false,
         route: String = "", requestId: String? = nil, timestampPolicy: TimestampPolicy? = nil,
         privacy: PrivacyRules? = nil) {
        self.receivedAt = receivedAt
        self.clientIP = clientIP
        self.cloudflare = cloudflare
        self.historical = historical
        self.route = route
        self.requestId = requestId
        self.timestampPolicy = timestampPolicy
        self.privacy = privacy
    }
}
