import Foundation
import FloeSupport

/// The parsed service endpoint, which turns a bucket and key into a URL, a `Host` header and a wire path.
struct S3Endpoint: Sendable, Hashable {
    /// `http` or `https`.
    var scheme: String
    /// The host name or IP literal, without port (IPv6 literals keep their brackets).
    var host: String
    var port: Int?
    var pathStyle: Bool

    /// The address of one request.
    struct Address: Sendable, Hashable {
        var url: String
        /// The `Host` header, with the port when it is not the scheme's default.
        var host: String
        /// The URI-encoded path, exactly as sent and as signed.
        var path: String
        /// The encoded query, without `?`.
        var query: String
    }

    /// Parses `configuration.endpoint`, or AWS's regional endpoint when it is nil.
    ///
    /// - Throws: ``FileIOError`` `invalidLocation` for an endpoint that is not `http(s)://host[:port][/]`.
    init(configuration: S3Configuration) throws {
        pathStyle = configuration.pathStyle
        guard let endpoint = configuration.endpoint else {
            scheme = "https"
            host = "s3.\(configuration.region).amazonaws.com"
            return
        }
        func invalid(_ message: String) -> FileIOError {
            FileIOError(.invalidLocation, message, context: ["endpoint": endpoint])
        }
        guard let schemeEnd = endpoint.range(of: "://") else { throw invalid("S3 endpoint has no http(s):// scheme") }
        scheme = endpoint[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else { throw invalid("S3 endpoint scheme must be http or https") }
        var authority = Substring(endpoint[schemeEnd.upperBound...])
        while authority.hasSuffix("/") { authority = authority.dropLast() }
        guard !authority.isEmpty, !authority.contains("/"), !authority.contains("?") else {
            throw invalid("S3 endpoint must be scheme://host[:port] without a path")
        }
        let portSeparator = authority.hasPrefix("[")
            ? authority.range(of: "]:").map { authority.index(after: $0.lowerBound) }
            : authority.lastIndex(of: ":")
        if let portSeparator {
            let portText = authority[authority.index(after: portSeparator)...]
            guard let port = Int(portText), (1...65_535).contains(port) else {
                throw invalid("S3 endpoint port is not a number from 1 to 65535")
            }
            self.port = port
            host = String(authority[..<portSeparator])
        } else {
            host = String(authority)
        }
        if Self.isIPAddressOrLocalhost(host) { pathStyle = true }
    }

    /// The address of `key` in `bucket`, or of the bucket itself when `key` is nil.
    func address(bucket: String, key: String?, query: [(name: String, value: String)] = []) -> Address {
        // Dotted bucket names do not match the wildcard TLS certificate of virtual hosts.
        let usesPath = pathStyle || (scheme == "https" && bucket.contains("."))
        let objectPath = key.map { "/" + SigV4Signer.encodeS3Path($0) }
        let path: String
        let hostName: String
        if usesPath {
            path = "/" + PercentEncoding.encode(bucket) + (objectPath ?? "")
            hostName = host
        } else {
            path = objectPath ?? "/"
            hostName = bucket + "." + host
        }
        let defaultPort = scheme == "https" ? 443 : 80
        let hostHeader = hostName + (port.map { $0 == defaultPort ? "" : ":\($0)" } ?? "")
        let queryText = query.map {
            PercentEncoding.encode($0.name) + "=" + PercentEncoding.encode($0.value)
        }.joined(separator: "&")
        let url = "\(scheme)://\(hostHeader)\(path)" + (queryText.isEmpty ? "" : "?" + queryText)
        return Address(url: url, host: hostHeader, path: path, query: queryText)
    }

    static func isIPAddressOrLocalhost(_ host: String) -> Bool {
        if host == "localhost" || host.hasPrefix("[") { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { UInt8($0) != nil }
    }
}
