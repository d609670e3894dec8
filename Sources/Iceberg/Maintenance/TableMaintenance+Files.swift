import Foundation
import FloeSupport

extension TableMaintenance {
    /// Deletes every file under the table location that no snapshot, manifest or metadata file of the current
    /// metadata references and that was last modified before `olderThan` (and before now minus
    /// ``orphanSafetyMargin``). Files of unknown age are kept.
    ///
    /// - Throws: ``CatalogError`` when the table cannot be loaded or a referenced manifest list or manifest
    ///   cannot be read (then nothing is deleted: the referenced set would be incomplete) and the table still
    ///   references it; FileIO listing errors; `CancellationError` when the task is cancelled (a shutdown), before
    ///   reading each snapshot and each deletion.
    public func deleteOrphanFiles(table id: TableIdentifier, olderThan: Date) async throws -> DeleteOrphanFilesResult {
        var table = try await catalog.loadTable(id)
        var locations: [String] = []
        var attempt = 0
        while true {
            attempt += 1
            do {
                locations = try await referencedLocations(of: table, id: id)
                break
            } catch let error as CatalogError where error.code == .io && (error.underlying as? FileIOError)?.code == .notFound {
                // Another writer's expiry (another instance, `floe maintain`) deleted a manifest list or manifest of a
                // snapshot it removed while they were read: read them again from the table as it is now.
                let reloaded = try await catalog.loadTable(id)
                guard attempt < commitAttempts, reloaded.metadataLocation != table.metadataLocation else { throw error }
                logger.info("a file of the table went while its references were read; reading them again", metadata: [
                    "floe.table": "\(id)", "floe.attempt": "\(attempt)", "error.message": "\(error)",
                ])
                table = reloaded
            }
        }
        let metadata = table.metadata
        // Each reference as written, as every reader opens it, and percent-decoded, where Floe before that
        // wrote local files (a partition directory `type=a b` for `type=a%20b`): those files are still live,
        // and get their literal names too (below).
        let referenced = Set(locations.map { Self.normalized($0) })
        var legacyNames: [String: String] = [:]
        for location in locations {
            let decoded = Self.normalized(location, decoding: true)
            if decoded != Self.normalized(location) { legacyNames[decoded] = location }
        }
        let margin = orphanSafetyMargin.inSeconds
        let cutoff = min(olderThan, Date().addingTimeInterval(-margin))
        // A merge written ahead is in no snapshot until an append swaps it in, which it may for up to
        // ManifestMergeAhead.longestMaxAge: kept for twice that, whatever the cutoff.
        let mergeCutoff = min(cutoff, Date().addingTimeInterval(-2 * ManifestMergeAhead.longestMaxAge.inSeconds))
        let root = metadata.location.hasSuffix("/") ? metadata.location : metadata.location + "/"
        var result = DeleteOrphanFilesResult()
        for file in try await fileIO.listFiles(prefix: root) where !referenced.contains(Self.normalized(file.location)) {
            if let location = legacyNames[Self.normalized(file.location)] {
                do {
                    if try await fileIO.restoreLegacyName(of: location) { result.restoredNames.append(location) }
                } catch {
                    logger.warning("linking a file to its literal location failed", metadata: [
                        "floe.table": "\(id)", "iceberg.location": "\(location)", "error.message": "\(error)"])
                }
                continue
            }
            let fileCutoff = ManifestMergeAhead.isWrittenAhead(file.location) ? mergeCutoff : cutoff
            guard let modified = file.lastModified, modified < fileCutoff else {
                result.skippedYoungFiles += 1
                continue
            }
            result.orphans.append(file.location)
        }
        for orphan in result.orphans {
            try Task.checkCancellation()
            if await delete(orphan, table: id) { result.deletedFiles.append(orphan) } else { result.failedDeletes.append(orphan) }
        }
        logger.log(level: result.orphans.isEmpty && result.restoredNames.isEmpty ? .debug : .info, "deleted orphan files", metadata: [
            "floe.table": "\(id)", "iceberg.files_deleted": "\(result.deletedFiles.count)",
            "iceberg.files_failed": "\(result.failedDeletes.count)",
            "iceberg.files_relinked": "\(result.restoredNames.count)",
        ])
        return result
    }

