import Crypto
import Logging

extension S3FileIO {
    /// The byte ranges of the parts of an object of `byteCount` bytes: all of one size except a shorter last one.
    ///
    /// The size is ``S3Configuration/Multipart/partSize``, raised to the 5 MiB minimum and, for very large objects,
    /// to the smallest size that needs no more than 10,000 parts.
    static func partRanges(byteCount: Int, multipart: S3Configuration.Multipart) -> [Range<Int>] {
        typealias Multipart = S3Configuration.Multipart
        var partSize = max(multipart.partSize, Multipart.minimumPartSize)
        let ceilingSize = (byteCount + Multipart.maximumPartCount - 1) / Multipart.maximumPartCount
        partSize = max(partSize, ceilingSize)
        return stride(from: 0, to: max(byteCount, 1), by: partSize).map { $0..<min($0 + partSize, byteCount) }
    }

    /// Uploads `bytes` with CreateMultipartUpload, parallel UploadPart calls and CompleteMultipartUpload, and
    /// aborts the upload when any step fails.
    ///
    /// At most ``S3Configuration/Multipart/maxConcurrentParts`` parts are in flight; each part is retried on its
    /// own. An abort that cannot be sent (for example because the task was cancelled) leaves the parts to the
    /// bucket's `AbortIncompleteMultipartUpload` lifecycle rule. With `ifAbsent`, `If-None-Match: *` goes on the
    /// completion (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html>).
    func uploadMultipart(_ bytes: [UInt8], to location: S3Location, ifAbsent: Bool) async throws {
        let parts = Self.partRanges(byteCount: bytes.count, multipart: configuration.multipart)
        let uploadID = try await createMultipartUpload(location)
        logger.debug("S3 multipart upload started", metadata: [
            "s3.bucket": "\(location.bucket)", "s3.key": "\(location.key)", "s3.parts": "\(parts.count)",
            "floe.bytes": "\(bytes.count)",
        ])
        do {
            let eTags = try await uploadParts(bytes, parts: parts, location: location, uploadID: uploadID)
            try await completeMultipartUpload(location, uploadID: uploadID, eTags: eTags, ifAbsent: ifAbsent)
        } catch {
            await abortMultipartUpload(location, uploadID: uploadID)
            throw error
        }
    }

    private func createMultipartUpload(_ location: S3Location) async throws -> String {
        let request = S3Request(method: .POST, location: location, query: [("uploads", "")], body: [],
                                operation: "CreateMultipartUpload")
        let response = try await send(request)
        guard response.isSuccess else { throw error(for: response, of: request) }
        guard let uploadID = S3XML(response.body).value(of: "UploadId"), !uploadID.isEmpty else {
            throw FileIOError(.io, "S3 CreateMultipartUpload answered without an UploadId",
                              context: context(of: request, attempts: response.attempts))
        }
        return uploadID
    }

    private func uploadParts(_ bytes: [UInt8], parts: [Range<Int>], location: S3Location,
                             uploadID: String) async throws -> [String] {
        let width = max(1, configuration.multipart.maxConcurrentParts)
        return try await BoundedTasks.map(count: parts.count, width: width) { index in
            try await uploadPart(bytes[parts[index]], number: index + 1, location: location, uploadID: uploadID)
        }
    }

    private func uploadPart(_ bytes: ArraySlice<UInt8>, number: Int, location: S3Location,
                            uploadID: String) async throws -> String {
        let request = S3Request(method: .PUT, location: location,
                                query: [("partNumber", String(number)), ("uploadId", uploadID)],
                                body: bytes, operation: "UploadPart")
        let response = try await send(request)
        guard response.isSuccess else { throw error(for: response, of: request) }
        guard let eTag = response.headers.first(name: "etag"), !eTag.isEmpty else {
            var context = context(of: request, attempts: response.attempts)
            context["s3.part"] = String(number)
            throw FileIOError(.io, "S3 UploadPart answered without an ETag", context: context)
        }
        return eTag
    }

    private func completeMultipartUpload(_ location: S3Location, uploadID: String, eTags: [String],
                                         ifAbsent: Bool) async throws {
        var xml = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        for (index, eTag) in eTags.enumerated() {
            xml += "<Part><ETag>\(S3XML.escape(eTag))</ETag><PartNumber>\(index + 1)</PartNumber></Part>"
        }
        xml += "</CompleteMultipartUpload>"
        var request = S3Request(method: .POST, location: location, query: [("uploadId", uploadID)],
                                headers: [("content-type", "application/xml")], body: Array(xml.utf8)[...],
                                operation: "CompleteMultipartUpload", errorMayComeWith200: true)
        if ifAbsent { request.headers.append(("if-none-match", "*")) }
        let response = try await send(request)
        if response.isSuccess, !S3XML(response.body).contains(element: "Error") { return }
        // A retried completion whose first attempt went through finds the upload gone; the object proves it.
        if response.attempts > 1, response.status == 404 || response.status == 412,
           let expected = Self.multipartETag(partETags: eTags),
           try await head(location.description)?.eTag == expected {
            return
        }
        throw error(for: response, of: request)
    }

    private func abortMultipartUpload(_ location: S3Location, uploadID: String) async {
        let request = S3Request(method: .DELETE, location: location, query: [("uploadId", uploadID)],
                                operation: "AbortMultipartUpload")
        let outcome: String
        do {
            let response = try await send(request)
            outcome = response.isSuccess || response.status == 404 ? "aborted" : "status \(response.status)"
        } catch {
            outcome = "\(error)"
        }
        logger.warning("S3 multipart upload abandoned", metadata: [
            "s3.bucket": "\(location.bucket)", "s3.key": "\(location.key)", "s3.abort": "\(outcome)",
        ])
    }

    /// The ETag S3 gives a completed multipart object: the MD5 of the parts' binary MD5s, a dash, the part count.
    ///
    /// Nil when a part ETag is not a plain MD5 (KMS encryption), so that no comparison is attempted.
    static func multipartETag(partETags: [String]) -> String? {
        var digests: [UInt8] = []
        for eTag in partETags {
            let hex = Array(eTag.utf8.filter { $0 != UInt8(ascii: "\"") })
            guard hex.count == 32 else { return nil }
            for index in stride(from: 0, to: 32, by: 2) {
                guard let byte = UInt8(String(decoding: hex[index...index + 1], as: UTF8.self), radix: 16) else {
                    return nil
                }
                digests.append(byte)
            }
        }
        return "\"" + SigV4Signer.hex(Insecure.MD5.hash(data: digests)) + "-\(partETags.count)\""
    }
}
