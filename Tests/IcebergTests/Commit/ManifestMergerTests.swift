@testable import Iceberg
import Testing

@Suite("ManifestMerger")
struct ManifestMergerTests {
    /// A data manifest of spec 0, newest first as in a manifest list; `existing` > 0 marks one a merge wrote.
    func manifest(_ name: String, length: Int64 = 10_000, existing: Int32 = 0) -> ManifestFile {
        ManifestFile(manifestPath: name, manifestLength: length, partitionSpecId: 0, sequenceNumber: 1, minSequenceNumber: 1,
                     addedSnapshotId: 1, addedFilesCount: existing == 0 ? 5 : 0, existingFilesCount: existing,
                     deletedFilesCount: 0, addedRowsCount: 0, existingRowsCount: 0, deletedRowsCount: 0, partitions: nil)
    }

    let merger = ManifestMerger(properties: ["commit.manifest.min-count-to-merge": "3"])

    @Test("appended manifests merge past the threshold, without the merged manifests of earlier merges")
    func appendedTierAlone() {
        let manifests = [manifest("a3"), manifest("a2"), manifest("a1"), manifest("m1", length: 400_000, existing: 300)]
        #expect(merger.bins(manifests, specId: 0).map { $0.map(\.manifestPath) } == [["a1", "a2", "a3"]])
        // Under the threshold (the manifest being committed counts): nothing.
        #expect(merger.bins(Array(manifests.dropFirst()), specId: 0).isEmpty)
    }

    @Test("merged manifests merge only once there are as many as the threshold, and never past the target size")
    func mergedTier() {
        let merged = [manifest("m3", existing: 9), manifest("m2", existing: 9), manifest("m1", existing: 9)]
        #expect(merger.bins(merged + [manifest("a1")], specId: 0).map { $0.map(\.manifestPath) } == [["m1", "m2", "m3"]])
        #expect(merger.bins(Array(merged.dropFirst()) + [manifest("a1")], specId: 0).isEmpty)
        let full = manifest("big", length: ManifestMerger.defaultTargetSizeBytes, existing: 9)
        #expect(merger.bins([full] + Array(merged.dropFirst()), specId: 0).isEmpty)
    }

    @Test("a lead asks for both tiers' merges that many manifests early, at most a fifth of the threshold")
    func lead() {
        let defaults = ManifestMerger(properties: [:])
        let appended = (0..<80).map { manifest("a\($0)") }
        #expect(defaults.bins(appended, specId: 0).isEmpty)
        #expect(defaults.bins(appended, specId: 0, lead: 20).map(\.count) == [80])
        #expect(defaults.bins(Array(appended.dropFirst()), specId: 0, lead: 20).isEmpty)
        let merged = (0..<80).map { manifest("m\($0)", existing: 9) }
        #expect(defaults.bins(merged, specId: 0, lead: 20).map(\.count) == [80])
        // Threshold 10: the lead is 2, not 20.
        let ten = ManifestMerger(properties: ["commit.manifest.min-count-to-merge": "10"])
        #expect(ten.bins(Array(appended.prefix(7)), specId: 0, lead: 20).isEmpty)
        #expect(ten.bins(Array(appended.prefix(8)), specId: 0, lead: 20).map(\.count) == [8])
    }

    @Test("commit.manifest-merge.enabled=false merges nothing")
    func disabled() {
        let off = ManifestMerger(properties: ["commit.manifest-merge.enabled": "false", "commit.manifest.min-count-to-merge": "2"])
        #expect(off.bins((0..<10).map { manifest("a\($0)") }, specId: 0).isEmpty)
    }
}
