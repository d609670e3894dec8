import Foundation
import Testing

@testable import Iceberg

/// A request signed by botocore's `S3SigV4Auth` (`Fixtures/s3-sigv4/generate_s3_sigv4.py`).
struct BotocoreS3Case: Decodable, Sendable, CustomTestStringConvertible {
    var name: String
    var method: String
    var endpoint: String?
    var path_style: Bool
    var region: String
    var bucket: String
    var key: String?
    var query: [[String]]?
    var headers: [[String]]
    var body: String
    var unsigned: Bool?
    var access_key_id: String
    var secret_access_key: String
    var session_token: String?
    var timestamp: String
    var expected_url: String
    var expected_canonical_request: String
    var expected_string_to_sign: String
    var expected_authorization: String
    var expected_content_sha256: String

    var testDescription: String { name }

    static func all() -> [BotocoreS3Case] {
        guard let bytes = try? S3Fixtures.bytes("s3-sigv4/s3-sigv4-botocore.json") else { return [] }
        return (try? JSONDecoder().decode([BotocoreS3Case].self, from: Data(bytes))) ?? []
    }
}

@Suite("S3 signing against botocore")
struct S3SigningTests {
    @Test("S3 requests are addressed and signed exactly as botocore does", arguments: BotocoreS3Case.all())
    func botocoreCase(_ s3Case: BotocoreS3Case) throws {
        let credentials = S3Credentials(accessKeyID: s3Case.access_key_id, secretAccessKey: s3Case.secret_access_key,
                                        sessionToken: s3Case.session_token)
        let configuration = S3Configuration(endpoint: s3Case.endpoint, region: s3Case.region,
                                            pathStyle: s3Case.path_style, credentials: S3CredentialStore(credentials))
        let endpoint = try S3Endpoint(configuration: configuration)
        let query = (s3Case.query ?? []).map { (name: $0[0], value: $0[1]) }
        let address = endpoint.address(bucket: s3Case.bucket, key: s3Case.key, query: query)
        #expect(address.url == s3Case.expected_url)

        let signer = SigV4Signer(credentials: credentials, region: s3Case.region, service: "s3", pathMode: .s3,
                                 addsContentSHA256Header: true)
        let headers = [("host", address.host)] + s3Case.headers.map { (name: $0[0], value: $0[1]) }
        let payload: SigV4Signer.Payload = s3Case.unsigned == true ? .unsigned : .bytes(Array(s3Case.body.utf8))
        let signature = signer.sign(
            SigV4Signer.Request(method: s3Case.method, path: address.path, query: query, headers: headers),
            payload: payload, date: try #require(S3Fixtures.date(s3Case.timestamp)))

        #expect(signature.canonicalRequest == s3Case.expected_canonical_request,
                "\n\(signature.canonicalRequest)\n!=\n\(s3Case.expected_canonical_request)")
        #expect(signature.stringToSign == s3Case.expected_string_to_sign)
        #expect(signature.authorization == s3Case.expected_authorization)
        #expect(signature.addedHeaders.contains { $0.name == "x-amz-content-sha256" && $0.value == s3Case.expected_content_sha256 })
    }

    @Test("all botocore fixtures load")
    func fixturesLoad() {
        #expect(BotocoreS3Case.all().count == 8)
    }

    @Test("S3 mode keeps dot segments and double slashes that generic mode removes")
    func s3ModeDoesNotNormalise() {
        let credentials = S3Credentials(accessKeyID: "AKID", secretAccessKey: "secret")
        let path = "/lake/a/./b/../c//d%20e"
        let s3 = SigV4Signer(credentials: credentials, region: "us-east-1", service: "s3", pathMode: .s3,
                             addsContentSHA256Header: true)
        let generic = SigV4Signer(credentials: credentials, region: "us-east-1", service: "s3",
                                  pathMode: .generic(normalize: true), addsContentSHA256Header: true)
        #expect(s3.canonicalURI(path) == path)
        #expect(generic.canonicalURI(path) == "/lake/a/c/d%2520e")
    }

    @Test("keys are encoded once per segment, slashes kept", arguments: [
        ("a b/c+d", "a%20b/c%2Bd"),
        ("100%/x", "100%25/x"),
        ("ünï/☃", "%C3%BCn%C3%AF/%E2%98%83"),
        ("-._~/AZaz09", "-._~/AZaz09"),
        ("a//b/./../", "a//b/./../"),
        ("k=v&x?y#z:@!$'()*,;", "k%3Dv%26x%3Fy%23z%3A%40%21%24%27%28%29%2A%2C%3B"),
    ])
    func keyEncoding(key: String, expected: String) {
        #expect(SigV4Signer.encodeS3Path(key) == expected)
    }

    @Test("x-amz-date and the scope day are UTC", arguments: [
        (0.0, "19700101T000000Z", "19700101"),
        (1_440_938_160.0, "20150830T123600Z", "20150830"),
        (1_709_251_198.9, "20240229T235958Z", "20240229"),
        (4_107_542_400.0, "21000301T000000Z", "21000301"), (4_102_444_799.0, "20991231T235959Z", "20991231"),
    ])
    func timestamps(seconds: Double, amzDate: String, day: String) {
        let (date, scopeDay) = SigV4Signer.timestamps(Date(timeIntervalSince1970: seconds))
        #expect(date == amzDate)
        #expect(scopeDay == day)
    }

    @Test("credentials never print their secret or token")
    func credentialsRedact() {
        let credentials = S3Credentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "very-secret", sessionToken: "tok")
        for text in [credentials.description, credentials.debugDescription, "\(credentials)",
                     S3CredentialStore(credentials).description] {
            #expect(!text.contains("very-secret"))
            #expect(!text.contains("tok)"))
            #expect(text.contains("AKIDEXAMPLE"))
        }
    }
}
