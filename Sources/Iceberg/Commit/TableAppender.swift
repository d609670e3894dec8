public import Logging
import FloeSupport

/// Appends data files to a table as one `append` snapshot, or position delete files as one `delete`
/// snapshot, exactly once per commit id.
///
/// The snapshot's summary carries `floe.commit-id`. Conflicts are retried with reload, rebase (new parent and
/// sequence number, same data manifest, new manifest list) and jittered backoff per the table's
/// `commit.retry.*` properties; after an unknown commit state the table is reloaded and searched for the commit
/// id before anything is retried, so a commit is never applied twice.
///
/// A writer that can have at most one commit outstanding at a time (a flush resolves its pending
/// intent before starting another) passes its `writerId`: the commit then also sets the table property
/// `floe.writer.{writerId}.last-commit` to its commit id, in the same atomic commit, and a commit id
/// is found there even after its snapshot was expired.
///
/// ```swift
/// let appender = TableAppender(catalog: catalog, fileIO: LocalFileIO(), logger: logger)
/// let result = try await appender.append(to: events, files: [file], commitId: intent.commitId)
/// logger.info("committed", metadata: ["floe.snapshot_id": "\(result.snapshotId)"])
/// ```
public struct TableAppender: Sendable {
    /// How many snapshots of `main`'s ancestry are searched for a commit id: 1000.
    public static let defaultSearchDepth = 1000

    let catalog: any Catalog
    let fileIO: any FileIO
    let logger: Logger
    /// Overrides the table's `commit.retry.*` properties when set.
    public var retryPolicy: CommitRetryPolicy?

    /// Recorded in the summary of every snapshot this appender commits (`floe.instance-id`).
    public var summaryProperties: [String: String] = [:]

    /// Where merges written ahead of need are kept (nil: an append merges inline, when due); the owner
    /// runs ``prepareMerge(in:)`` when ``ManifestMergeAhead/startPreparing(_:)`` says so.
    public var mergeAhead: ManifestMergeAhead?

    /// Creates an appender.
    public init(catalog: any Catalog, fileIO: any FileIO, logger: Logger) {
        self.catalog = catalog
        self.fileIO = fileIO
        self.logger = logger
    }

    /// Commits one snapshot adding `files`, or returns the existing one if `commitId` is already in `main`.
    ///
    /// - Parameter commitId: the flush intent's id (a UUID string), recorded as `floe.commit-id`.
    /// - Throws: ``CatalogError``: `conflict` when retries are exhausted (nothing applied),
    ///   `commitStateUnknown` when the outcome is still unknown (recover with ``findCommit(in:commitId:)``),
    ///   `invalidArgument` when a file's partition tuple does not fit the table's spec, or I/O errors.
    /// - Parameter onlyAppendsSince: the snapshot the files were decided from (position deletes): the
    ///   commit is refused with `rejected` when any snapshot committed after it is not an `append`
    ///   (a rewrite or delete may have moved or deleted the rows the files name).
    /// - Parameter tableUUID: the `table-uuid` of the table the files were written for (its field ids are in
    ///   them): the commit is refused with `replaced` when the table is now another one (dropped and created
    ///   again), whose `assert-table-uuid` a reload would otherwise take.
    public func append(to id: TableIdentifier, files: [DataFile], commitId: String,
                       writerId: String? = nil, onlyAppendsSince: Int64? = nil,
                       tableUUID: String? = nil) async throws -> AppendResult {
        let table = try await catalog.loadTable(id)
        if let found = Self.find(commitId, in: table.metadata, writerId: writerId) {
            return AppendResult(snapshotId: found.snapshotId, sequenceNumber: found.sequenceNumber, table: table, attempts: 0)
        }
        try Self.require(tableUUID, of: table.metadata, id: id)
        var producer = makeProducer(commitId: commitId, table: table)
        producer.writerId = writerId
        let manifest = try producer.dataManifest(files: files, metadata: table.metadata)
        try await write(manifest.bytes, to: manifest.location, id: id)
        let taken = mergeAhead?.take(id) ?? []
        let ahead = await usable(taken)
        var used = Set<String>()
        // A failed append drops the merges it took: after an unknown outcome one may be in the table, so
        // none is deleted or offered again; any that is not is an orphan for orphan removal.
        let result = try await commit(id, table: table, producer: producer, rows: manifest.addedRowsCount) { table, attempt in
            try Self.require(tableUUID, of: table.metadata, id: id)
            if let since = onlyAppendsSince { try Self.requireOnlyAppends(since: since, in: table.metadata, id: id) }
            var parentManifests = try await manifests(of: table.metadata.currentSnapshot, id: id)
            let substituted = Self.substitute(ahead, into: parentManifests, producer: producer,
                                              sequenceNumber: table.metadata.lastSequenceNumber + 1)
            parentManifests = substituted.manifests
            used.formUnion(substituted.used)
            parentManifests = try await merge(parentManifests, table: table, producer: producer, specId: manifest.specId,
                                              firstIndex: 1 + attempt * 1000)
            if let mergeAhead, !ManifestMerger(properties: table.metadata.properties)
                .bins(parentManifests, specId: manifest.specId, lead: mergeAhead.lead).isEmpty {
                mergeAhead.want(id)
            }
            return try producer.attempt(attempt, on: table.metadata, parentManifests: parentManifests,
                                        manifest: manifest, files: files, nowMs: WallClock.nowMillis())
        }
        // Merges that no attempt swapped in are in no snapshot (one an attempt used is left to orphan removal).
        await discard(taken, except: used)
        return result
    }

