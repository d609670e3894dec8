/// Where table files live: a flat set of async byte operations on absolute locations.
///
/// Implementations: ``LocalFileIO`` (`file://` and plain paths), ``S3FileIO`` (`s3://`), ``StorageRouter`` (by scheme).
/// Locations are full URIs or absolute paths exactly as they appear in table metadata.
public protocol FileIO: Sendable {
    /// Stores `bytes` at `location`, replacing any object there; durable when it returns.
    func write(_ bytes: [UInt8], to location: String) async throws
    /// Stores `bytes` at `location` without waiting for them to be durable: they are once ``persist(_:)``
    /// has returned for a list holding `location`. For a batch of data files made durable together before
    /// the commit that references them; a crash before that can leave a partial file nothing references.
    func writeUnsynced(_ bytes: [UInt8], to location: String) async throws
    /// Makes every earlier ``writeUnsynced(_:to:)`` to `locations` durable.
    func persist(_ locations: [String]) async throws
    /// The whole object. Throws ``FileIOError`` `notFound` when nothing is stored there.
    func read(_ location: String) async throws -> [UInt8]
    func exists(_ location: String) async throws -> Bool
    /// Removes the object; removing a missing object succeeds.
    func delete(_ location: String) async throws
    /// Every object whose location starts with `prefix`, in the same form as `prefix`, sorted.
    func list(prefix: String) async throws -> [String]
    /// Like ``list(prefix:)``, with sizes and modification times where the store knows them.
    ///
    /// The default implementation calls ``list(prefix:)`` and reports neither; implementations that can should
    /// override it (``LocalFileIO`` and ``S3FileIO`` do), since orphan-file removal skips files of unknown age.
    func listFiles(prefix: String) async throws -> [StoredFile]
    /// Gives a file an earlier Floe stored under another name than `location` (``LocalFileIO/legacyPath(of:)``)
    /// its name at `location` as well, so that every reader finds it there; true when it did. The default does
    /// nothing: only local files were ever stored under another name.
    func restoreLegacyName(of location: String) async throws -> Bool
}

extension FileIO {
    /// Stores like ``write(_:to:)``: stores whose writes are durable when they return need no ``persist(_:)``.
    public func writeUnsynced(_ bytes: [UInt8], to location: String) async throws {
        try await write(bytes, to: location)
    }

    public func persist(_ locations: [String]) async throws {}

    public func listFiles(prefix: String) async throws -> [StoredFile] {
        try await list(prefix: prefix).map { StoredFile(location: $0) }
    }

    public func restoreLegacyName(of location: String) async throws -> Bool { false }
}
