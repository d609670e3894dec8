import HTTPTypes
@testable import Collector
import Testing

@Suite("Client address")
struct ClientAddressTests {
    @Test("an IPv4 client seen through a dual-stack listener or proxy is given as IPv4", arguments: [
        ("::ffff:127.0.0.1", "127.0.0.1"),
        ("::FFFF:203.0.113.82", "203.0.113.82"),
        ("203.0.113.82", "203.0.113.82"),
        ("2001:db8::1", "2001:db8::1"),
        ("::ffff:", "::ffff:"),
        ("::ffff:1.2.3", "::ffff:1.2.3"),
        ("::ffff:0:1.2.3.4", "::ffff:0:1.2.3.4"),
    ])
    func unmapped(address: String, expected: String) {
        #expect(ClientAddress.unmapped(address) == expected)
    }

    @Test("the peer and trusted proxy headers are unmapped alike")
    func resolve() throws {
        #expect(ClientAddress.resolve(headers: [:], peer: "::ffff:10.1.2.3", proxyHops: 0) == "10.1.2.3")
        var headers = HTTPFields()
        headers.append(HTTPField(name: try #require(HTTPField.Name("X-Forwarded-For")), value: "::ffff:198.51.100.7"))
        #expect(ClientAddress.resolve(headers: headers, peer: "::ffff:10.1.2.3", proxyHops: 1) == "198.51.100.7")
        #expect(ClientAddress.resolve(headers: headers, peer: "::ffff:10.1.2.3", proxyHops: 0) == "10.1.2.3")
    }

    @Test("behind n trusted proxies the client is the entry n from the right, over every X-Forwarded-For line",
          arguments: [
              (["6.6.6.6, 198.51.100.7"], 1, "198.51.100.7"),  // the client wrote 6.6.6.6; the proxy appended
              (["6.6.6.6", "198.51.100.7"], 1, "198.51.100.7"),  // HAProxy's `option forwardfor` adds a line
              (["6.6.6.6, 198.51.100.7, 203.0.113.9"], 2, "198.51.100.7"),  // Cloudflare, then HAProxy
              (["198.51.100.7"], 3, "198.51.100.7"),  // a shorter chain: the furthest known
              ([" , 198.51.100.7 ,"], 1, "198.51.100.7"),
              ([String](), 1, "10.1.2.3"),  // no header: the peer
          ])
    func rightmost(lines: [String], hops: Int, expected: String) throws {
        var headers = HTTPFields()
        for line in lines { headers.append(HTTPField(name: try #require(HTTPField.Name("X-Forwarded-For")), value: line)) }
        headers.append(HTTPField(name: try #require(HTTPField.Name("CF-Connecting-IP")), value: "7.7.7.7"))
        #expect(ClientAddress.resolve(headers: headers, peer: "10.1.2.3", proxyHops: hops) == expected)
    }

    @Test("a forwarded entry is given without its port, and one that is no address gives none", arguments: [
        ("1.1.1.1:8080", "1.1.1.1"),
        ("[2001:db8::1]:443", "2001:db8::1"),
        ("[2001:db8::1]", "2001:db8::1"),
        ("2001:db8::1", "2001:db8::1"),
        ("::ffff:198.51.100.7", "198.51.100.7"),
        ("garbage", nil),
        ("unknown", nil),
        ("1.1.1.1:http", nil),
        ("1:2", nil),
    ] as [(String, String?)])
    func forwarded(entry: String, expected: String?) throws {
        var headers = HTTPFields()
        headers.append(HTTPField(name: try #require(HTTPField.Name("X-Forwarded-For")), value: "6.6.6.6, " + entry))
        #expect(ClientAddress.resolve(headers: headers, peer: "10.1.2.3", proxyHops: 1) == expected)
        #expect(ClientAddress.resolve(headers: headers, peer: "10.1.2.3", proxyHops: 2) == "6.6.6.6")
    }

    @Test("truncation keeps a /24 of IPv4, also IPv4-mapped, and a /48 of IPv6", arguments: [
        ("203.0.113.82", "203.0.113.0"),
        ("::ffff:203.0.113.82", "::ffff:203.0.113.0"),
        ("2001:db8:abcd:12:1:2:3:4", "2001:db8:abcd::"),
        ("::1", "::"),
    ])
    func truncate(address: String, expected: String) {
        #expect(PrivacyRules.truncate(address) == expected)
    }

    @Test("truncation of text that is not an address is nil", arguments: ["", "localhost", "1.2.3.4.5", "::ffff:x"])
    func truncateNonAddress(text: String) {
        #expect(PrivacyRules.truncate(text) == nil)
    }
}
