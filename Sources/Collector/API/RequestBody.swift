import Foundation
import Hummingbird
import NIOCore

/// Reading a request body with a size limit and a content-type check.
enum RequestBody {
    /// Media types accepted as JSON bodies (parameters such as `charset` are ignored).
    static let jsonTypes: Set<String> = [
        "application/json", "text/plain", "application/cloudevents+json", "application/cloudevents-batch+json",
    ]

    /// The body's bytes, at most `limit`.
    ///
    /// - throws: ``APIError`` 415 for a non-JSON content type, 413 past the limit.
    static func json(_ request: Request, limit: Int) async throws -> [UInt8] {
        if let contentType = request.headers[.contentType] {
            let mediaType = contentType.split(separator: ";").first.map {
                $0.trimmingCharacters(in: .whitespaces).lowercased()
            } ?? ""
            guard jsonTypes.contains(mediaType) || mediaType.hasSuffix("+json") else {
                throw APIError.unsupportedMediaType(contentType)
            }
        }
        if let encoding = request.headers[.contentEncoding]?.lowercased(), encoding != "identity" {
            throw APIError(status: .unsupportedMediaType, message: "unsupported content encoding '\(encoding)'")
        }
        do {
            let buffer = try await request.body.collect(upTo: limit)
            return Array(buffer.readableBytesView)
        } catch is NIOTooManyBytesError {
            throw APIError.payloadTooLarge(limit: limit)
        }
    }
}
