import Synchronization

/// Manifest lists already read, by location: a manifest list is never rewritten, so what was read
/// once stays true. Lets a writer that expires snapshots every minute read only the lists of the
/// snapshots committed since, not every retained one again.
public final class ManifestListCache: Sendable {
    private let entries = Mutex([String: [ManifestFile]]())

    /// Creates an empty cache.
    public init() {}

    func manifests(of location: String) -> [ManifestFile]? {
        entries.withLock { $0[location] }
    }

    func store(_ manifests: [ManifestFile], for location: String) {
        entries.withLock { $0[location] = manifests }
    }

    /// Forgets every list but those at `locations` (the snapshots still in the table).
    func keepOnly(_ locations: [String]) {
        let keep = Set(locations)
        entries.withLock { entries in entries = entries.filter { keep.contains($0.key) } }
    }
}
