import Synchronization

/// The metadata a catalog last read or wrote for each table, with its location, and the JSON of its snapshots.
///
/// A metadata file is written once under a new name and never changed, so metadata decoded from a location
/// stays true for as long as the catalog still points there. A writer that commits several times a second
/// then decodes its table's metadata (hundreds of snapshots of JSON) only when another writer moved it, and
/// encodes only the snapshots that are new (``EncodedSnapshots``).
final class TableMetadataCache: Sendable {
    private let entries = Mutex([TableIdentifier: (location: String, metadata: TableMetadata)]())
    private let snapshots = Mutex([TableIdentifier: EncodedSnapshots]())

    /// The metadata at `location`, if it is what was last read or written for `id`.
    func metadata(of id: TableIdentifier, at location: String) -> TableMetadata? {
        entries.withLock { entries in entries[id].flatMap { $0.location == location ? $0.metadata : nil } }
    }

    /// Remembers that `id`'s metadata at `location` is `metadata`.
    func store(_ metadata: TableMetadata, of id: TableIdentifier, at location: String) {
        entries.withLock { $0[id] = (location, metadata) }
    }

    /// The snapshots of `id` encoded so far (empty at first).
    func encodedSnapshots(of id: TableIdentifier) -> EncodedSnapshots {
        snapshots.withLock { $0[id] ?? EncodedSnapshots() }
    }

    /// Keeps `encoded` for the next commit of `id`.
    func store(_ encoded: EncodedSnapshots, of id: TableIdentifier) {
        snapshots.withLock { $0[id] = encoded }
    }
}
