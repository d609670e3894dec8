import FloeSupport

/// Merges a snapshot's small data manifests into larger ones once there are too many, so scan planning
/// stays fast; controlled by `commit.manifest-merge.enabled` (default true),
/// `commit.manifest.min-count-to-merge` (default 100) and `commit.manifest.target-size-bytes` (default 8 MiB).
struct ManifestMerger: Sendable {
    static let defaultMinCountToMerge = 100
    static let defaultTargetSizeBytes: Int64 = 8 * 1024 * 1024

    var enabled = true
    var minCountToMerge = defaultMinCountToMerge
    var targetSizeBytes = defaultTargetSizeBytes

    init(properties: [String: String]) {
        if let value = properties[TableProperty.manifestMergeEnabled] { enabled = value.lowercased() == "true" }
        if let value = properties[TableProperty.manifestMinCountToMerge].flatMap(Int.init) { minCountToMerge = max(2, value) }
        if let value = properties[TableProperty.manifestTargetSizeBytes].flatMap(Int64.init) { targetSizeBytes = max(1, value) }
    }

    /// The groups of manifests to merge (each with at least two members), or none when under the threshold.
    ///
    /// Only data manifests of `specId` take part; they are packed oldest first into bins of about
    /// ``targetSizeBytes``.
    func bins(_ manifests: [ManifestFile], specId: Int32, newManifests: Int = 1) -> [[ManifestFile]] {
        guard enabled, manifests.count + newManifests > minCountToMerge else { return [] }
        let candidates = manifests.filter { $0.content == .data && $0.partitionSpecId == specId }.reversed()
        let bins = orderedBins(candidates, target: targetSizeBytes) { $0.manifestLength }
        return bins.filter { $0.count > 1 }
    }
}
