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
    /// Only data manifests of `specId` take part, in two tiers merged apart: the manifests appends wrote
    /// (no existing entries) once there are more than `minCountToMerge` of them (`newManifests`, the one
    /// being committed, counts), and the manifests earlier merges wrote, under the target size, once
    /// there are `minCountToMerge` of those. Each tier is packed oldest first into bins of about
    /// ``targetSizeBytes``. Merging everything in one tier instead rewrote the growing merged manifest
    /// every `minCountToMerge` commits: the commit doing it took 0.5 s after 400 commits and 4 s after
    /// 3,500 (Benchmarks/README.md, session 11); now a commit rewrites at most `minCountToMerge` small
    /// manifests, or, rarely, `minCountToMerge` merged ones.
    ///
    /// `lead` brings both thresholds that many manifests closer (at most a fifth of `minCountToMerge`,
    /// and at least one): the merges a commit `lead` appends from now would make, for
    /// ``ManifestMergeAhead`` to write before they are due.
    func bins(_ manifests: [ManifestFile], specId: Int32, newManifests: Int = 1, lead: Int = 0) -> [[ManifestFile]] {
        guard enabled else { return [] }
        let lead = lead > 0 ? min(lead, max(1, minCountToMerge / 5)) : 0
        let candidates = manifests.filter { $0.content == .data && $0.partitionSpecId == specId }
        let appended = candidates.filter { $0.existingFilesCount == 0 }
        let merged = candidates.filter { $0.existingFilesCount > 0 && $0.manifestLength < targetSizeBytes }
        var result: [[ManifestFile]] = []
        if appended.count + newManifests + lead > minCountToMerge { result += pack(appended) }
        if merged.count + lead >= minCountToMerge { result += pack(merged) }
        return result
    }

    /// `manifests` packed oldest first into bins of about the target size; single-manifest bins are left out.
    private func pack(_ manifests: [ManifestFile]) -> [[ManifestFile]] {
        orderedBins(manifests.reversed(), target: targetSizeBytes) { $0.manifestLength }.filter { $0.count > 1 }
    }
}
