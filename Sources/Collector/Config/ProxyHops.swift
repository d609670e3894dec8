/// `trust_proxy`: how many proxies in front of Floe are trusted to append the address they saw to
/// `X-Forwarded-For`. `false` (0) uses the socket peer; `true` is one proxy (HAProxy, nginx, Cloudflare); a number is
/// a chain (Cloudflare, then HAProxy: 2). The client address is the entry that many from the right: the entries
/// left of it were written by the client or by proxies not trusted, and can say anything.
public struct ProxyHops: SettingValue, Equatable {
    public var count: Int

    public init(_ count: Int) {
        self.count = count
    }

    static func parse(_ input: SettingInput) throws -> ProxyHops {
        if let trusted = try? Bool.parse(input) { return ProxyHops(trusted ? 1 : 0) }
        guard let count = try? Int.parse(input), count >= 0 else {
            throw input.error("true, false or a number of proxies")
        }
        return ProxyHops(count)
    }

    var settingDescription: String { count == 0 ? "false" : count == 1 ? "true" : "\(count)" }
}
