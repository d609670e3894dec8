/// What a `HeadObject` tells about a stored object.
public struct S3ObjectInfo: Sendable, Hashable {
    /// The object's length in bytes.
    public var size: Int
    /// The entity tag, quotes included (`"9b2cf535f27731c974343645a3985328"`); multipart objects end in `-<parts>`.
    public var eTag: String?
    /// The `Last-Modified` header as sent (an HTTP date).
    public var lastModified: String?

    /// Creates object information.
    public init(size: Int, eTag: String?, lastModified: String?) {
        self.size = size
        self.eTag = eTag
        self.lastModified = lastModified
    }
}
