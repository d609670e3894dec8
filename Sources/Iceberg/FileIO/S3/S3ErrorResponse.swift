
/// A failed S3 response: the HTTP status and the code and message of its `<Error>` body, when it has one.
///
/// See <https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html>. HEAD responses have no body, so
/// only the status (and the `x-amz-bucket-region` header) tells what went wrong.
struct S3ErrorResponse: Sendable, Hashable {
    var status: Int
    /// The S3 error code (`NoSuchKey`, `SignatureDoesNotMatch`, `SlowDown`, …).
    var code: String?
    var message: String?
    var requestID: String?
    /// The bucket's region, when S3 says it is not the one the request was signed for.
    var region: String?

    /// S3 codes worth retrying whatever their status: throttling, transient server faults, slow sockets.
    static let retryableCodes: Set<String> = [
        "SlowDown", "InternalError", "ServiceUnavailable", "RequestTimeout", "Throttling", "ThrottlingException",
        "TooManyRequests", "RequestLimitExceeded", "ProvisionedThroughputExceededException",
    ]
    /// Statuses worth retrying: 408, 429 and the transient 5xx.
    static let retryableStatuses: Set<Int> = [408, 429, 500, 502, 503, 504]

    init(status: Int, code: String? = nil, message: String? = nil, requestID: String? = nil, region: String? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.requestID = requestID
        self.region = region
    }

    /// Parses an error body; `bucketRegion` is the `x-amz-bucket-region` header.
    init(status: Int, body: some Collection<UInt8>, requestID: String?, bucketRegion: String?) {
        let xml = S3XML(body)
        let isErrorDocument = xml.contains(element: "Error")
        self.init(status: status,
                  code: isErrorDocument ? xml.value(of: "Code") : nil,
                  message: isErrorDocument ? xml.value(of: "Message") : nil,
                  requestID: (isErrorDocument ? xml.value(of: "RequestId") : nil) ?? requestID,
                  region: (isErrorDocument ? xml.value(of: "Region") : nil) ?? bucketRegion)
    }

    /// Whether the same request may succeed if sent again.
    var isRetryable: Bool {
        Self.retryableStatuses.contains(status) || code.map(Self.retryableCodes.contains) == true
    }

    /// Whether S3 refused the credentials themselves (expired token, unknown key, wrong secret), which fresh
    /// credentials may cure.
    var refusesCredentials: Bool {
        guard status == 400 || status == 403, let code else { return false }
        return ["ExpiredToken", "TokenRefreshRequired", "InvalidToken", "InvalidAccessKeyId",
                "SignatureDoesNotMatch"].contains(code)
    }

    /// A short explanation of the failure for people, without dynamic values.
    var summary: String {
        switch (status, code) {
        case (_, "NoSuchKey"), (404, nil): "no object at location"
        case (_, "NoSuchBucket"): "the bucket does not exist"
        case (_, "NoSuchUpload"): "the multipart upload does not exist (aborted or already completed)"
        case (_, "SignatureDoesNotMatch"): "S3 rejected the request signature: the secret access key is probably wrong"
        case (_, "InvalidAccessKeyId"): "S3 does not know the access key id"
        case (_, "ExpiredToken"), (_, "TokenRefreshRequired"): "the session token has expired"
        case (_, "InvalidToken"): "the session token is invalid"
        case (_, "RequestTimeTooSkewed"): "the local clock differs too much from the S3 server's"
        case (_, "AccessDenied"), (403, _): "access denied"
        case (_, "PermanentRedirect"), (_, "AuthorizationHeaderMalformed"), (_, "IllegalLocationConstraintException"),
             (301, _):
            "the bucket is in another region or needs another endpoint"
        case (_, "PreconditionFailed"), (412, _): "a precondition did not hold: an object already exists at location (If-None-Match), or it changed (If-Match)"
        case (_, "ConditionalRequestConflict"), (409, _): "a concurrent conditional write to the same key conflicted"
        case (_, "InvalidRange"), (416, _): "the requested range is outside the object"
        case (_, "SlowDown"), (503, _), (429, _): "S3 is throttling requests"
        case (_, "EntityTooSmall"): "a multipart part is smaller than the 5 MiB minimum"
        default: status >= 500 ? "S3 server error" : "S3 request failed"
        }
    }

    /// The ``FileIOError`` for this failure of `operation` on `location`.
    ///
    /// The code is `notFound` for a missing key (never for a missing bucket, which is a configuration error),
    /// `credentialsRefused` for ``refusesCredentials``, and `io` otherwise; `context` names the bucket, key, operation, HTTP status, S3 code and request id.
    func fileIOError(operation: String, location: S3Location) -> FileIOError {
        var context = [
            "location": location.description, "bucket": location.bucket, "operation": operation,
            "http.status": String(status),
        ]
        if !location.key.isEmpty { context["key"] = location.key }
        context["s3.code"] = code
        context["s3.request_id"] = requestID
        context["s3.region"] = region
        var text = "S3 \(operation) failed with \(status): \(summary)"
        if let code { text += " (\(code)" + (message.map { ": \($0)" } ?? "") + ")" }
        let isMissingKey = code == "NoSuchKey" || (status == 404 && code == nil)
        // 409 from a conditional write means "try again", but not blindly: the caller decides.
        return FileIOError(isMissingKey ? .notFound : refusesCredentials ? .credentialsRefused : .io, text, context: context,
                           isRetryable: isRetryable || status == 409)
    }
}
