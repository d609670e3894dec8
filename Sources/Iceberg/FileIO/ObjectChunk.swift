/// Part of a stored object, read by range (``S3FileIO/read(_:range:ifMatch:)``, ``StorageRouter/read(_:range:ifMatch:)``).
public struct ObjectChunk: Sendable {
    /// The bytes of the range, up to the object's end.
    public var bytes: [UInt8]
    /// The whole object's size in bytes, when the store said.
    public var objectSize: Int64?
    /// The object's ETag, when the store gave one: passed back as `ifMatch`, the next read fails if it changed.
    public var eTag: String?
    /// The store sent the whole object (it ignores ranges): `bytes` is all of it, from offset 0.
    public var isWhole: Bool

    public init(bytes: [UInt8], objectSize: Int64?, eTag: String?, isWhole: Bool) {
        self.bytes = bytes
        self.objectSize = objectSize
        self.eTag = eTag
        self.isWhole = isWhole
    }
}
