/// A file the table's current snapshot references: a data file or a position delete file.
public struct LiveFile: Sendable, Hashable {
    public var content: DataFile.Content
    public var location: String
    /// The partition tuple, in spec order.
    public var partition: [PartitionValue]
    public var recordCount: Int64
    /// The data sequence number: a position delete applies to data files of a sequence number up to its own.
    public var sequenceNumber: Int64
}

extension TableMaintenance {
    /// Every live file of `table`'s current snapshot (empty before the first commit), read from its
    /// manifest list and manifests.
    public func liveFiles(of table: Table, id: TableIdentifier) async throws -> [LiveFile] {
        guard let snapshot = table.metadata.currentSnapshot else { return [] }
        guard let schema = table.metadata.currentSchema else {
            throw CatalogError(.invalidMetadata, "table metadata lacks its current schema")
        }
        var targets: [Int32: (schema: AvroSchema, content: Int, path: Int)] = [:]
        var result: [LiveFile] = []
        for manifest in try await manifests(of: snapshot, table: id, missingIsError: true) {
            if targets[manifest.partitionSpecId] == nil {
                guard let spec = table.metadata.partitionSpecs.first(where: { $0.specId == manifest.partitionSpecId }) else {
                    throw CatalogError(.invalidMetadata, "manifest names an unknown partition spec",
                                       context: ["manifest": manifest.manifestPath])
                }
                let target = try ManifestWriter(schema: schema, spec: spec).entrySchema()
                let fields = target.recordFields.first { $0.name == "data_file" }?.type.recordFields ?? []
                guard let content = fields.firstIndex(where: { $0.name == "content" }),
                      let path = fields.firstIndex(where: { $0.name == "file_path" }) else {
                    throw CatalogError(.invalidMetadata, "manifest entry schema lacks content or file_path")
                }
                targets[manifest.partitionSpecId] = (target, content, path)
            }
            guard let (target, contentIndex, pathIndex) = targets[manifest.partitionSpecId] else { continue }
            try ManifestReader.forEachLiveEntry(try await read(manifest, table: id), manifest: manifest, target: target) { entry in
                let values = entry.dataFile.recordValue ?? []
                guard contentIndex < values.count, pathIndex < values.count, let location = values[pathIndex].stringValue else {
                    throw CatalogError(.invalidMetadata, "manifest entry is malformed", context: ["manifest": manifest.manifestPath])
                }
                let raw = values[contentIndex].int32 ?? 0
                guard let content = DataFile.Content(rawValue: raw) else {
                    throw CatalogError(.invalidMetadata, "equality deletes are not supported",
                                       context: ["manifest": manifest.manifestPath, "content": String(raw)])
                }
                result.append(LiveFile(content: content, location: location, partition: entry.partition,
                                       recordCount: entry.recordCount, sequenceNumber: entry.sequenceNumber))
            }
        }
        return result
    }
}
