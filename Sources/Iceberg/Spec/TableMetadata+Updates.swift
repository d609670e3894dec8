extension TableMetadata {
    /// Returns the metadata with `updates` applied in order, as a catalog applies a commit.
    ///
    /// - Parameter nowMs: the commit time in milliseconds, used for `last-updated-ms`.
    /// - Throws: ``CatalogError`` `invalidArgument` when an update cannot apply (a duplicate snapshot id, a stale
    ///   sequence number, a ref to an unknown snapshot).
    public func applying(_ updates: [TableUpdate], nowMs: Int64) throws -> TableMetadata {
        var result = self
        var lastAddedSchema: Int32?
        for update in updates {
            if case .addSchema(let schema, _) = update { lastAddedSchema = schema.schemaId }
            if case .setCurrentSchema(-1) = update {
                guard let lastAddedSchema else {
                    throw CatalogError(.invalidArgument, "set-current-schema -1 without a schema added before it")
                }
                try result.apply(.setCurrentSchema(lastAddedSchema))
                continue
            }
            try result.apply(update)
        }
        if result != self { result.lastUpdatedMs = max(nowMs, result.lastUpdatedMs) }
        return result
    }

    private mutating func apply(_ update: TableUpdate) throws {
        switch update {
        case .addSnapshot(let snapshot):
            guard self.snapshot(id: snapshot.snapshotId) == nil else {
                throw CatalogError(.invalidArgument, "snapshot id already exists",
                                   context: ["snapshot_id": String(snapshot.snapshotId)])
            }
            guard formatVersion < 2 || snapshot.sequenceNumber > lastSequenceNumber else {
                throw CatalogError(.invalidArgument, "snapshot sequence number is not newer than the table's",
                                   context: ["sequence_number": String(snapshot.sequenceNumber),
                                             "last_sequence_number": String(lastSequenceNumber)])
            }
            snapshots.append(snapshot)
            lastSequenceNumber = max(lastSequenceNumber, snapshot.sequenceNumber)
            lastUpdatedMs = max(lastUpdatedMs, snapshot.timestampMs)
        case .setSnapshotRef(let name, let reference):
            guard let snapshot = self.snapshot(id: reference.snapshotId) else {
                throw CatalogError(.invalidArgument, "ref points at an unknown snapshot",
                                   context: ["ref": name, "snapshot_id": String(reference.snapshotId)])
            }
            if refs[name] == reference { return }
            refs[name] = reference
            if name == SnapshotReference.mainBranch {
                currentSnapshotId = reference.snapshotId
                snapshotLog.append(SnapshotLogEntry(snapshotId: reference.snapshotId, timestampMs: snapshot.timestampMs))
            }
        case .removeSnapshotRef(let name):
            refs[name] = nil
            if name == SnapshotReference.mainBranch { currentSnapshotId = nil }
        case .removeSnapshots(let ids):
            let removed = Set(ids)
            if let unknown = ids.first(where: { snapshot(id: $0) == nil }) {
                throw CatalogError(.invalidArgument, "cannot remove an unknown snapshot",
                                   context: ["snapshot_id": String(unknown)])
            }
            // Like Java's builder: children keep their (now dangling) parent ids; refs to removed snapshots go.
            snapshots.removeAll { removed.contains($0.snapshotId) }
            snapshotLog.removeAll { removed.contains($0.snapshotId) }
            // And, as Java's and pyiceberg's do, the statistics of removed snapshots: their files are no longer live.
            for key in Self.statisticsKeys { removeStatistics(key, of: removed) }
            for (name, reference) in refs where removed.contains(reference.snapshotId) {
                refs[name] = nil
                if name == SnapshotReference.mainBranch { currentSnapshotId = nil }
            }
        case .setProperties(let updates):
            properties.merge(updates) { _, new in new }
        case .removeProperties(let removals):
            for key in removals { properties[key] = nil }
        case .setLocation(let location):
            self.location = location
        case .addSchema(let schema, let lastColumnId):
            guard !schemas.contains(where: { $0.schemaId == schema.schemaId }) else {
                throw CatalogError(.invalidArgument, "schema id already exists", context: ["schema_id": String(schema.schemaId)])
            }
            schemas.append(schema)
            self.lastColumnId = max(self.lastColumnId, lastColumnId, schema.highestFieldId)
        case .setCurrentSchema(let id):
            guard schemas.contains(where: { $0.schemaId == id }) else {
                throw CatalogError(.invalidArgument, "unknown schema id", context: ["schema_id": String(id)])
            }
            currentSchemaId = id
        case .removeStatistics(let snapshotId):
            removeStatistics("statistics", of: [snapshotId])
        case .removePartitionStatistics(let snapshotId):
            removeStatistics("partition-statistics", of: [snapshotId])
        }
    }

    /// The fields of table metadata that list statistics files, each entry for one `snapshot-id`.
    static let statisticsKeys = ["statistics", "partition-statistics"]

    /// The snapshots that the `statistics` (or `partition-statistics`) field has an entry for.
    public func statisticsSnapshotIds(partition: Bool = false) -> [Int64] {
        guard case .array(let entries)? = additionalFields[partition ? "partition-statistics" : "statistics"] else { return [] }
        return entries.compactMap { entry in
            guard case .object(let fields) = entry, case .int(let id)? = fields["snapshot-id"] else { return nil }
            return id
        }
    }

    private mutating func removeStatistics(_ key: String, of ids: Set<Int64>) {
        guard case .array(let entries)? = additionalFields[key] else { return }
        additionalFields[key] = .array(entries.filter { entry in
            guard case .object(let fields) = entry, case .int(let id)? = fields["snapshot-id"] else { return true }
            return !ids.contains(id)
        })
    }
}
