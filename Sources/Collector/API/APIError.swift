import Buffer
import Foundation
import Hummingbird
import FloeSupport

/// An error answered to an HTTP client in Floe's envelope `{"success":false,"error":..,"errors":[..]}`.
///
/// The one place that maps failures to statuses (docs/design.md §3): validation 400, credentials
/// 401, size 413, media type 415, rate 429, flush backlog / buffer budget 503, partition full / disk
/// full 507.
struct APIError: HTTPResponseError, CustomStringConvertible {
    var status: HTTPResponse.Status
    var message: String
    var errors: [String] = []
    /// Problems beyond the ones `errors` lists (``listedErrors``).
    var errorsOmitted = 0
    var retryAfterSeconds: Int?
    /// Set when the request was refused because Floe is at capacity (counted and logged by ``RefusalLog``).
    var refusal: Refusal?
    /// The methods the path answers, sent as `Allow` with a 405.
    var allow: [HTTPRequest.Method] = []
    /// A probe's answer rather than a failed request (`/health/ready`'s 503): logged at debug, since load balancers
    /// ask several times a second and what makes Floe unready (drain, recovery, failing flushes) is logged as it happens.
    var isProbeAnswer = false

    /// Why a request was refused at capacity; a metric label.
    enum Refusal: String, Sendable, CaseIterable {
        /// The flush backlog is above `buffer.max_backlog_events` (``FlushBacklog``).
        case backlog
        /// One partition holds `buffer.max_partition_events`.
        case partitionFull = "partition_full"
        /// The buffer holds `buffer.max_bytes`.
        case bufferBudget = "buffer_budget"
        /// The data directory's disk is full.
        case diskFull = "disk_full"
        /// The buffer could not be written.
        case bufferUnavailable = "buffer_unavailable"
    }

    static func badRequest(_ message: String, errors: [String] = []) -> APIError {
        APIError(status: .badRequest, message: message, errors: errors)
    }

    static func payloadTooLarge(limit: Int) -> APIError {
        APIError(status: .contentTooLarge, message: "request body is larger than the limit of \(limit) bytes")
    }

    static func unsupportedMediaType(_ type: String) -> APIError {
        APIError(status: .unsupportedMediaType,
                 message: "unsupported content type '\(type)'; send application/json")
    }

    /// Problems an error lists, as an accepted answer lists rejected events (IngestRoutes `listedRejections`):
    /// a strict batch of 100,000 broken events is not answered with megabytes of reasons.
    static let listedErrors = 100

    static func invalid(_ errors: ValidationErrors) -> APIError {
        let count = errors.issues.count
        var error = APIError(status: .badRequest,
                             message: count == 1 ? "validation failed: \(errors.issues[0])" : "validation failed: \(count) errors",
                             errors: errors.issues.prefix(listedErrors).map(\.description))
        error.errorsOmitted = max(0, count - listedErrors)
        return error
    }

    /// Maps a buffer failure; nothing from the request was stored when it is thrown.
    static func buffer(_ error: BufferError) -> APIError {
        switch error.code {
        case .partitionFull:
            return APIError(status: .insufficientStorage507, message: "buffer partition is full: \(error.message)",
                            retryAfterSeconds: 5, refusal: .partitionFull)
        case .diskFull:
            return APIError(status: .insufficientStorage507, message: "buffer disk is full", retryAfterSeconds: 30,
                            refusal: .diskFull)
        case .fileReplaced:
            return APIError(status: .serviceUnavailable, message: "buffer unavailable: \(error.message)",
                            retryAfterSeconds: 30, refusal: .bufferUnavailable)
        case .budgetExceeded:
            return APIError(status: .serviceUnavailable, message: "buffer budget reached: \(error.message)",
                            retryAfterSeconds: 5, refusal: .bufferBudget)
        default:
            return APIError(status: .serviceUnavailable, message: "buffer unavailable (\(error.code.rawValue))",
                            retryAfterSeconds: 1, refusal: .bufferUnavailable)
        }
    }

    var description: String { "\(status.code) \(message)" }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let retryAfterSeconds { headers[.retryAfter] = String(retryAfterSeconds) }
        if !allow.isEmpty { headers[.allow] = allow.map(\.rawValue).joined(separator: ", ") }
        if status == .unauthorized { headers[.wwwAuthenticate] = "Bearer realm=\"floe\", Basic realm=\"floe\"" }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    /// The JSON envelope. `code` and `message` too: RudderStack's and Segment's SDKs read those keys from error bodies.
    var body: String {
        var body = "{\"success\":false,\"error\":\(JSONString.quoted(message)),\"code\":\(status.code),"
            + "\"message\":\(JSONString.quoted(message))"
        if !errors.isEmpty {
            body += ",\"errors\":[" + errors.map(JSONString.quoted).joined(separator: ",") + "]"
        }
        if errorsOmitted > 0 { body += ",\"errors_omitted\":\(errorsOmitted)" }
        return body + "}"
    }
}

/// A JSON response from already-encoded text or an `Encodable` value.
enum JSONResponse {
    /// `Content-Type: application/json`, built once rather than per response.
    private static let headers: HTTPFields = [.contentType: "application/json"]

    static func ok(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        ok(ByteBuffer(string: text), status: status)
    }

    static func ok(_ body: ByteBuffer, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: headers, body: .init(byteBuffer: body))
    }

    static func encode(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(value)
        return ok(ByteBuffer(bytes: data), status: status)
    }
}

extension HTTPResponse.Status {
    /// 507: the buffer cannot take more events (a partition or the disk is full).
    static let insufficientStorage507 = HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage")
}
