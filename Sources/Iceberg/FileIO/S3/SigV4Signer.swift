import Crypto
import Foundation
import FloeSupport

/// AWS Signature Version 4 header signing: canonical request, string to sign and `Authorization` header.
///
/// The signer is a pure value: the same request, credentials and date always give the same signature, so every
/// step can be checked against the AWS test vectors. It never sends anything and never logs.
///
/// Two path modes exist because services disagree. The generic mode (the AWS test suite, most services)
/// optionally removes `.`/`..` segments and duplicate slashes, then URI-encodes the wire path once more. S3 does
/// neither: the canonical URI is the wire path exactly as sent, whose segments were URI-encoded once
/// (``SigV4Signer/encodeS3Path(_:)``).
///
/// See <https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html>.
package struct SigV4Signer: Sendable {
    /// How the canonical URI is derived from the path on the wire.
    package enum PathMode: Sendable, Equatable {
        /// S3: the wire path, byte for byte; it must already be URI-encoded.
        case s3
        /// Other services: optionally normalised (RFC 3986 dot segments, duplicate slashes), then URI-encoded again.
        case generic(normalize: Bool)
    }

    /// What goes in `x-amz-content-sha256` and the last line of the canonical request.
    package enum Payload: Sendable, Equatable {
        /// The lowercase hex SHA-256 of the body.
        case hash(String)
        /// `UNSIGNED-PAYLOAD`: the body is not covered by the signature (S3 only).
        case unsigned

        /// The hash of `bytes`.
        static func bytes(_ bytes: some DataProtocol) -> Payload { .hash(SigV4Signer.hexSHA256(bytes)) }

        var value: String {
            switch self {
            case .hash(let hex): hex
            case .unsigned: "UNSIGNED-PAYLOAD"
            }
        }
    }

    /// A request as the signer sees it.
    package struct Request: Sendable {
        var method: String
        /// The path as sent on the wire (without the query).
        var path: String
        /// Decoded query parameters, in any order; the signer encodes and sorts them.
        var query: [(name: String, value: String)] = []
        /// Headers to sign, including `host`; names in any case, repeated names allowed.
        var headers: [(name: String, value: String)] = []

        package init(method: String, path: String, query: [(name: String, value: String)] = [],
                     headers: [(name: String, value: String)] = []) {
            self.method = method
            self.path = path
            self.query = query
            self.headers = headers
        }
    }

    /// Every intermediate step of a signature, for tests and for debugging a `SignatureDoesNotMatch`.
    ///
    /// The canonical request contains the session token: never log it outside tests.
    package struct Signature: Sendable {
        var canonicalRequest: String
        var stringToSign: String
        /// Lowercase hex HMAC-SHA256.
        var signature: String
        package var authorization: String
        /// Headers the caller must add to the request besides `Authorization`, in order.
        var addedHeaders: [(name: String, value: String)]
    }

    var credentials: S3Credentials
    var region: String
    var service: String
    var pathMode: PathMode
    /// Whether to add `x-amz-content-sha256` to the request (always for S3).
    var addsContentSHA256Header: Bool
    /// Whether `x-amz-security-token` is part of the signed headers; when false it is still added, after signing.
    var signsSessionToken = true

    static let algorithm = "AWS4-HMAC-SHA256"

    package init(credentials: S3Credentials, region: String, service: String, pathMode: PathMode,
                 addsContentSHA256Header: Bool, signsSessionToken: Bool = true) {
        self.credentials = credentials
        self.region = region
        self.service = service
        self.pathMode = pathMode
        self.addsContentSHA256Header = addsContentSHA256Header
        self.signsSessionToken = signsSessionToken
    }

    /// Signs `request` at `date`.
    package func sign(_ request: Request, payload: Payload, date: Date) -> Signature {
        let (amzDate, day) = Self.timestamps(date)
        var added: [(name: String, value: String)] = [("X-Amz-Date", amzDate)]
        var headers = request.headers
        headers.append(("x-amz-date", amzDate))
        if addsContentSHA256Header {
            added.append(("x-amz-content-sha256", payload.value))
            headers.append(("x-amz-content-sha256", payload.value))
        }
        if let token = credentials.sessionToken {
            added.insert(("X-Amz-Security-Token", token), at: 0)
            if signsSessionToken { headers.append(("x-amz-security-token", token)) }
        }
        let (canonicalHeaders, signedHeaders) = Self.canonicalHeaders(headers)
        let canonicalRequest = [
            request.method,
            canonicalURI(request.path),
            Self.canonicalQuery(request.query),
            canonicalHeaders,
            signedHeaders,
            payload.value,
        ].joined(separator: "\n")
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let stringToSign = [Self.algorithm, amzDate, scope, Self.hexSHA256(Array(canonicalRequest.utf8))]
            .joined(separator: "\n")
        let signature = Self.hex(HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8),
                                                                  using: signingKey(day: day)))
        let authorization = "\(Self.algorithm) Credential=\(credentials.accessKeyID)/\(scope), "
            + "SignedHeaders=\(signedHeaders), Signature=\(signature)"
        return Signature(canonicalRequest: canonicalRequest, stringToSign: stringToSign, signature: signature,
                         authorization: authorization, addedHeaders: added)
    }

    /// `kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, day), region), service), "aws4_request")`.
    private func signingKey(day: String) -> SymmetricKey {
        var key = SymmetricKey(data: Array(("AWS4" + credentials.secretAccessKey).utf8))
        for part in [day, region, service, "aws4_request"] {
            key = SymmetricKey(data: Array(HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: key)))
        }
        return key
    }

    func canonicalURI(_ path: String) -> String {
        let path = path.isEmpty ? "/" : path
        switch pathMode {
        case .s3:
            return path
        case .generic(let normalize):
            return PercentEncoding.encode(normalize ? Self.normalizedPath(path) : path, keepingSlashes: true)
        }
    }

    /// Lowercased names, sorted, values trimmed with inner whitespace runs collapsed, repeated names comma-joined.
    static func canonicalHeaders(_ headers: [(name: String, value: String)]) -> (String, String) {
        var values: [String: [String]] = [:]
        for (name, value) in headers {
            values[name.lowercased(), default: []].append(collapsingWhitespace(value))
        }
        let names = values.keys.sorted()
        let lines = names.map { "\($0):\(values[$0, default: []].joined(separator: ","))\n" }.joined()
        return (lines, names.joined(separator: ";"))
    }

    static func canonicalQuery(_ query: [(name: String, value: String)]) -> String {
        let encoded: [(name: String, value: String)] = query.map { parameter in
            (PercentEncoding.encode(parameter.name), PercentEncoding.encode(parameter.value))
        }
        let sorted = encoded.sorted { lhs, rhs in lhs.name == rhs.name ? lhs.value < rhs.value : lhs.name < rhs.name }
        return sorted.map { $0.name + "=" + $0.value }.joined(separator: "&")
    }

    private static func collapsingWhitespace(_ value: String) -> String {
        value.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" })
            .joined(separator: " ")
    }

    /// RFC 3986 §5.2.4 dot-segment removal plus collapsing of empty segments; keeps a trailing slash.
    static func normalizedPath(_ path: String) -> String {
        var segments: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch segment {
            case ".": continue
            case "..": _ = segments.popLast()
            default: segments.append(segment)
            }
        }
        var result = "/" + segments.joined(separator: "/")
        let last = path.split(separator: "/", omittingEmptySubsequences: false).last ?? ""
        if !segments.isEmpty, path.hasSuffix("/") || last == "." || last == ".." { result += "/" }
        return result
    }
}

extension SigV4Signer {
    private static let lowerHexDigits = Array("0123456789abcdef".utf8)

    /// The wire path of an S3 object key: each `/`-separated segment URI-encoded once, nothing normalised.
    package static func encodeS3Path(_ key: String) -> String { PercentEncoding.encode(key, keepingSlashes: true) }

    package static func hexSHA256(_ bytes: some DataProtocol) -> String { hex(SHA256.hash(data: bytes)) }

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        var result = [UInt8]()
        for byte in bytes { result += [lowerHexDigits[Int(byte >> 4)], lowerHexDigits[Int(byte & 0x0F)]] }
        return String(decoding: result, as: UTF8.self)
    }

    /// `x-amz-date` (`20150830T123600Z`) and the credential-scope day (`20150830`), in UTC.
    static func timestamps(_ date: Date) -> (String, String) {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let date = CivilDate(daysSinceEpoch: days)
        func pad(_ value: Int64, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        let dayText = pad(date.year, 4) + pad(date.month, 2) + pad(date.day, 2)
        let time = pad(secondOfDay / 3600, 2) + pad(secondOfDay / 60 % 60, 2) + pad(secondOfDay % 60, 2)
        return (dayText + "T" + time + "Z", dayText)
    }
}