    /// The merges written ahead that an append may swap in: younger than ``ManifestMergeAhead/maxAge``,
    /// their files still there (orphan removal deletes a merge no snapshot lists once it is old enough).
    private func usable(_ merges: [ManifestMergeAhead.Merge]) async -> [ManifestMergeAhead.Merge] {
        guard let mergeAhead, !merges.isEmpty else { return merges }
        let now = ContinuousClock.now
        var usable: [ManifestMergeAhead.Merge] = []
        for merge in merges where now - merge.written < mergeAhead.maxAge {
            // A failed check drops the merge: the append then merges inline, as without one.
            if (try? await fileIO.exists(merge.manifest.manifestPath)) == true { usable.append(merge) }
        }
        return usable
    }

    /// `manifests` with each merge written ahead whose inputs it all lists swapped in for them, as added by
    /// this snapshot; and the merged manifests used.
    static func substitute(_ merges: [ManifestMergeAhead.Merge], into manifests: [ManifestFile], producer: SnapshotProducer,
                           sequenceNumber: Int64) -> (manifests: [ManifestFile], used: Set<String>) {
        guard !merges.isEmpty else { return (manifests, []) }
        var present = Set(manifests.map(\.manifestPath))
        var swappedIn: [ManifestFile] = []
        for merge in merges where merge.inputs.isSubset(of: present) {
            present.subtract(merge.inputs)
            var merged = merge.manifest
            merged.sequenceNumber = sequenceNumber
            merged.addedSnapshotId = producer.snapshotId
            swappedIn.append(merged)
        }
        guard !swappedIn.isEmpty else { return (manifests, []) }
        return (swappedIn + manifests.filter { present.contains($0.manifestPath) }, Set(swappedIn.map(\.manifestPath)))
    }

    /// Deletes merged manifests written ahead that no snapshot lists (their inputs were gone).
    private func discard(_ merges: [ManifestMergeAhead.Merge], except used: Set<String>) async {
        for merge in merges where !used.contains(merge.manifest.manifestPath) {
            try? await fileIO.delete(merge.manifest.manifestPath)
        }
    }

