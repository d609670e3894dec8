import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import FloeSupport

/// One S3 call, before addressing and signing.
struct S3Request: Sendable {
    var method: HTTPMethod
    var location: S3Location
    /// False for bucket-level calls such as ListObjectsV2.
    var addressesObject = true
    var query: [(name: String, value: String)] = []
    /// Extra headers, all of them signed.
    var headers: [(name: String, value: String)] = []
    var body: ArraySlice<UInt8>?
    /// For the log and for errors: `GET`, `PUT`, `UploadPart`, ….
    var operation: String
    /// CompleteMultipartUpload may answer 200 with an `<Error>` document; treat that as a failure.
    var errorMayComeWith200 = false
}

/// A response whose body has been read completely.
struct S3Response: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var body: [UInt8]
    /// How many attempts it took; above 1 the request was retried.
    var attempts: Int

    var isSuccess: Bool { (200..<300).contains(status) }
}

extension S3FileIO {
    /// The largest body read into memory: 4 GiB - 1, the most a `ByteBuffer` holds.
    static let maximumBodySize = Int(UInt32.max)

    /// Sends `request`, retrying transport failures and retryable S3 errors with jittered backoff.
    ///
    /// Credentials are read from the store for every attempt; a request refused for its credentials (expired token,
    /// unknown key) is resent at once when the store was refreshed meanwhile. Returns the last response whatever
    /// its status once it is not retryable or attempts run out; throws
    /// ``FileIOError`` (`isRetryable` true) when the last attempt failed without a response, and rethrows
    /// cancellation.
    func send(_ request: S3Request) async throws -> S3Response {
        let payload: SigV4Signer.Payload = configuration.signsPayload
            ? .bytes(request.body ?? []) : .unsigned
        let attempts = max(1, configuration.retry.maxAttempts)
        var attempt = 0
        while true {
            attempt += 1
            let failure: String
            do {
                let credentials = configuration.credentials.current
                var response = try await sendOnce(request, payload: payload, credentials: credentials)
                response.attempts = attempt
                guard attempt < attempts else { return response }
                if let error = retryableError(in: response, for: request) {
                    failure = error.code ?? String(error.status)
                } else if isRefusedCredential(response), configuration.credentials.current != credentials {
                    // The store was refreshed while this request was in flight: resend at once with the new key.
                    continue
                } else {
                    return response
                }
            } catch let error as CancellationError {
                throw error
            } catch {
                try Task.checkCancellation()
                guard attempt < attempts else {
                    throw FileIOError(.io, "S3 \(request.operation) failed after \(attempt) attempts: \(error)",
                                      context: context(of: request, attempts: attempt), isRetryable: true)
                }
                failure = String(describing: error)
            }
            let delay = configuration.retry.delay(beforeRetry: attempt, jitter: Double.random(in: 0..<1))
            logger.warning("retrying S3 request", metadata: [
                "s3.operation": "\(request.operation)", "s3.bucket": "\(request.location.bucket)",
                "s3.key": "\(request.location.key)", "s3.attempt": "\(attempt)", "error.code": "\(failure)",
                "retry.delay_ms": "\(Int(delay / .milliseconds(1)))",
            ])
            try await Task.sleep(for: delay)
        }
    }

    /// Whether S3 refused the credentials themselves (expired token, unknown key), which a refresh may cure.
    private func isRefusedCredential(_ response: S3Response) -> Bool {
        (response.status == 400 || response.status == 403) && errorResponse(response).refusesCredentials
    }

    private func retryableError(in response: S3Response, for request: S3Request) -> S3ErrorResponse? {
        if response.isSuccess {
            guard request.errorMayComeWith200, S3XML(response.body).contains(element: "Error") else { return nil }
        }
        let error = errorResponse(response)
        return error.isRetryable ? error : nil
    }

    /// The parsed error of a failed (or 200-with-`<Error>`) response.
    func errorResponse(_ response: S3Response) -> S3ErrorResponse {
        S3ErrorResponse(status: response.status, body: response.body,
                        requestID: response.headers.first(name: "x-amz-request-id"),
                        bucketRegion: response.headers.first(name: "x-amz-bucket-region"))
    }

    /// The ``FileIOError`` for a response that did not succeed.
    func error(for response: S3Response, of request: S3Request) -> FileIOError {
        var error = errorResponse(response).fileIOError(operation: request.operation, location: request.location)
        if response.attempts > 1 { error.context["attempts"] = String(response.attempts) }
        return error
    }

    func context(of request: S3Request, attempts: Int) -> [String: String] {
        ["location": request.location.description, "bucket": request.location.bucket, "key": request.location.key,
         "operation": request.operation, "attempts": String(attempts)]
    }

    private func sendOnce(_ request: S3Request, payload: SigV4Signer.Payload,
                          credentials: S3Credentials) async throws -> S3Response {
        let address = endpoint.address(bucket: request.location.bucket,
                                       key: request.addressesObject ? request.location.key : nil,
                                       query: request.query)
        let signer = SigV4Signer(credentials: credentials, region: configuration.region,
                                 service: "s3", pathMode: .s3, addsContentSHA256Header: true)
        let headers = [("host", address.host)] + request.headers
        let signature = signer.sign(
            SigV4Signer.Request(method: request.method.rawValue, path: address.path, query: request.query,
                                headers: headers),
            payload: payload, date: Date())

        var http = HTTPClientRequest(url: address.url)
        http.method = request.method
        for (name, value) in headers + signature.addedHeaders { http.headers.add(name: name, value: value) }
        http.headers.add(name: "Authorization", value: signature.authorization)
        if let body = request.body { http.body = .bytes(body) }

        let response = try await httpClient.execute(http, timeout: Self.timeAmount(configuration.requestTimeout),
                                                    logger: logger)
        let body = try await response.body.collect(upTo: Self.maximumBodySize)
        logger.trace("S3 request done", metadata: [
            "s3.operation": "\(request.operation)", "s3.bucket": "\(request.location.bucket)",
            "s3.key": "\(request.location.key)", "http.response.status_code": "\(response.status.code)",
            "floe.bytes": "\(body.readableBytes)",
        ])
        return S3Response(status: Int(response.status.code), headers: response.headers,
                          body: Array(buffer: body), attempts: 1)
    }

    static func timeAmount(_ duration: Duration) -> TimeAmount {
        return .nanoseconds(duration.inNanoseconds)
    }
}
