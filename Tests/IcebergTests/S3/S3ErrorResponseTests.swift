import Iceberg
import Testing

@testable import Iceberg

@Suite("S3ErrorResponse")
struct S3ErrorResponseTests {
    private let location = S3Location(bucket: "lake", key: "events/x.parquet")

    private func error(_ status: Int, _ xml: String = "") -> S3ErrorResponse {
        S3ErrorResponse(status: status, body: Array(xml.utf8), requestID: "hdr-id", bucketRegion: nil)
    }

    @Test("a refused signature says so and names the bucket, key and S3 code")
    func signatureMismatch() {
        let body = "<?xml version=\"1.0\"?><Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match</Message><RequestId>r1</RequestId></Error>"
        let failure = error(403, body).fileIOError(operation: "GetObject", location: location)
        #expect(failure.code == .credentialsRefused)
        #expect(!failure.isRetryable)
        #expect(failure.context["bucket"] == "lake")
        #expect(failure.context["key"] == "events/x.parquet")
        #expect(failure.context["s3.code"] == "SignatureDoesNotMatch")
        #expect(failure.context["s3.request_id"] == "r1")
        #expect(failure.description.contains("403"))
        #expect(failure.description.contains("secret access key is probably wrong"))
        #expect(failure.description.contains("The request signature we calculated does not match"))
    }

    @Test("credentials S3 refuses (an expired token, an unknown key) are credentialsRefused; access denied is not")
    func refusedCredentials() {
        for code in ["ExpiredToken", "TokenRefreshRequired", "InvalidToken", "InvalidAccessKeyId"] {
            let failure = error(400, "<Error><Code>\(code)</Code></Error>").fileIOError(operation: "PutObject", location: location)
            #expect(failure.code == .credentialsRefused, "\(code)")
        }
        #expect(error(403, "<Error><Code>AccessDenied</Code></Error>").fileIOError(operation: "PutObject", location: location).code == .io)
        #expect(error(500, "<Error><Code>ExpiredToken</Code></Error>").fileIOError(operation: "PutObject", location: location).code == .io)
    }

    @Test("a missing key is notFound, a missing bucket is not")
    func missing() {
        #expect(error(404, "<Error><Code>NoSuchKey</Code></Error>").fileIOError(operation: "GetObject", location: location).code == .notFound)
        #expect(error(404).fileIOError(operation: "HeadObject", location: location).code == .notFound)
        let bucket = error(404, "<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message></Error>")
            .fileIOError(operation: "GetObject", location: location)
        #expect(bucket.code == .io)
        #expect(bucket.description.contains("the bucket does not exist"))
        #expect(bucket.description.contains("bucket: lake"))
    }

    @Test("a wrong region names the bucket's region")
    func wrongRegion() {
        let failure = error(400, "<Error><Code>AuthorizationHeaderMalformed</Code><Message>the region 'us-east-1' is wrong; expecting 'eu-west-1'</Message><Region>eu-west-1</Region></Error>")
            .fileIOError(operation: "PutObject", location: location)
        #expect(failure.context["s3.region"] == "eu-west-1")
        #expect(failure.description.contains("another region"))
    }

    @Test("retryable: 5xx, 408, 429, SlowDown and RequestTimeout; not other 4xx", arguments: [
        (500, nil, true), (502, nil, true), (503, "SlowDown", true), (504, nil, true), (408, nil, true),
        (429, nil, true), (400, "RequestTimeout", true), (400, "InvalidArgument", false), (403, "AccessDenied", false),
        (404, "NoSuchKey", false), (412, "PreconditionFailed", false), (501, "NotImplemented", false),
    ] as [(Int, String?, Bool)])
    func retryable(status: Int, code: String?, expected: Bool) {
        #expect(S3ErrorResponse(status: status, code: code).isRetryable == expected)
    }
}