    /// Writes ahead, for ``mergeAhead``, the manifest merges an append will make within its ``ManifestMergeAhead/lead``
    /// more manifests (the current snapshot's, as ``ManifestMerger`` bins them), so that the append only swaps
    /// them in. Run it in the background; it always settles the table's state in ``mergeAhead``.
    public func prepareMerge(in id: TableIdentifier) async throws {
        guard let mergeAhead else { return }
        var merges: [ManifestMergeAhead.Merge] = []
        defer { mergeAhead.finish(id, merges: merges) }
        let table = try await catalog.loadTable(id)
        guard let spec = table.metadata.defaultSpec else { return }
        let manifests = try await manifests(of: table.metadata.currentSnapshot, id: id)
        let bins = ManifestMerger(properties: table.metadata.properties)
            .bins(manifests, specId: spec.specId, lead: mergeAhead.lead)
        guard !bins.isEmpty else { return }
        // Named as a commit's manifests are; the snapshot that swaps one in records itself as adding it.
        let producer = makeProducer(commitId: ManifestMergeAhead.namePrefix + "\(Self.newSnapshotId(avoiding: table.metadata))",
                                    table: table)
        let target = try ManifestWriter(schema: table.metadata.currentSchema ?? Schema(fields: []), spec: spec).entrySchema()
        for (offset, bin) in bins.enumerated() {
            let merged = try await writeMerged(bin, table: table, producer: producer, specId: spec.specId, target: target,
                                               index: 1 + offset, sequenceNumber: table.metadata.lastSequenceNumber + 1)
            merges.append(ManifestMergeAhead.Merge(inputs: Set(bin.map(\.manifestPath)), manifest: merged,
                                                   written: ContinuousClock.now))
        }
    }

    func makeProducer(commitId: String, table: Table) -> SnapshotProducer {
        var producer = SnapshotProducer(commitId: commitId, snapshotId: Self.newSnapshotId(avoiding: table.metadata))
        producer.codec = .deflate
        producer.extraSummary = summaryProperties
        return producer
    }

    /// Commits the snapshot `prepare` builds on the table it is given, retrying conflicts with a reload
    /// and a new attempt per the table's `commit.retry.*` properties; after an unknown commit state the
    /// reloaded table is searched for the commit id first, so a commit is never applied twice.
    func commit(_ id: TableIdentifier, table: Table, producer: SnapshotProducer, rows: Int64,
                prepare: (_ table: Table, _ attempt: Int) async throws -> SnapshotProducer.Attempt) async throws -> AppendResult {
        let commitId = producer.commitId
        var table = table
        var machine = CommitRetryStateMachine(policy: retryPolicy ?? CommitRetryPolicy(properties: table.metadata.properties))
        let clock = ContinuousClock()
        let start = clock.now
        var attempt = 0
        while true {
            let prepared = try await prepare(table, attempt)
            try await write(prepared.manifestListBytes, to: prepared.manifestListLocation, id: id)
            attempt += 1
            let failure: CommitRetryStateMachine.Failure
            let lastError: CatalogError
            do {
                let committed = try await catalog.commit(id, requirements: prepared.requirements, updates: prepared.updates)
                logger.debug("committed snapshot", metadata: [
                    "floe.table": "\(id)", "floe.commit_id": "\(commitId)",
                    "floe.snapshot_id": "\(producer.snapshotId)", "floe.rows": "\(rows)",
                    "iceberg.operation": "\(prepared.snapshot.summary["operation"] ?? "")",
                ])
                return AppendResult(snapshotId: producer.snapshotId, sequenceNumber: prepared.snapshot.sequenceNumber,
                                    table: committed, attempts: attempt)
            } catch let error as CatalogError where error.code == .conflict {
                // Not deleted yet: the conflict may answer the catalog client's own retry of this request
                // (same idempotency key) after an attempt that was applied, so the list may be the table's now.
                failure = .conflict
                lastError = error
            } catch let error as CatalogError where error.code == .commitStateUnknown {
                failure = .stateUnknown
                lastError = error
            }
            let action = machine.attemptFailed(failure, elapsed: clock.now - start, jitter: Double.random(in: 0..<1))
            // Out of attempts: the last attempt's manifest list may or may not be the table's, so it stays (an
            // orphan for orphan removal when it is not).
            guard case .reloadAndRetry(let wait) = action else { throw lastError }
            logger.warning("commit failed, retrying", metadata: [
                "floe.table": "\(id)", "floe.commit_id": "\(commitId)", "error.code": "\(lastError.code)",
                "floe.attempt": "\(attempt)",
            ])
            try await Task.sleep(for: wait)
            do {
                table = try await catalog.loadTable(id)
            } catch {
                // Without a fresh table the outcome of an unknown commit cannot be settled here.
                if failure == .stateUnknown { throw lastError }
                throw error
            }
            if let found = Self.find(commitId, in: table.metadata, writerId: producer.writerId) {
                return AppendResult(snapshotId: found.snapshotId, sequenceNumber: found.sequenceNumber,
                                    table: table, attempts: attempt)
            }
            // Not applied: the conflicting attempt's manifest list is in no snapshot.
            if failure == .conflict { try? await fileIO.delete(prepared.manifestListLocation) }
        }
    }

