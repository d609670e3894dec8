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

/// The client address of a request: the socket peer, or, behind `proxyHops` trusted proxies, the
/// `X-Forwarded-For` entry that many from the right (each proxy appends the address it saw; entries
/// further left were written by the client, and are not believed). `CF-Connecting-IP` is not read:
/// a client can send it to any proxy but Cloudflare, which also appends to `X-Forwarded-For`. An IPv4
/// client is given as `a.b.c.d` also when a dual-stack listener (`--host ::`) or proxy sees it as
/// `::ffff:a.b.c.d`. An entry with a port (`a.b.c.d:port`, `[v6]:port`, as some proxies write) is given
/// without it, and one that is no address at all (`unknown`) gives none.
enum ClientAddress {
    static func resolve(headers: HTTPFields, peer: String?, proxyHops: Int) -> String? {
        guard proxyHops > 0 else { return peer.map(unmapped) }
        // From the right: a proxy appends a header line of its own (HAProxy's `option forwardfor`) or a `, entry`.
        var remaining = proxyHops
        var furthest: Substring?
        for field in headers.reversed() where field.name.canonicalName == "x-forwarded-for" {
            for entry in field.value.split(separator: ",").reversed() {
                var trimmed = entry
                while let first = trimmed.first, first == " " || first == "\t" { trimmed.removeFirst() }
                while let last = trimmed.last, last == " " || last == "\t" { trimmed.removeLast() }
                guard !trimmed.isEmpty else { continue }
                remaining -= 1
                if remaining == 0 { return forwarded(trimmed) }
                furthest = trimmed
            }
        }
        // Fewer entries than trusted proxies: the chain was shorter, and the leftmost is the furthest known.
        guard let furthest else { return peer.map(unmapped) }
        return forwarded(furthest)
    }

    /// The address an `X-Forwarded-For` entry names, without a port; nil when it names none.
    static func forwarded(_ entry: Substring) -> String? {
        var host = entry
        if host.first == "[", let close = host.firstIndex(of: "]") {
            host = host[host.index(after: host.startIndex)..<close]  // [v6] or [v6]:port
        } else if let colon = host.firstIndex(of: ":"), host[host.index(after: colon)...].allSatisfy(\.isNumber),
                  host.lastIndex(of: ":") == colon {
            host = host[..<colon]  // a.b.c.d:port (an IPv6 address has more than one colon)
        }
        let address = String(host)
        var v4 = in_addr()
        var v6 = in6_addr()
        guard inet_pton(AF_INET, address, &v4) == 1 || inet_pton(AF_INET6, address, &v6) == 1 else { return nil }
        return unmapped(address)
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
