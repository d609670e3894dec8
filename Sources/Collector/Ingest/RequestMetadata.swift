import Foundation
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
/// `CF-Connecting-IP`) when proxies are trusted. An IPv4 client is given as `a.b.c.d` also when a
/// dual-stack listener (`--host ::`) or proxy sees it as `::ffff:a.b.c.d`.
enum ClientAddress {
    static func resolve(headers: HTTPFields, peer: String?, trustProxy: Bool) -> String? {
        if trustProxy {
            if let connecting = headers.value(named: "CF-Connecting-IP"), !connecting.isEmpty { return unmapped(connecting) }
            if let forwarded = headers.value(named: "X-Forwarded-For"),
               let first = forwarded.split(separator: ",").first?.trimmingCharacters(in: .whitespaces), !first.isEmpty {
                return unmapped(first)
            }
        }
        return peer.map(unmapped)
    }

    /// `a.b.c.d` for the IPv4-mapped IPv6 address `::ffff:a.b.c.d`; any other text as it is.
    static func unmapped(_ address: String) -> String {
        // Per request: an address that does not start with ':' (every plain IPv4 one) costs one byte's look.
        let prefix = "::ffff:"
        guard address.utf8.first == UInt8(ascii: ":"), address.utf8.count > prefix.utf8.count,
              address.prefix(prefix.count).lowercased() == prefix else {
            return address
        }
        let v4 = String(address.dropFirst(prefix.count))
        var parsed = in_addr()
        return inet_pton(AF_INET, v4, &parsed) == 1 ? v4 : address
    }
}
