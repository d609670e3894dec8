import Foundation

/// An `s3://bucket/key` location split into its parts (`s3a://` and `s3n://` are accepted as aliases).
struct S3Location: Sendable, Hashable, CustomStringConvertible {
    /// `s3`, `s3a` or `s3n`, as written; listed locations are rebuilt with it.
    var scheme: String
    var bucket: String
    /// The object key, without a leading slash; may be empty for a listing prefix.
    var key: String

    static let schemes: Set<String> = ["s3", "s3a", "s3n"]

    /// Parses `location`.
    ///
    /// - Throws: ``FileIOError`` `invalidLocation` when the scheme is not S3 or the bucket is missing.
    init(_ location: String) throws {
        guard let schemeEnd = location.range(of: "://"),
              Self.schemes.contains(location[..<schemeEnd.lowerBound].lowercased()) else {
            throw FileIOError(.invalidLocation, "location is not an s3:// URI", context: ["location": location])
        }
        let rest = location[schemeEnd.upperBound...]
        let bucket = rest.prefix { $0 != "/" }
        guard !bucket.isEmpty else {
            throw FileIOError(.invalidLocation, "location has no bucket", context: ["location": location])
        }
        scheme = String(location[..<schemeEnd.lowerBound])
        self.bucket = String(bucket)
        // Exactly one separator: S3 keys may themselves start with "/", and S3 does not normalise them.
        key = String(rest.dropFirst(bucket.count).dropFirst())
    }

    init(scheme: String = "s3", bucket: String, key: String) {
        self.scheme = scheme
        self.bucket = bucket
        self.key = key
    }

    var description: String { "\(scheme)://\(bucket)/\(key)" }
}