    /// Every file `table`'s current metadata references: metadata files, statistics, and each snapshot's manifest
    /// list, manifests and the data and delete files they list.
    private func referencedLocations(of table: Table, id: TableIdentifier) async throws -> [String] {
        let metadata = table.metadata
        var locations = [table.metadataLocation] + metadata.metadataLog.map(\.metadataFile) + Self.statisticsFiles(of: metadata)
        for snapshot in metadata.snapshots {
            try Task.checkCancellation()
            locations.append(snapshot.manifestList)
            for manifest in try await manifests(of: snapshot, table: id, missingIsError: true) {
                locations.append(manifest.manifestPath)
                locations += try await fileReferences(manifest, table: id).map(\.location)
            }
        }
        return locations
    }

    /// Deletes the manifest lists and manifests of `expired` snapshots that no kept snapshot references, and the
    /// data files removed (entries `DELETED`) by a snapshot whose parent expired now: a compaction's inputs once
    /// the snapshot before the compaction is gone.
    ///
    /// Only removed files are candidates, and only the manifests that removed them are read, so the cost follows
    /// what expired, not the table's size. When the table has refs other than `main` or snapshots off its history,
    /// the kept manifests are read too and every file they list live is kept. A file added by an expired snapshot
    /// outside `main`'s history and never removed is left for orphan removal, as is what a cancelled task (a
    /// shutdown) did not get to delete.
    public func removeUnreachable(expired: [Snapshot], table: Table) async throws -> ExpireSnapshotsResult {
        let id = table.identifier
        var retainedManifests: [String: ManifestFile] = [:]
        for snapshot in table.metadata.snapshots {
            try Task.checkCancellation()
            for manifest in try await manifests(of: snapshot, table: id, missingIsError: true) {
                retainedManifests[Self.normalized(manifest.manifestPath)] = manifest
            }
        }
        let retainedLists = Set(table.metadata.snapshots.map { Self.normalized($0.manifestList) })
        var lists: [String] = []
        var droppedManifests: [String: ManifestFile] = [:]
        for snapshot in expired where !retainedLists.contains(Self.normalized(snapshot.manifestList)) {
            lists.append(snapshot.manifestList)
            for manifest in try await manifests(of: snapshot, table: id, missingIsError: false)
            where retainedManifests[Self.normalized(manifest.manifestPath)] == nil {
                droppedManifests[Self.normalized(manifest.manifestPath)] = manifest
            }
        }
        // A data file a snapshot R removed (a DELETED entry, in a manifest R wrote) was needed only by the
        // snapshots before R. Expiry removes the oldest snapshots of the history, so once R's parent expires
        // no kept snapshot before R is left: the file can go. R itself may be kept or expire in the same run.
        let expiredIds = Set(expired.map(\.snapshotId))
        let parents = Dictionary((table.metadata.snapshots + expired).map { ($0.snapshotId, $0.parentSnapshotId) },
                                 uniquingKeysWith: { a, _ in a })
        let removers = (Array(droppedManifests.values) + Array(retainedManifests.values)).filter { manifest in
            guard manifest.deletedFilesCount != 0, let parent = parents[manifest.addedSnapshotId] ?? nil else { return false }
            return expiredIds.contains(parent)
        }
        var dataCandidates: [String: String] = [:]
        for manifest in removers {
            for file in (try? await fileReferences(manifest, table: id)) ?? [] where !file.isLive {
                dataCandidates[Self.normalized(file.location)] = file.location
            }
        }
        // With other refs than main, or snapshots off its history, a kept snapshot may still reach a
        // candidate: then every kept manifest is read, and the files it lists live stay.
        let mainHistory = Set(table.metadata.mainAncestry(limit: table.metadata.snapshots.count).map(\.snapshotId))
        let linear = table.metadata.refs.keys.allSatisfy { $0 == SnapshotReference.mainBranch }
            && table.metadata.snapshots.allSatisfy { mainHistory.contains($0.snapshotId) }
        if !dataCandidates.isEmpty && !linear {
            for manifest in retainedManifests.values {
                for file in try await fileReferences(manifest, table: id) where file.isLive {
                    dataCandidates[Self.normalized(file.location)] = nil
                }
            }
        }
        // The expired snapshots' lists were needed up to here; from now on only the kept ones are.
        manifestLists?.keepOnly(table.metadata.snapshots.map(\.manifestList))
        var result = ExpireSnapshotsResult(table: table, expiredSnapshotIds: expired.map(\.snapshotId))
        let doomed = lists + droppedManifests.values.map(\.manifestPath).sorted() + dataCandidates.values.sorted()
        for location in doomed {
            // Stopped (a shutdown): what is left is unreferenced now, and orphan removal deletes it later.
            try Task.checkCancellation()
            if await delete(location, table: id) { result.deletedFiles.append(location) } else { result.failedDeletes.append(location) }
        }
        logger.info("expired snapshots", metadata: [
            "floe.table": "\(id)", "iceberg.snapshots_expired": "\(expired.count)",
            "iceberg.files_deleted": "\(result.deletedFiles.count)", "iceberg.files_failed": "\(result.failedDeletes.count)",
        ])
        return result
    }

