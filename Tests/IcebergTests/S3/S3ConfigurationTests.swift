import Testing

@testable import Iceberg

@Suite("S3Configuration")
struct S3ConfigurationTests {
    @Test("the AWS variables configure endpoint, region and credentials")
    func environment() throws {
        let configuration = try #require(S3Configuration(environment: [
            "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "s", "AWS_SESSION_TOKEN": "t",
            "AWS_REGION": "auto", "AWS_ENDPOINT_URL_S3": "https://acc.r2.cloudflarestorage.com",
        ]))
        #expect(configuration.endpoint == "https://acc.r2.cloudflarestorage.com")
        #expect(configuration.region == "auto")
        #expect(configuration.credentials.current == S3Credentials(accessKeyID: "AKID", secretAccessKey: "s", sessionToken: "t"))
        #expect(S3Configuration(environment: ["AWS_ACCESS_KEY_ID": "AKID"]) == nil)
        #expect(S3Configuration(environment: ["AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"])?.region == "us-east-1")
    }

    @Test("catalog-vended properties override endpoint, region, path style and credentials")
    func catalogProperties() {
        let original = S3CredentialStore(S3Credentials(accessKeyID: "old", secretAccessKey: "old"))
        let base = S3Configuration(region: "us-east-1", credentials: original)
        let vended = base.applying(catalogProperties: [
            "s3.endpoint": "http://127.0.0.1:9000", "s3.region": "eu-central-1", "s3.path-style-access": "true",
            "s3.access-key-id": "new", "s3.secret-access-key": "sec", "s3.session-token": "tok",
        ])
        #expect(vended.endpoint == "http://127.0.0.1:9000")
        #expect(vended.region == "eu-central-1")
        #expect(vended.pathStyle)
        #expect(vended.credentials.current == S3Credentials(accessKeyID: "new", secretAccessKey: "sec", sessionToken: "tok"))
        #expect(original.current.accessKeyID == "old")
    }

    @Test("a replaced credential is used by the next read")
    func storeSwap() {
        let store = S3CredentialStore(S3Credentials(accessKeyID: "a", secretAccessKey: "1"))
        store.replace(with: S3Credentials(accessKeyID: "b", secretAccessKey: "2"))
        #expect(store.current.accessKeyID == "b")
    }

    @Test("backoff doubles from the base, is capped, and jitter spans the upper half", arguments: [
        (1, 0.0, Duration.milliseconds(50)), (1, 1.0, .milliseconds(100)), (2, 0.0, .milliseconds(100)),
        (3, 0.5, .milliseconds(300)), (20, 1.0, .seconds(5)), (20, 0.0, .milliseconds(2500)),
    ])
    func backoff(retry: Int, jitter: Double, expected: Duration) {
        #expect(S3Configuration.Retry().delay(beforeRetry: retry, jitter: jitter) == expected)
    }
}
