/// A file the table's current snapshot references: a data file or a position delete file.
public struct LiveFile: Sendable, Hashable {
    public var content: DataFile.Content
    public var location: String
    /// The partition tuple, in spec order.
    public var partition: [PartitionValue]
    public var recordCount: Int64
    public var fileSizeInBytes: Int64
    /// The data sequence number: a position delete applies to data files of a sequence number up to its own.
    public var sequenceNumber: Int64

    /// Describes a live file.
    public init(content: DataFile.Content, location: String, partition: [PartitionValue], recordCount: Int64,
                fileSizeInBytes: Int64, sequenceNumber: Int64) {
        self.content = content
        self.location = location
        self.partition = partition
        self.recordCount = recordCount
        self.fileSizeInBytes = fileSizeInBytes
        self.sequenceNumber = sequenceNumber
    }
}

extension TableMaintenance {
    /// Every live file of `table`'s current snapshot (empty before the first commit), read from its
    /// manifest list and manifests; only the manifests `reading` accepts are read (by default, all).
    ///
    /// A caller that needs only some partitions passes a test of the manifest's partition summaries, so
    /// that manifests holding none of them are not read at all.
    public func liveFiles(of table: Table, id: TableIdentifier,
                          reading: (ManifestFile) -> Bool = { _ in true }) async throws -> [LiveFile] {
        guard let snapshot = table.metadata.currentSnapshot else { return [] }
        var schemas = ManifestEntrySchemas(metadata: table.metadata)
        var result: [LiveFile] = []
        for manifest in try await manifests(of: snapshot, table: id, missingIsError: true) where reading(manifest) {
            let target = try schemas.schema(for: manifest)
            try ManifestReader.forEachLiveEntry(try await read(manifest, table: id), manifest: manifest, target: target) { entry in
                guard let content = DataFile.Content(rawValue: entry.content) else {
                    throw CatalogError(.invalidMetadata, "equality deletes are not supported",
                                       context: ["manifest": manifest.manifestPath, "content": String(entry.content)])
                }
                result.append(LiveFile(content: content, location: entry.filePath, partition: entry.partition,
                                       recordCount: entry.recordCount, fileSizeInBytes: entry.fileSizeInBytes,
                                       sequenceNumber: entry.sequenceNumber))
            }
        }
        return result
    }
}
