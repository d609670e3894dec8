import Crypto
import Foundation
import Hummingbird

/// Checks API keys: `Authorization: Bearer T`, `Basic base64(T:)` (Segment writeKey),
/// `X-API-Key: T`, or `writeKey` in the body; and the admin token for `/debug/*` and `/metrics`.
///
/// Keys are compared in constant time. When auth is disabled every request is allowed.
struct Authenticator: Sendable {
    /// What a request's headers say about its credentials.
    enum HeaderCredential: Equatable {
        case none
        case valid(key: String)
        case invalid
    }

    var enabled: Bool
    var keys: [String]
    /// Required for `/debug/*` and `/metrics` when set; otherwise an ordinary key is enough.
    var adminToken: String?

    static let disabled = Authenticator(enabled: false, keys: [], adminToken: nil)

    /// The credential in the headers, checked against the ingest keys.
    func headerCredential(_ request: Request) -> HeaderCredential {
        guard let presented = Self.presentedToken(request) else { return .none }
        guard let token = presented else { return .invalid }
        return isKey(token) ? .valid(key: token) : .invalid
    }

    /// Decides an ingest request once the body's `writeKey` (if any) is known.
    ///
    /// - throws: ``APIError`` 401 naming what was wrong.
    func authorizeIngest(_ header: HeaderCredential, bodyWriteKey: String?) throws -> String? {
        guard enabled else { return nil }
        switch header {
        case .valid(let key): return key
        case .invalid: throw APIError(status: .unauthorized, message: "invalid credentials")
        case .none:
            guard let bodyWriteKey else {
                throw APIError(status: .unauthorized,
                               message: "missing credentials: send Authorization: Bearer <key>, Basic <writeKey>, X-API-Key or writeKey")
            }
            guard isKey(bodyWriteKey) else { throw APIError(status: .unauthorized, message: "invalid writeKey") }
            return bodyWriteKey
        }
    }

    /// Admin endpoints: the admin token if configured, else any ingest key; open when auth is off.
    func authorizeAdmin(_ request: Request) throws {
        guard enabled || adminToken != nil else { return }
        guard let presented = Self.presentedToken(request) else {
            throw APIError(status: .unauthorized, message: "missing admin credentials")
        }
        guard let token = presented else { throw APIError(status: .unauthorized, message: "malformed credentials") }
        let allowed = adminToken.map { Self.constantTimeEquals(token, $0) } ?? isKey(token)
        if !allowed { throw APIError(status: .unauthorized, message: "invalid admin credentials") }
    }

    private func isKey(_ token: String) -> Bool {
        guard !token.isEmpty else { return false }
        var found = false
        for key in keys where Self.constantTimeEquals(token, key) { found = true }
        return found
    }

    /// `nil` when no credential header is present; `.some(nil)` when one is present but malformed.
    static func presentedToken(_ request: Request) -> String?? {
        if let authorization = request.headers.value(.authorization) {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            guard parts.count == 2 else { return .some(nil) }
            let scheme = parts[0].lowercased()
            let value = parts[1].trimmingCharacters(in: .whitespaces)
            if scheme == "bearer" { return .some(value.isEmpty ? nil : value) }
            if scheme == "basic" {
                guard let data = Data(base64Encoded: value), let text = String(data: data, encoding: .utf8) else {
                    return .some(nil)
                }
                let user = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
                return .some(user.isEmpty ? nil : user)
            }
            return .some(nil)
        }
        if let apiKey = request.headers.value(named: "X-API-Key") {
            return .some(apiKey.isEmpty ? nil : apiKey)
        }
        return nil
    }

    /// What Floe records as the sender of an event authorized by `key`: `key-` and the first
    /// 12 hex digits of its SHA-256, never the key itself.
    static func sourceId(for key: String) -> String {
        "key-" + SHA256.hash(data: Array(key.utf8)).hex(bytes: 6)
    }

    /// Compares without an early exit on the first differing byte. The lengths' difference is kept whole: cut
    /// to a byte, a key followed by 256 zero bytes compared equal to the key.
    static func constantTimeEquals(_ lhs: String, _ rhs: String) -> Bool {
        let a = Array(lhs.utf8), b = Array(rhs.utf8)
        var difference = UInt(bitPattern: a.count ^ b.count)
        for index in 0..<max(a.count, b.count) {
            let x = index < a.count ? a[index] : 0
            let y = index < b.count ? b[index] : 0
            difference |= UInt(x ^ y)
        }
        return difference == 0
    }
}
