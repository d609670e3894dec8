import Hummingbird

/// Cloudflare's request headers, present when Floe runs behind Cloudflare (`CF-Ray` is set).
package struct CloudflareInfo: Sendable, Equatable {
    /// Values for the `cf_*` columns, in table order: colo, country, city, continent, postal code,
    /// region, timezone, HTTP protocol, TLS version, TLS cipher.
    var values: [String?]

    /// `nil` when the request did not come through Cloudflare.
    init?(headers: HTTPFields, httpVersion: String) {
        guard let ray = headers.value(named: "CF-Ray") else { return nil }
        let colo = ray.split(separator: "-").last.map(String.init)
        values = [
            colo,
            headers.value(named: "CF-IPCountry"),
            headers.value(named: "cf-ipcity"),
            headers.value(named: "cf-ipcontinent"),
            headers.value(named: "cf-postal-code"),
            headers.value(named: "cf-region"),
            headers.value(named: "cf-timezone"),
            httpVersion,
            headers.value(named: "cf-tls-version"),
            headers.value(named: "cf-tls-cipher"),
        ]
    }
}

/// The client address of a request: the socket peer, or the first `X-Forwarded-For` hop (or
/// `CF-Connecting-IP`) when proxies are trusted.
enum ClientAddress {
    static func resolve(headers: HTTPFields, peer: String?, trustProxy: Bool) -> String? {
        if trustProxy {
            if let connecting = headers.value(named: "CF-Connecting-IP"), !connecting.isEmpty { return connecting }
            if let forwarded = headers.value(named: "X-Forwarded-For"),
               let first = forwarded.split(separator: ",").first?.trimmingCharacters(in: .whitespaces), !first.isEmpty {
                return first
            }
        }
        return peer
    }
}
