import Foundation
import Hummingbird
import NIOCore

/// Reading a request body with a size limit and a content-type check.
enum RequestBody {
    /// Media types accepted as JSON bodies (parameters such as `charset` are ignored), and any `+json` type.
    static let jsonTypes: [StaticString] = [
        "application/json", "text/plain", "application/cloudevents+json", "application/cloudevents-batch+json",
    ]

    /// The body's bytes, at most `limit`.
    ///
    /// - throws: ``APIError`` 415 for a non-JSON content type, 413 past the limit.
    static func json(_ request: Request, limit: Int, connection: (any Channel)? = nil) async throws -> [UInt8] {
        try checkJSONContentType(request)
        return try await raw(request, limit: limit, connection: connection)
    }

    static func checkJSONContentType(_ request: Request) throws {
        guard let contentType = request.headers.value(.contentType) else { return }
        guard isJSON(contentType) else { throw APIError.unsupportedMediaType(contentType) }
    }

    /// Whether a Content-Type value names a JSON media type: its type without parameters, blanks
    /// and case, compared byte by byte (no string is built for it on every request).
    static func isJSON(_ contentType: String) -> Bool {
        var media = InlineArray<48, UInt8>(repeating: 0)
        var count = 0
        for byte in contentType.utf8 {
            if byte == UInt8(ascii: ";") { break }
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") { continue }
            guard count < media.count else { return isJSON(mediaType: mediaType(contentType)) }
            media[count] = byte >= 65 && byte <= 90 ? byte + 32 : byte
            count += 1
        }
        func equals(_ text: StaticString, suffix: Bool = false) -> Bool {
            let length = text.utf8CodeUnitCount
            guard suffix ? count >= length : count == length else { return false }
            let start = count - length
            for offset in 0..<length where media[start + offset] != text.utf8Start[offset] { return false }
            return true
        }
        return jsonTypes.contains { equals($0) } || equals("+json", suffix: true)
    }

    /// ``isJSON(_:)`` for a media type too long to compare in place.
    private static func isJSON(mediaType: String) -> Bool {
        jsonTypes.contains { mediaType == $0.description } || mediaType.hasSuffix("+json")
    }

    /// The lowercased media type of a Content-Type value, without parameters (ASCII only, no Foundation).
    static func mediaType(_ contentType: String) -> String {
        var bytes: [UInt8] = []
        for byte in contentType.utf8 {
            if byte == UInt8(ascii: ";") { break }
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") { continue }
            bytes.append(byte >= 65 && byte <= 90 ? byte + 32 : byte)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Bytes of an oversized body read and thrown away before the 413, so that a client that sends
    /// its whole body before reading (no `Expect: 100-continue`, Python's `urllib`) gets the answer.
    /// Past this the connection is closed instead: the client sees a reset, never a hang.
    static let drainLimit = 64 << 20

    /// The body's bytes of any content type, inflated if `Content-Encoding` says so, at most `limit`.
    ///
    /// A body over `limit` is read to its end (up to ``drainLimit`` more bytes, then `connection`
    /// is closed) and answered 413.
    static func raw(_ request: Request, limit: Int, connection: (any Channel)? = nil) async throws -> [UInt8] {
        var encoding: BodyDecompressor.Encoding?
        if let value = request.headers.value(.contentEncoding)?.trimmingCharacters(in: .whitespaces).lowercased(), value != "identity" {
            switch value {
            case "gzip", "x-gzip": encoding = .gzip
            case "deflate": encoding = .deflate
            default: throw APIError(status: .unsupportedMediaType, message: "unsupported content encoding '\(value)'; use gzip or deflate")
            }
        }
        var raw: [UInt8] = []
        // Room for the whole body at once, when its length is known and allowed.
        if let length = request.headers.value(.contentLength).flatMap({ Int($0) }), length > 0, length <= limit {
            raw.reserveCapacity(length)
        }
        do {
            // A compressed body cannot be larger than its inflated form is allowed to be.
            var total = 0
            for try await part in request.body {
                total += part.readableBytes
                if total <= limit {
                    part.withUnsafeReadableBytes { raw.append(contentsOf: $0) }
                } else if total - limit > drainLimit {
                    connection?.close(promise: nil)
                    break
                }
            }
            if total > limit { throw APIError.payloadTooLarge(limit: limit) }
        } catch let error as APIError {
            throw error
        } catch {
            // Broken framing (bad chunk sizes, a body cut short): the client's request is malformed.
            throw APIError.badRequest("the request body could not be read: malformed or truncated HTTP body")
        }
        guard let encoding else { return raw }
        do {
            return try BodyDecompressor.inflate(raw, encoding: encoding, limit: limit)
        } catch .tooLarge {
            throw APIError(status: .contentTooLarge, message: "decompressed body is larger than the limit of \(limit) bytes")
        } catch .corrupt(let reason) {
            throw APIError.badRequest("body is not valid \(encoding == .gzip ? "gzip" : "deflate") data: \(reason)")
        }
    }
}