    /// Throws `replaced` when `uuid` is given and `metadata` is another table's.
    static func require(_ uuid: String?, of metadata: TableMetadata, id: TableIdentifier) throws {
        guard let uuid, metadata.tableUUID != uuid else { return }
        throw CatalogError(.replaced, "the table was replaced (dropped and created again) since the files were written for it",
                           context: ["table": id.description, "table_uuid": metadata.tableUUID, "written_for": uuid])
    }

    /// Throws `rejected` unless every snapshot of `main` after `since` is an `append` (and `since` is in its history).
    static func requireOnlyAppends(since: Int64, in metadata: TableMetadata, id: TableIdentifier) throws {
        for snapshot in metadata.mainAncestry() {
            if snapshot.snapshotId == since { return }
            let operation = snapshot.summary["operation"] ?? ""
            guard operation == "append" else {
                throw CatalogError(.rejected, "the table changed by more than appends since the snapshot the commit was decided from",
                                   context: ["table": id.description, "snapshot_id": String(snapshot.snapshotId),
                                             "operation": operation])
            }
        }
        throw CatalogError(.rejected, "the snapshot the commit was decided from is no longer in the table's history",
                           context: ["table": id.description, "snapshot_id": String(since)])
    }

    /// The id of the snapshot in `main`'s ancestry (newest first, at most ``defaultSearchDepth``) whose summary
    /// has `floe.commit-id` == `commitId`, or, with `writerId`, the snapshot the writer's last-commit property
    /// names when it is `commitId` (the snapshot may have been expired since); nil when not committed.
    public func findCommit(in id: TableIdentifier, commitId: String, writerId: String? = nil) async throws -> Int64? {
        Self.find(commitId, in: try await catalog.loadTable(id).metadata, writerId: writerId)?.snapshotId
    }

    /// Where a commit id was found: its snapshot, and its sequence number (-1 when only the property names it).
    struct Found {
        var snapshotId: Int64
        var sequenceNumber: Int64
    }

    static func find(_ commitId: String, in metadata: TableMetadata, writerId: String? = nil,
                     depth: Int = defaultSearchDepth) -> Found? {
        if let snapshot = metadata.mainAncestry(limit: depth).first(where: {
            $0.summary[SnapshotProducer.commitIdSummaryKey] == commitId
        }) {
            return Found(snapshotId: snapshot.snapshotId, sequenceNumber: snapshot.sequenceNumber)
        }
        guard let writerId, let value = metadata.properties[SnapshotProducer.lastCommitProperty(writer: writerId)] else {
            return nil
        }
        let parts = value.split(separator: " ")
        guard parts.count == 2, parts[0] == commitId, let snapshotId = Int64(parts[1]) else { return nil }
        return Found(snapshotId: snapshotId, sequenceNumber: metadata.snapshot(id: snapshotId)?.sequenceNumber ?? -1)
    }

