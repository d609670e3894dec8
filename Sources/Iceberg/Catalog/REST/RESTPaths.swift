import Foundation

/// The URLs of the REST catalog routes for one base URI and `prefix`, with the spec's encoding: namespace
/// levels joined by the namespace separator (default the unit separator 0x1F) and percent-encoded as one
/// path segment; every other name percent-encoded except RFC 3986 unreserved characters.
struct RESTPaths: Sendable, Hashable {
    /// The separator of namespace levels in paths and the `parent` query: U+001F.
    static let defaultNamespaceSeparator = "\u{1F}"

    /// The catalog URI without a trailing slash.
    var base: String
    /// `overrides.prefix` from `/v1/config`; nil or empty for none.
    var prefix: String?
    var namespaceSeparator = defaultNamespaceSeparator

    /// `GET /v1/config[?warehouse=]`.
    func config(warehouse: String?) -> String {
        base + "/v1/config" + Self.query(["warehouse": warehouse])
    }

    /// `POST /v1/oauth/tokens`.
    var oauthTokens: String { base + "/v1/oauth/tokens" }

    private var root: String {
        guard let prefix, !prefix.isEmpty else { return base + "/v1" }
        let trimmed = prefix.trimmingCharacters(in: ["/"])
        return base + "/v1/" + trimmed
    }

    /// `/v1/{prefix}/namespaces[?parent=&pageToken=]`.
    func namespaces(parent: [String]? = nil, pageToken: String? = nil) -> String {
        root + "/namespaces" + Self.query([
            "parent": parent.map { $0.joined(separator: namespaceSeparator) }, "pageToken": pageToken,
        ])
    }

    /// `/v1/{prefix}/namespaces/{namespace}`.
    func namespace(_ namespace: [String]) -> String {
        root + "/namespaces/" + Self.encode(namespace.joined(separator: namespaceSeparator))
    }

    /// `/v1/{prefix}/namespaces/{namespace}/tables[?pageToken=]`.
    func tables(in namespace: [String], pageToken: String? = nil) -> String {
        self.namespace(namespace) + "/tables" + Self.query(["pageToken": pageToken])
    }

    /// `/v1/{prefix}/namespaces/{namespace}/tables/{table}[?purgeRequested=]`.
    func table(_ id: TableIdentifier, purgeRequested: Bool? = nil) -> String {
        namespace(id.namespace) + "/tables/" + Self.encode(id.name)
            + Self.query(["purgeRequested": purgeRequested.map { $0 ? "true" : "false" }])
    }

    /// `?a=1&b=2` of the non-nil values, keys sorted; empty when all are nil.
    static func query(_ items: [String: String?]) -> String {
        let pairs = items.compactMap { key, value in value.map { (key, $0) } }.sorted { $0.0 < $1.0 }
        guard !pairs.isEmpty else { return "" }
        return "?" + pairs.map { "\(encode($0.0))=\(encode($0.1))" }.joined(separator: "&")
    }

    /// Percent-encodes the UTF-8 bytes of `value`, keeping only `A-Z a-z 0-9 - . _ ~`.
    static func encode(_ value: String) -> String {
        var result = ""
        result.reserveCapacity(value.utf8.count)
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                 UInt8(ascii: "~"):
                result.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".utf8)
                result += "%" + String(decoding: [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]], as: UTF8.self)
            }
        }
        return result
    }

    /// The `application/x-www-form-urlencoded` body of `fields`, in the order given.
    static func form(_ fields: [(String, String)]) -> [UInt8] {
        Array(fields.map { "\(encode($0.0))=\(encode($0.1))" }.joined(separator: "&").utf8)
    }
}
