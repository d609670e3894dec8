/// Builds an append snapshot as data: the data manifest, the manifest list, and the commit's requirements
/// and updates. Pure apart from the random sync markers; the caller writes the files and talks to the catalog.
///
/// File names follow pyiceberg's: manifests `{location}/metadata/{commitId}-m{n}.avro`, manifest lists
/// `{location}/metadata/snap-{snapshotId}-{attempt}-{commitId}.avro`.
struct SnapshotProducer: Sendable {
    /// The summary key that records which flush produced a snapshot.
    static let commitIdSummaryKey = "floe.commit-id"

    let commitId: String
    let snapshotId: Int64
    var codec: AvroCodec = .deflate
    /// When set, the commit also records `commitId` in the table property ``lastCommitProperty(writer:)``,
    /// which outlives the snapshot (expiry removes snapshots, not properties).
    var writerId: String?
    /// Added to every snapshot summary (for example `floe.instance-id`); the standard keys win.
    var extraSummary: [String: String] = [:]

    /// The table property holding the last commit of `writer`: `{commit id} {snapshot id}`.
    static func lastCommitProperty(writer: String) -> String { "floe.writer.\(writer).last-commit" }

    /// A written-out manifest plus the manifest-list fields that do not depend on the sequence number.
    struct DataManifest: Sendable {
        var content: ManifestFile.Content = .data
        var location: String
        var bytes: [UInt8]
        var specId: Int32
        var addedFilesCount: Int32
        var addedRowsCount: Int64
        var partitions: [ManifestFile.FieldSummary]

        /// The manifest-list entry once the snapshot's sequence number is known.
        func entry(snapshotId: Int64, sequenceNumber: Int64) -> ManifestFile {
            ManifestFile(manifestPath: location, manifestLength: Int64(bytes.count), partitionSpecId: specId, content: content,
                         sequenceNumber: sequenceNumber, minSequenceNumber: sequenceNumber, addedSnapshotId: snapshotId,
                         addedFilesCount: addedFilesCount, existingFilesCount: 0, deletedFilesCount: 0,
                         addedRowsCount: addedRowsCount, existingRowsCount: 0, deletedRowsCount: 0, partitions: partitions)
        }
    }

    /// One attempt at committing: the manifest list to write first, then what to send to the catalog.
    struct Attempt: Sendable {
        var manifestListLocation: String
        var manifestListBytes: [UInt8]
        var snapshot: Snapshot
        var requirements: [TableRequirement]
        var updates: [TableUpdate]
    }

    static func metadataDirectory(_ metadata: TableMetadata) -> String {
        metadata.location.hasSuffix("/") ? metadata.location + "metadata" : metadata.location + "/metadata"
    }

    /// Writes the manifest of `files` with the table's current schema and default partition spec: a
    /// delete manifest when they are delete files (all of one kind).
    func dataManifest(files: [DataFile], metadata: TableMetadata) throws -> DataManifest {
        guard let schema = metadata.currentSchema, let spec = metadata.defaultSpec else {
            throw CatalogError(.invalidMetadata, "table metadata lacks its current schema or default spec")
        }
        let content: ManifestFile.Content = files.first?.content == .positionDeletes ? .deletes : .data
        guard files.allSatisfy({ ($0.content == .positionDeletes) == (content == .deletes) }) else {
            throw CatalogError(.invalidArgument, "a commit adds either data files or delete files, not both")
        }
        var writer = ManifestWriter(schema: schema, spec: spec, codec: codec)
        writer.content = content
        let output = try writer.write(files: files, snapshotId: snapshotId, syncMarker: AvroContainerWriter.randomSyncMarker())
        return DataManifest(content: content, location: "\(Self.metadataDirectory(metadata))/\(commitId)-m0.avro", bytes: output.bytes,
                            specId: spec.specId, addedFilesCount: output.addedFilesCount,
                            addedRowsCount: output.addedRowsCount, partitions: output.partitions)
    }

    /// Starts a manifest rewritten from the live entries of other manifests of `specId` and `content` (a merge,
    /// or a replace that marks some entries DELETED); the caller adds the entries one by one, then
    /// ``finishRewrittenManifest(_:metadata:specId:content:index:sequenceNumber:)``.
    func rewrittenManifestWriter(metadata: TableMetadata, specId: Int32,
                                 content: ManifestFile.Content = .data) throws -> ManifestWriter.EntriesWriter {
        guard let schema = metadata.currentSchema, let spec = metadata.partitionSpecs.first(where: { $0.specId == specId }) else {
            throw CatalogError(.invalidMetadata, "table metadata lacks the manifest's schema or spec")
        }
        var writer = ManifestWriter(schema: schema, spec: spec, codec: codec)
        writer.content = content
        return try writer.entriesWriter(syncMarker: AvroContainerWriter.randomSyncMarker())
    }