    /// The files the metadata's `statistics` and `partition-statistics` name: table statistics other engines
    /// wrote (Floe keeps those fields as they are, in ``TableMetadata/additionalFields``).
    static func statisticsFiles(of metadata: TableMetadata) -> [String] {
        ["statistics", "partition-statistics"].flatMap { key -> [String] in
            guard case .array(let entries)? = metadata.additionalFields[key] else { return [] }
            return entries.compactMap { entry in
                guard case .object(let fields) = entry, case .string(let path)? = fields["statistics-path"] else { return nil }
                return path
            }
        }
    }

    /// A location in a form that compares equal however a writer spelled the scheme (`file:/`, `file:///`, `s3a://`)
    /// and, for `file:` locations, the file system path itself, escapes as written (as ``LocalFileIO/path(of:)``
    /// opens it); `decoding: true` percent-decodes that path, where Floe before that form wrote a local file
    /// (``LocalFileIO/legacyPath(of:)``).
    static func normalized(_ location: String, decoding: Bool = false) -> String {
        if location.hasPrefix("file:") {
            var path = location.dropFirst("file:".count)
            while path.hasPrefix("//") { path = path.dropFirst() }
            return decoding ? path.removingPercentEncoding ?? String(path) : String(path)
        }
        for scheme in ["s3a://", "s3n://"] where location.hasPrefix(scheme) {
            return "s3://" + location.dropFirst(scheme.count)
        }
        return location
    }

    func manifests(of snapshot: Snapshot, table id: TableIdentifier, missingIsError: Bool) async throws -> [ManifestFile] {
        if let cached = manifestLists?.manifests(of: snapshot.manifestList) { return cached }
        let bytes: [UInt8]
        do {
            bytes = try await fileIO.read(snapshot.manifestList)
        } catch let error as FileIOError where error.code == .notFound && !missingIsError {
            return []
        } catch {
            throw CatalogError(.io, "reading a manifest list failed",
                               context: ["table": id.description, "location": snapshot.manifestList],
                               underlying: error as? FileIOError)
        }
        let manifests = try ManifestListReader.read(bytes)
        manifestLists?.store(manifests, for: snapshot.manifestList)
        return manifests
    }

    private func fileReferences(_ manifest: ManifestFile, table id: TableIdentifier) async throws -> [ManifestReader.FileReference] {
        try ManifestReader.fileReferences(try await read(manifest, table: id), manifestPath: manifest.manifestPath)
    }

    /// The bytes of `manifest`; a failed read is an `io` catalog error naming the table.
    func read(_ manifest: ManifestFile, table id: TableIdentifier) async throws -> [UInt8] {
        do {
            return try await fileIO.read(manifest.manifestPath)
        } catch {
            throw CatalogError(.io, "reading a manifest failed",
                               context: ["table": id.description, "location": manifest.manifestPath],
                               underlying: error as? FileIOError)
        }
    }

    private func delete(_ location: String, table id: TableIdentifier) async -> Bool {
        do {
            try await fileIO.delete(location)
            return true
        } catch {
            logger.warning("deleting a file failed", metadata: [
                "floe.table": "\(id)", "iceberg.location": "\(location)", "error": "\(error)",
            ])
            return false
        }
    }
}
