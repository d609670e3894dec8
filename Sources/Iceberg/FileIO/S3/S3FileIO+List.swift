import Foundation

extension S3FileIO {
    /// One page of a ListObjectsV2 response.
    struct ListPage: Sendable, Equatable {
        var keys: [String]
        /// Per key (same order): size in bytes and last-modified time, when the page gives them.
        var sizes: [Int64?] = []
        var modified: [Date?] = []
        /// The token for the next page; nil on the last page.
        var nextContinuationToken: String?

        /// Parses a `ListBucketResult` document.
        ///
        /// - Throws: ``FileIOError`` `io` when the page says it is truncated but gives no token to continue with.
        init(xml body: some Collection<UInt8>, location: S3Location) throws {
            let xml = S3XML(body)
            keys = xml.values(of: "Key")
            let contents = xml.values(of: "Contents").map { S3XML(Array($0.utf8)) }
            if contents.count == keys.count {
                sizes = contents.map { $0.value(of: "Size").flatMap { Int64($0) } }
                modified = contents.map { entry in
                    entry.value(of: "LastModified").flatMap { text in
                        (try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
                            ?? (try? Date(text, strategy: Date.ISO8601FormatStyle()))
                    }
                }
            }
            let isTruncated = xml.value(of: "IsTruncated") == "true"
            nextContinuationToken = isTruncated ? xml.value(of: "NextContinuationToken") : nil
            if isTruncated, nextContinuationToken?.isEmpty != false {
                throw FileIOError(.io, "S3 ListObjectsV2 page is truncated but has no continuation token",
                                  context: ["location": location.description, "bucket": location.bucket])
            }
        }

        init(keys: [String], nextContinuationToken: String?) {
            self.keys = keys
            self.nextContinuationToken = nextContinuationToken
        }
    }

    /// Every key in `prefix.bucket` that starts with `prefix.key`, following continuation tokens
    /// (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html>), in S3's order.
    func listKeys(in prefix: S3Location) async throws -> [String] {
        try await listPages(in: prefix).flatMap(\.keys)
    }

    /// Every object under `prefix` with its size and last-modified time (for orphan-file cleanup).
    func listObjects(in prefix: S3Location) async throws -> [(key: String, size: Int64?, modified: Date?)] {
        var result: [(key: String, size: Int64?, modified: Date?)] = []
        for page in try await listPages(in: prefix) {
            for (index, key) in page.keys.enumerated() {
                result.append((key, index < page.sizes.count ? page.sizes[index] : nil,
                               index < page.modified.count ? page.modified[index] : nil))
            }
        }
        return result
    }

    private func listPages(in prefix: S3Location) async throws -> [ListPage] {
        var pages: [ListPage] = []
        var token: String?
        repeat {
            var request = S3Request(method: .GET, location: prefix, addressesObject: false,
                                    query: [("list-type", "2"), ("max-keys", String(configuration.listPageSize))],
                                    operation: "ListObjectsV2")
            if !prefix.key.isEmpty { request.query.append(("prefix", prefix.key)) }
            if let token { request.query.append(("continuation-token", token)) }
            let response = try await send(request)
            guard response.status == 200 else { throw error(for: response, of: request) }
            let page = try ListPage(xml: response.body, location: prefix)
            pages.append(page)
            token = page.nextContinuationToken
            logger.trace("S3 list page", metadata: [
                "s3.bucket": "\(prefix.bucket)", "s3.prefix": "\(prefix.key)", "s3.keys": "\(page.keys.count)",
            ])
        } while token != nil
        return pages
    }
}
