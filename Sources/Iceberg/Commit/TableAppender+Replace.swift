import FloeSupport

extension TableAppender {
    /// Replaces live files of a table by new data files in one `replace` snapshot (a compaction), exactly
    /// once per commit id: the rows the table reads do not change, only the files holding them.
    ///
    /// The manifests that list a removed file are rewritten into one (per partition spec and content), the
    /// removed entries marked DELETED and the others kept as EXISTING; the added files come in a new manifest. Removed position delete files
    /// must have been applied to the added files by the caller.
    ///
    /// - Parameters:
    ///   - removing: locations of the data and delete files to remove; each must still be live.
    ///   - files: the new data files (may be empty when every removed row was deleted).
    ///   - decidedFrom: the snapshot the caller read the removed files from. The commit is refused with
    ///     `rejected` when anything but appends was committed after it (another rewrite may have moved the
    ///     rows, a delete may name rows the new files hold at other positions) or when a removed file is
    ///     no longer live; the new files are then orphans, left for orphan-file removal.
    /// - Throws: ``CatalogError`` as ``append(to:files:commitId:writerId:onlyAppendsSince:)`` does, and
    ///   `rejected` as above.
    public func replace(in id: TableIdentifier, removing: Set<String>, adding files: [DataFile], commitId: String,
                        decidedFrom base: Int64) async throws -> AppendResult {
        let table = try await catalog.loadTable(id)
        if let found = Self.find(commitId, in: table.metadata) {
            return AppendResult(snapshotId: found.snapshotId, sequenceNumber: found.sequenceNumber, table: table, attempts: 0)
        }
        guard !removing.isEmpty else {
            throw CatalogError(.invalidArgument, "a replace removes at least one file", context: ["table": id.description])
        }
        let producer = makeProducer(commitId: commitId, table: table)
        var added: SnapshotProducer.DataManifest?
        if !files.isEmpty {
            guard files.allSatisfy({ $0.content == .data }) else {
                throw CatalogError(.invalidArgument, "a replace adds data files only", context: ["table": id.description])
            }
            let manifest = try producer.dataManifest(files: files, metadata: table.metadata)
            try await write(manifest.bytes, to: manifest.location, id: id)
            added = manifest
        }
        return try await commit(id, table: table, producer: producer, rows: added?.addedRowsCount ?? 0) { table, attempt in
            try Self.requireOnlyAppends(since: base, in: table.metadata, id: id)
            let sequenceNumber = table.metadata.lastSequenceNumber + 1
            let rewrite = try await rewrite(table: table, removing: removing, producer: producer,
                                            sequenceNumber: sequenceNumber, firstIndex: 1 + attempt * 1000)
            let missing = removing.subtracting(rewrite.removed.map(\.filePath))
            guard missing.isEmpty else {
                throw CatalogError(.rejected, "a file to replace is no longer live",
                                   context: ["table": id.description, "location": missing.sorted()[0]])
            }
            let manifests = (added.map { [$0.entry(snapshotId: producer.snapshotId, sequenceNumber: sequenceNumber)] } ?? [])
                + rewrite.manifests
            return try producer.attempt(attempt, on: table.metadata, manifests: manifests,
                                        summary: SnapshotProducer.replaceSummary(added: files, removed: rewrite.removed,
                                                                                 parent: table.metadata.currentSnapshot,
                                                                                 commitId: commitId),
                                        nowMs: WallClock.nowMillis())
        }
    }

