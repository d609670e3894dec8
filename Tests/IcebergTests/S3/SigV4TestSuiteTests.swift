import Foundation
import Testing

@testable import Iceberg

/// One folder of the AWS SigV4 test suite (`Fixtures/sigv4-test-suite`, from awslabs/aws-c-auth, Apache-2.0).
struct SigV4SuiteCase: Sendable, CustomTestStringConvertible {
    let name: String
    var testDescription: String { name }

    static func all() -> [SigV4SuiteCase] {
        let root = S3Fixtures.url("sigv4-test-suite")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        return names.sorted().filter {
            FileManager.default.fileExists(atPath: root.appendingPathComponent($0).appendingPathComponent("request.txt").path)
        }.map(SigV4SuiteCase.init)
    }

    func text(_ file: String) throws -> String { try S3Fixtures.text("sigv4-test-suite/\(name)/\(file)") }
}

/// The `context.json` of a suite case.
struct SigV4SuiteContext: Decodable {
    struct Credentials: Decodable {
        var access_key_id: String
        var secret_access_key: String
        var token: String?
    }

    var credentials: Credentials
    var normalize: Bool
    var region: String
    var service: String
    var sign_body: Bool
    var timestamp: String
    var omit_session_token: Bool?
}

/// A raw HTTP/1.1 request of the suite, split into what the signer needs.
struct RawHTTPRequest {
    var method: String
    var path: String
    var query: [(name: String, value: String)]
    /// Header fields with obsolete line folding joined by single spaces.
    var headers: [(name: String, value: String)]
    /// The request line and header lines exactly as in the file.
    var head: String
    var body: String

    init(_ text: String) throws {
        if let separator = text.range(of: "\n\n") {
            head = String(text[..<separator.lowerBound])
            body = String(text[separator.upperBound...])
        } else {
            head = text.hasSuffix("\n") ? String(text.dropLast()) : text
            body = ""
        }
        let lines = head.split(separator: "\n", omittingEmptySubsequences: false)
        let requestLine = try #require(lines.first)
        let methodEnd = try #require(requestLine.firstIndex(of: " "))
        let versionStart = try #require(requestLine.range(of: " HTTP/", options: .backwards))
        method = String(requestLine[..<methodEnd])
        let target = requestLine[requestLine.index(after: methodEnd)..<versionStart.lowerBound]
        let pathEnd = target.firstIndex(of: "?") ?? target.endIndex
        path = String(target[..<pathEnd])
        query = target[pathEnd...].dropFirst().split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode = { (text: Substring) in text.removingPercentEncoding ?? String(text) }
            return (decode(parts[0]), parts.count > 1 ? decode(parts[1]) : "")
        }
        headers = []
        for line in lines.dropFirst() {
            if line.first == " " || line.first == "\t", let last = headers.popLast() {
                headers.append((last.name, last.value + " " + line.trimmingCharacters(in: .whitespaces)))
            } else if let colon = line.firstIndex(of: ":") {
                headers.append((String(line[..<colon]), String(line[line.index(after: colon)...])))
            }
        }
    }
}

@Suite("SigV4 test suite (generic mode)")
struct SigV4TestSuiteTests {
    @Test("every case of the AWS SigV4 suite gives its canonical request, string to sign and signed request",
          arguments: SigV4SuiteCase.all())
    func suiteCase(_ suiteCase: SigV4SuiteCase) throws {
        let context = try JSONDecoder().decode(SigV4SuiteContext.self, from: Data(try suiteCase.text("context.json").utf8))
        let request = try RawHTTPRequest(try suiteCase.text("request.txt"))
        var signer = SigV4Signer(
            credentials: S3Credentials(accessKeyID: context.credentials.access_key_id,
                                       secretAccessKey: context.credentials.secret_access_key,
                                       sessionToken: context.credentials.token),
            region: context.region, service: context.service, pathMode: .generic(normalize: context.normalize),
            addsContentSHA256Header: context.sign_body)
        signer.signsSessionToken = !(context.omit_session_token ?? false)
        let date = try #require(S3Fixtures.date(context.timestamp))

        let signature = signer.sign(
            SigV4Signer.Request(method: request.method, path: request.path, query: request.query,
                                headers: request.headers),
            payload: .bytes(Array(request.body.utf8)), date: date)

        let canonical = try suiteCase.text("header-canonical-request.txt")
        #expect(signature.canonicalRequest == canonical, "\n\(signature.canonicalRequest)\n!=\n\(canonical)")
        let stringToSign = try suiteCase.text("header-string-to-sign.txt")
        #expect(signature.stringToSign == stringToSign, "\n\(signature.stringToSign)\n!=\n\(stringToSign)")
        #expect(signature.signature == (try suiteCase.text("header-signature.txt")))

        let added = signature.addedHeaders.map { "\($0.name):\($0.value)\n" }.joined()
        let signed = request.head + "\n" + added + "Authorization:\(signature.authorization)\n\n" + request.body
        let expected = try suiteCase.text("header-signed-request.txt")
        #expect(signed == expected, "\n\(signed)\n!=\n\(expected)")
    }

    @Test("the suite is present and complete")
    func suiteIsPresent() throws {
        #expect(SigV4SuiteCase.all().count == 38)
        #expect(FileManager.default.fileExists(atPath: S3Fixtures.url("sigv4-test-suite/LICENSE").path))
    }
}
