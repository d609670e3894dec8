import Foundation

/// One object found by ``FileIO/listFiles(prefix:)``: its location and, where the store reports them, its
/// size and last modification time.
public struct StoredFile: Sendable, Hashable {
    /// The location, in the same form as the listed prefix.
    public var location: String
    /// Bytes; nil when unknown.
    public var size: Int64?
    /// When the object was last written; nil when unknown (maintenance never deletes such a file).
    public var lastModified: Date?

    /// Creates an entry.
    public init(location: String, size: Int64? = nil, lastModified: Date? = nil) {
        self.location = location
        self.size = size
        self.lastModified = lastModified
    }
}