    static func newSnapshotId(avoiding metadata: TableMetadata) -> Int64 {
        while true {
            let candidate = Int64.random(in: 1...Int64.max)
            if metadata.snapshot(id: candidate) == nil { return candidate }
        }
    }

    /// `manifests` with small data manifests merged once there are too many (see ``ManifestMerger``); the
    /// merged manifests are written here and come first.
    private func merge(_ manifests: [ManifestFile], table: Table, producer: SnapshotProducer, specId: Int32,
                       firstIndex: Int) async throws -> [ManifestFile] {
        let bins = ManifestMerger(properties: table.metadata.properties).bins(manifests, specId: specId)
        guard !bins.isEmpty else { return manifests }
        let sequenceNumber = table.metadata.lastSequenceNumber + 1
        let target = try ManifestWriter(schema: table.metadata.currentSchema ?? Schema(fields: []),
                                        spec: table.metadata.defaultSpec ?? .unpartitioned).entrySchema()
        var merged: [ManifestFile] = []
        var replaced = Set<String>()
        for (offset, bin) in bins.enumerated() {
            merged.append(try await writeMerged(bin, table: table, producer: producer, specId: specId, target: target,
                                                index: firstIndex + offset, sequenceNumber: sequenceNumber))
            replaced.formUnion(bin.map(\.manifestPath))
        }
        logger.debug("merged manifests", metadata: [
            "floe.table": "\(table.identifier)", "iceberg.manifests_merged": "\(replaced.count)",
        ])
        return merged + manifests.filter { !replaced.contains($0.manifestPath) }
    }

    /// Writes the live entries of `bin` into one merged manifest and returns its manifest-list entry.
    private func writeMerged(_ bin: [ManifestFile], table: Table, producer: SnapshotProducer, specId: Int32,
                             target: AvroSchema, index: Int, sequenceNumber: Int64) async throws -> ManifestFile {
        // Entries stream from each manifest into the merged one: memory holds one input manifest's
        // bytes and the merged output, not every entry's record.
        var writer = try producer.rewrittenManifestWriter(metadata: table.metadata, specId: specId)
        for manifest in bin {
            let bytes = try await read(manifest.manifestPath, id: table.identifier)
            try ManifestReader.forEachLiveEntry(bytes, manifest: manifest, target: target) { try writer.add($0) }
        }
        let output = try producer.finishRewrittenManifest(writer, metadata: table.metadata, specId: specId,
                                                          index: index, sequenceNumber: sequenceNumber)
        try await write(output.bytes, to: output.manifest.manifestPath, id: table.identifier)
        return output.manifest
    }

    func read(_ location: String, id: TableIdentifier) async throws -> [UInt8] {
        do {
            return try await fileIO.read(location)
        } catch {
            throw CatalogError(.io, "reading a manifest failed", context: ["table": id.description, "location": location],
                               underlying: error as? FileIOError)
        }
    }

    /// The manifests a new snapshot on top of `snapshot` carries: all of `snapshot`'s but those holding only
    /// DELETED entries (a rewrite's record of what it removed matters to that snapshot alone; Java's writer
    /// drops them the same way), so removed files do not weigh on every later scan.
    func manifests(of snapshot: Snapshot?, id: TableIdentifier) async throws -> [ManifestFile] {
        guard let snapshot else { return [] }
        return try ManifestListReader.read(try await read(snapshot.manifestList, id: id)).filter {
            !($0.addedFilesCount == 0 && $0.existingFilesCount == 0 && $0.deletedFilesCount > 0)
        }
    }

    func write(_ bytes: [UInt8], to location: String, id: TableIdentifier) async throws {
        do {
            try await fileIO.write(bytes, to: location)
        } catch {
            throw CatalogError(.io, "writing a manifest failed", context: ["table": id.description, "location": location],
                               underlying: error as? FileIOError)
        }
    }
}