    /// The rewritten manifest's bytes and its manifest-list entry.
    ///
    /// - Parameter index: distinguishes the rewritten manifests of one commit (`{commitId}-m{index}.avro`, index ≥ 1).
    func finishRewrittenManifest(_ writer: ManifestWriter.EntriesWriter, metadata: TableMetadata, specId: Int32,
                                 content: ManifestFile.Content = .data,
                                 index: Int, sequenceNumber: Int64) throws -> (bytes: [UInt8], manifest: ManifestFile) {
        var writer = writer
        let minSequenceNumber = writer.minSequenceNumber ?? sequenceNumber
        let output = try writer.finish()
        let manifest = ManifestFile(
            manifestPath: "\(Self.metadataDirectory(metadata))/\(commitId)-m\(index).avro", manifestLength: Int64(output.bytes.count),
            partitionSpecId: specId, content: content, sequenceNumber: sequenceNumber,
            minSequenceNumber: minSequenceNumber, addedSnapshotId: snapshotId,
            addedFilesCount: 0, existingFilesCount: output.addedFilesCount, deletedFilesCount: writer.deletedCount,
            addedRowsCount: 0, existingRowsCount: output.addedRowsCount, deletedRowsCount: writer.deletedRows,
            partitions: output.partitions)
        return (output.bytes, manifest)
    }

    /// The snapshot on top of `metadata`'s current `main`, listing `parentManifests` plus `manifest`.
    func attempt(_ attempt: Int, on metadata: TableMetadata, parentManifests: [ManifestFile], manifest: DataManifest,
                 files: [DataFile], nowMs: Int64) throws -> Attempt {
        let sequenceNumber = metadata.lastSequenceNumber + 1
        return try self.attempt(attempt, on: metadata,
                                manifests: [manifest.entry(snapshotId: snapshotId, sequenceNumber: sequenceNumber)] + parentManifests,
                                summary: Self.summary(files: files, parent: metadata.currentSnapshot, commitId: commitId),
                                nowMs: nowMs)
    }

    /// The snapshot on top of `metadata`'s current `main` listing `manifests` (whose new entries carry the
    /// sequence number `metadata.lastSequenceNumber + 1`), with `summary` (plus ``extraSummary``).
    func attempt(_ attempt: Int, on metadata: TableMetadata, manifests: [ManifestFile], summary: [String: String],
                 nowMs: Int64) throws -> Attempt {
        let parent = metadata.currentSnapshot
        let sequenceNumber = metadata.lastSequenceNumber + 1
        let location = "\(Self.metadataDirectory(metadata))/snap-\(snapshotId)-\(attempt)-\(commitId).avro"
        let bytes = try ManifestListWriter(codec: codec).write(
            manifests, snapshotId: snapshotId, parentSnapshotId: parent?.snapshotId, sequenceNumber: sequenceNumber,
            syncMarker: AvroContainerWriter.randomSyncMarker())
        let snapshot = Snapshot(snapshotId: snapshotId, parentSnapshotId: parent?.snapshotId, sequenceNumber: sequenceNumber,
                                timestampMs: max(nowMs, metadata.lastUpdatedMs), manifestList: location,
                                summary: summary.merging(extraSummary) { standard, _ in standard },
                                schemaId: metadata.currentSchemaId)
        return Attempt(
            manifestListLocation: location, manifestListBytes: bytes, snapshot: snapshot,
            requirements: [
                .assertTableUUID(metadata.tableUUID),
                .assertRefSnapshotID(ref: SnapshotReference.mainBranch, snapshotId: parent?.snapshotId),
            ],
            updates: [
                .addSnapshot(snapshot),
                .setSnapshotRef(name: SnapshotReference.mainBranch, reference: SnapshotReference(snapshotId: snapshotId, type: .branch)),
            ] + (writerId.map { [.setProperties([Self.lastCommitProperty(writer: $0): "\(commitId) \(snapshotId)"])] } ?? []))
    }

    /// The summary of an `append` (data files) or a `delete` (position delete files only): added counts,
    /// totals carried from the parent, and the commit id.
    ///
    /// A total is left out when the parent has a snapshot but no such total (it cannot be known without
    /// reading every manifest).
    static func summary(files: [DataFile], parent: Snapshot?, commitId: String) -> [String: String] {
        let addedRecords = files.reduce(Int64(0)) { $0 + $1.recordCount }
        let addedSize = files.reduce(Int64(0)) { $0 + $1.fileSizeInBytes }
        let deletes = files.first?.content == .positionDeletes
        var summary: [String: String] = [
            "added-files-size": String(addedSize),
            "changed-partition-count": String(Set(files.map(\.partition)).count),
            commitIdSummaryKey: commitId,
        ]
        if deletes {
            summary["operation"] = "delete"
            summary["added-delete-files"] = String(files.count)
            summary["added-position-delete-files"] = String(files.count)
            summary["added-position-deletes"] = String(addedRecords)
        } else {
            summary["operation"] = "append"
            summary["added-data-files"] = String(files.count)
            summary["added-records"] = String(addedRecords)
        }
        let totals: [(key: String, added: Int64)] = [
            ("total-records", deletes ? 0 : addedRecords), ("total-data-files", deletes ? 0 : Int64(files.count)),
            ("total-files-size", addedSize), ("total-delete-files", deletes ? Int64(files.count) : 0),
            ("total-position-deletes", deletes ? addedRecords : 0), ("total-equality-deletes", 0),
        ]
        for (key, added) in totals {
            if let parent {
                guard let raw = parent.summary[key], let previous = Int64(raw) else { continue }
                summary[key] = String(previous + added)
            } else {
                summary[key] = String(added)
            }
        }
        return summary
    }
}