    /// The current snapshot's manifests with the entries of `removing` marked DELETED, and the removed entries
    /// found. Manifests that list none of them are kept as they are; the entries of those that do go into one
    /// new manifest per partition spec and content (kept ones EXISTING, removed ones DELETED), so a compaction
    /// also leaves fewer manifests for readers to open.
    private func rewrite(table: Table, removing: Set<String>, producer: SnapshotProducer, sequenceNumber: Int64,
                         firstIndex: Int) async throws -> (manifests: [ManifestFile], removed: [ManifestReader.Entry]) {
        struct Group: Hashable {
            var specId: Int32
            var content: ManifestFile.Content
        }
        var kept: [ManifestFile] = []
        var removed: [ManifestReader.Entry] = []
        var schemas = ManifestEntrySchemas(metadata: table.metadata)
        var writers: [Group: ManifestWriter.EntriesWriter] = [:]
        var order: [Group] = []
        for manifest in try await manifests(of: table.metadata.currentSnapshot, id: table.identifier) {
            let target = try schemas.schema(for: manifest)
            // One manifest's entries are held at a time.
            var entries: [ManifestReader.Entry] = []
            try ManifestReader.forEachLiveEntry(try await read(manifest.manifestPath, id: table.identifier),
                                                manifest: manifest, target: target) { entries.append($0) }
            guard entries.contains(where: { removing.contains($0.filePath) }) else {
                kept.append(manifest)
                continue
            }
            let group = Group(specId: manifest.partitionSpecId, content: manifest.content)
            if writers[group] == nil {
                writers[group] = try producer.rewrittenManifestWriter(metadata: table.metadata, specId: group.specId,
                                                                      content: group.content)
                order.append(group)
            }
            for entry in entries {
                if removing.contains(entry.filePath) {
                    try writers[group]?.delete(entry, snapshotId: producer.snapshotId)
                    removed.append(entry)
                } else {
                    try writers[group]?.add(entry)
                }
            }
        }
        var rewritten: [ManifestFile] = []
        for (offset, group) in order.enumerated() {
            guard let writer = writers[group] else { continue }
            let output = try producer.finishRewrittenManifest(writer, metadata: table.metadata, specId: group.specId,
                                                              content: group.content, index: firstIndex + offset,
                                                              sequenceNumber: sequenceNumber)
            try await write(output.bytes, to: output.manifest.manifestPath, id: table.identifier)
            rewritten.append(output.manifest)
        }
        return (rewritten + kept, removed)
    }
}

extension SnapshotProducer {
    /// The summary of a `replace`: added and deleted data files and records, removed delete files, and the
    /// totals carried from the parent (left out when the parent lacks them).
    static func replaceSummary(added: [DataFile], removed: [ManifestReader.Entry], parent: Snapshot?,
                               commitId: String) -> [String: String] {
        let removedData = removed.filter { $0.content == DataFile.Content.data.rawValue }
        let removedDeletes = removed.filter { $0.content == DataFile.Content.positionDeletes.rawValue }
        let addedRecords = added.reduce(Int64(0)) { $0 + $1.recordCount }
        let addedSize = added.reduce(Int64(0)) { $0 + $1.fileSizeInBytes }
        let deletedRecords = removedData.reduce(Int64(0)) { $0 + $1.recordCount }
        let removedSize = removed.reduce(Int64(0)) { $0 + $1.fileSizeInBytes }
        let removedPositionDeletes = removedDeletes.reduce(Int64(0)) { $0 + $1.recordCount }
        var summary: [String: String] = [
            "operation": "replace",
            "added-data-files": String(added.count),
            "deleted-data-files": String(removedData.count),
            "added-records": String(addedRecords),
            "deleted-records": String(deletedRecords),
            "added-files-size": String(addedSize),
            "removed-files-size": String(removedSize),
            "changed-partition-count": String(Set(added.map(\.partition) + removed.map(\.partition)).count),
            commitIdSummaryKey: commitId,
        ]
        if !removedDeletes.isEmpty {
            summary["removed-delete-files"] = String(removedDeletes.count)
            summary["removed-position-delete-files"] = String(removedDeletes.count)
            summary["removed-position-deletes"] = String(removedPositionDeletes)
        }
        let changes: [(key: String, change: Int64)] = [
            ("total-records", addedRecords - deletedRecords),
            ("total-data-files", Int64(added.count - removedData.count)),
            ("total-files-size", addedSize - removedSize),
            ("total-delete-files", -Int64(removedDeletes.count)),
            ("total-position-deletes", -removedPositionDeletes),
            ("total-equality-deletes", 0),
        ]
        for (key, change) in changes {
            guard let raw = parent?.summary[key], let previous = Int64(raw) else { continue }
            summary[key] = String(max(0, previous + change))
        }
        return summary
    }
}
